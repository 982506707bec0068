// End to end in real Chromium (issue 19, a counter with no network; docs/credentials.md §4.1): the
// counter page keeps the issuer's keys and status list while online, then loses the network. Its
// request QR is fed to the wallet's camera (one browser, Chromium's fake camera, y4m.ts); the
// wallet shows what will be told and to whom, then shows the presentation as a QR on its screen.
// That QR, taken from the wallet's screenshot, is fed to the counter's camera (a second browser:
// each launch has its own camera file); the counter verifies it in the browser and shows
// 「20歳以上です ✓」. The same QR shown again is refused. The presentation read from the wallet's
// screen is also checked in the test by hand with jose (sd-jwt-check.ts, independent of @sd-jwt).
// PostgreSQL only (browser journeys run on one engine); one stack, two browsers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jsQR from 'jsqr';
import type { JSONWebKeySet } from 'jose';
import { sha256b64u, verifySdJwt } from '../credentials/sd-jwt-check.ts';
import { checkPage, SCREENS_DIR } from './page-check.ts';
import { launchBrowser, SIGN_PIN, startStack, type Stack, type TestBrowser } from './support.ts';
import { writeGrayY4m, writeQrY4m } from './y4m.ts';

const WAIT = { timeout: 45_000 };
const JOURNEY = 'credentials-offline';

/**
 * The image of `selector` on the wallet's page as a phone's screen shows it — 3 device pixels per
 * CSS pixel (the screenshot region rendered at that scale, DevTools `Page.captureScreenshot`) — as
 * greyscale pixels.
 */
