// End to end in real Chromium (issue 19): a resident enrolled with a hosted card receives a
// credential in the wallet, the counter page shows an OpenID4VP QR, the wallet scans it with the
// camera (Chromium's fake camera fed a Y4M file of that QR, y4m.ts), shows what will be told and
// to whom, and sends; the counter shows 「20歳以上です ✓」. The presentation the wallet posted is
// checked in the test by hand with jose (sd-jwt-check.ts, independent of @sd-jwt): only over_20
// disclosed, key binding to the counter's nonce; posting it again is refused as a replay.
// On each database engine: one stack and one browser.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JSONWebKeySet } from 'jose';
import type { Page } from 'playwright-core';
import { sha256b64u, verifySdJwt } from '../credentials/sd-jwt-check.ts';
import { checkPage } from './page-check.ts';
import { launchBrowser, startStack, type Stack, type TestBrowser, journeyEngines } from './support.ts';
import { writeQrY4m } from './y4m.ts';

const SIGN_PIN = 'DEMO2026';
const WAIT = { timeout: 45_000 };

for (const engine of journeyEngines('postgres')) {
  describe(engine, () => {
    let stack: Stack;
    let browser: TestBrowser;
    let page: Page;
    let card = '';
    const dir = mkdtempSync(join(tmpdir(), 'watashi-camera-'));
    const camera = join(dir, 'qr.y4m');

    beforeAll(async () => {
      stack = await startStack(`credentials-e2e-${engine}`, engine);
      const r = await stack.sim.sim.addResident({ name: '山田　花子', birthDate: '1988-04-12', sex: '2' });
      card = (await stack.sim.sim.issueCard(r.id, { signPin: SIGN_PIN, authPin: '1234' })).card.tokenId;
      // The camera file exists from the start (a blank code); Chromium opens it when the page asks.
      writeQrY4m(camera, 'blank');
      browser = await launchBrowser([
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-video-capture=${camera}`,
      ]);
      page = browser.page;
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await stack?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('receive a credential, show over_20 at the counter by QR, nothing else', async () => {
      const journey = `credentials-${engine}`;
      // Enrol with the card (this signs the browser in).
      await page.goto(`${stack.base}/wallet/enrol`);
      await page.locator(`#card-list option[value="${card}"]`).waitFor({ state: 'attached', ...WAIT });
      await page.fill('#card-id', card);
      await page.fill('#sign-pin', SIGN_PIN);
      await page.click('#enrol-submit');
      await page.locator('#done-level').waitFor({ state: 'visible', ...WAIT });

      // Receive the credential.
      await page.goto(`${stack.base}/wallet/credentials`);
      await page.locator('#receive').waitFor({ state: 'visible', ...WAIT });
      await checkPage(page, journey, '01-none');
      await page.click('#receive');
      await expect.poll(() => page.textContent('#status'), WAIT).toContain('受け取りました');
      const held = (await page.textContent('#held')) ?? '';
      expect(held).toContain('20歳以上であること');
      expect(held).toContain('使えます');
      expect(held).not.toMatch(/over_20|urn:|dc\+sd-jwt|iss|cnf|vct|status/);
      await checkPage(page, journey, '02-received');

      // The counter page (another device: a second page) shows its QR.
      const counter = await browser.context.newPage();
      await counter.goto(`${stack.base}/counter`);
      await counter.locator('#qr svg').waitFor({ state: 'visible', ...WAIT });
      const uri = (await counter.getAttribute('#qr', 'data-uri')) ?? '';
      expect(uri).toMatch(/^openid4vp:\/\/\?/);
      await counter.screenshot({
        path: join(import.meta.dirname, `../../../../test-results/screens/${journey}/counter-qr.png`),
      });
      const nonce = new URL(uri).searchParams.get('nonce') ?? '';

      // The phone scans it: the camera now shows that QR.
      writeQrY4m(camera, uri);
      const posted = page.waitForRequest(
        (r) => r.url().endsWith('/counter/response') && r.method() === 'POST',
        WAIT,
      );
      await page.click('#scan');
      await page.locator('#confirm').waitFor({ state: 'visible', ...WAIT });
      expect((await page.textContent('#disclose'))?.trim()).toBe('20歳以上であること');
      expect(await page.textContent('#confirm')).toContain(new URL(stack.base).host);
      await checkPage(page, journey, '03-confirm');
      await page.click('#send');
      await expect.poll(() => page.textContent('#status'), WAIT).toContain('伝えました');
      await checkPage(page, journey, '04-sent');

      // The counter shows the answer in large type, nothing more.
      await expect.poll(() => counter.textContent('#result'), WAIT).toBe('20歳以上です ✓');
      const detail = (await counter.textContent('#detail')) ?? '';
      expect(detail).toContain(stack.base);
      expect(detail).not.toMatch(/山田|花子|1988|昭和/);
      await counter.screenshot({
        path: join(import.meta.dirname, `../../../../test-results/screens/${journey}/counter-result.png`),
      });

      // What the wallet posted, checked independently.
      const body = new URLSearchParams((await posted).postData() ?? '');
      const presentation =
        (JSON.parse(body.get('vp_token') ?? '{}') as Record<string, string[]>)['watashi_over_20']?.[0] ?? '';
      const jwks = (
        (await (await fetch(`${stack.base}/.well-known/jwt-vc-issuer`)).json()) as { jwks: JSONWebKeySet }
      ).jwks;
      const v = await verifySdJwt(presentation, jwks, stack.base);
      expect(v.claims).toEqual({ over_20: true });
      const kb = JSON.parse(Buffer.from(v.kb.split('.')[1] ?? '', 'base64url').toString()) as Record<
        string,
        unknown
      >;
      expect(kb).toMatchObject({ nonce, aud: `redirect_uri:${stack.base}/counter/response` });
      expect(kb.sd_hash).toBe(sha256b64u(presentation.slice(0, presentation.lastIndexOf('~') + 1)));

      // Replayed: the same post again is refused.
      const again = await fetch(`${stack.base}/counter/response`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
      });
      expect(((await again.json()) as { code: string }).code).toBe('presentation_replayed');
      expect(browser.problems).toEqual([]);
      await counter.close();
    }, 240_000);
  });
}