async function grayShot(browser: TestBrowser, selector: string) {
  const page = browser.page;
  await page.locator(selector).scrollIntoViewIfNeeded();
  const box = await page.evaluate((sel) => {
    const r = document.querySelector(sel)!.getBoundingClientRect();
    return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height };
  }, selector);
  const { data } = await browser.cdp.send('Page.captureScreenshot', {
    format: 'png',
    clip: { ...box, scale: 3 },
    captureBeyondViewport: true,
  });
  return page.evaluate(async (png) => {
    const img = new Image();
    img.src = `data:image/png;base64,${png}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const gray: number[] = [];
    for (let i = 0; i < rgba.length; i += 4) gray.push(rgba[i + 1]!);
    return { gray, width: canvas.width, height: canvas.height };
  }, data);
}

describe('a counter with no network', () => {
  let stack: Stack;
  let wallet: TestBrowser;
  let counterBrowser: TestBrowser;
  let card = '';
  const dir = mkdtempSync(join(tmpdir(), 'watashi-cameras-'));
  const walletCamera = join(dir, 'wallet.y4m');
  const counterCamera = join(dir, 'counter.y4m');
  const camera = (file: string) => [
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${file}`,
  ];

  beforeAll(async () => {
    stack = await startStack('credentials-offline-e2e', 'postgres');
    const r = await stack.sim.sim.addResident({ name: '山田　花子', birthDate: '1988-04-12', sex: '2' });
    card = (await stack.sim.sim.issueCard(r.id, { signPin: SIGN_PIN, authPin: '1234' })).card.tokenId;
    // The camera files exist from the start (a blank code); Chromium opens one when a page asks.
    writeQrY4m(walletCamera, 'blank');
    writeQrY4m(counterCamera, 'blank');
    wallet = await launchBrowser(camera(walletCamera));
    counterBrowser = await launchBrowser(camera(counterCamera));
  }, 120_000);

  afterAll(async () => {
    await wallet?.close();
    await counterBrowser?.close();
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows over_20 by QR both ways with the counter offline; the same QR again is refused', async () => {
    const page = wallet.page;
    // Enrol with the card (this signs the wallet's browser in) and receive the credential.
    await page.goto(`${stack.base}/wallet/enrol`);
    await page.locator(`#card-list option[value="${card}"]`).waitFor({ state: 'attached', ...WAIT });
    await page.fill('#card-id', card);
    await page.fill('#sign-pin', SIGN_PIN);
    await page.click('#enrol-submit');
    await page.locator('#done-level').waitFor({ state: 'visible', ...WAIT });
    await page.goto(`${stack.base}/wallet/credentials`);
    await page.locator('#receive').waitFor({ state: 'visible', ...WAIT });
    await page.click('#receive');
    await expect.poll(() => page.textContent('#status'), WAIT).toContain('受け取りました');

    // The counter page, while online, keeps the keys and the status list, and says from when.
    const counter = counterBrowser.page;
    await counter.goto(`${stack.base}/counter/offline`);
    await expect.poll(() => counter.textContent('#kept'), WAIT).toMatch(/^状態の確認: \d{1,2}時\d{2}分時点$/);
    await counter.locator('#qr svg').waitFor({ state: 'visible', ...WAIT });
    // From now on the counter has no network at all.
    await counterBrowser.context.setOffline(true);
    await counter.click('#again');
    const uri = (await counter.getAttribute('#qr', 'data-uri')) ?? '';
    const request = new URL(uri).searchParams;
    expect(request.get('response_mode')).toBe('watashi_qr');
    expect(request.get('client_id')).toBe(`redirect_uri:${stack.base}/counter/offline`);
    expect(uri.length).toBeLessThan(700);
    await checkPage(counter, JOURNEY, '01-counter-request');

    // The phone scans the counter's QR, and says what it will show and to whom.
    writeQrY4m(walletCamera, uri);
    await page.click('#scan');
    await page.locator('#confirm').waitFor({ state: 'visible', ...WAIT });
    expect((await page.textContent('#disclose'))?.trim()).toBe('20歳以上であること');
    expect(await page.textContent('#confirm')).toContain(new URL(stack.base).host);
    await checkPage(page, JOURNEY, '02-confirm');
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(r.url());
    });
    await page.click('#send');
    await page.locator('#presentation-qr').waitFor({ state: 'visible', ...WAIT });
    await checkPage(page, JOURNEY, '03-presentation');
    expect(posts).toEqual([]); // nothing was sent: the answer is only on the screen

    // The counter's camera sees the phone's screen: the QR at phone size, as a 3× screen shows it.
    await page.setViewportSize({ width: 390, height: 844 });
    const shot = await grayShot(wallet, '#presentation-qr');
    const rgba = new Uint8ClampedArray(shot.gray.flatMap((g) => [g, g, g, 255]));
    const presentation = jsQR(rgba, shot.width, shot.height)?.data ?? '';
    // Checked by hand, independently of @sd-jwt: only over_20, bound to this counter's nonce.
    const jwks = (
      (await (await fetch(`${stack.base}/.well-known/jwt-vc-issuer`)).json()) as { jwks: JSONWebKeySet }
    ).jwks;
    const v = await verifySdJwt(presentation, jwks, stack.base);
    expect(v.claims).toEqual({ over_20: true });
    const kb = JSON.parse(Buffer.from(v.kb.split('.')[1] ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(kb).toMatchObject({ nonce: request.get('nonce'), aud: request.get('client_id') });
    expect(kb.sd_hash).toBe(sha256b64u(presentation.slice(0, presentation.lastIndexOf('~') + 1)));
    console.info(
      `offline presentation: ${presentation.length} bytes, on the phone's screen ${shot.width} device px wide`,
    );
    writeGrayY4m(counterCamera, Uint8Array.from(shot.gray), shot.width, shot.height);

    await counter.click('#scan');
    await expect.poll(() => counter.textContent('#result'), WAIT).toBe('20歳以上です ✓');
    const detail = (await counter.textContent('#detail')) ?? '';
    expect(detail).toContain(stack.base);
    expect(detail).not.toMatch(/山田|花子|1988|昭和/);
    await checkPage(counter, JOURNEY, '04-counter-result');

    // The same presentation QR shown again, for the next customer's request: refused.
    await counter.click('#again');
    await counter.click('#scan');
    await expect.poll(() => counter.textContent('#result'), WAIT).toBe('確認できませんでした');
    expect(await counter.textContent('#detail')).toBe('このコードはもう使われています。');
    await checkPage(counter, JOURNEY, '05-counter-replayed');
    expect(wallet.problems).toEqual([]);
    expect(counterBrowser.problems).toEqual([]);
    await counter.screenshot({ path: join(SCREENS_DIR, JOURNEY, 'counter-final.png') });
  }, 240_000);
});
