// Re-proving with the My Number card in real Chromium (issue 17), on PGlite (support.ts journeyEngines): the
// wallet's card pages drive a hosted card of the J-LIS simulator from the browser (cross-origin,
// the real JpkiCardClient), the platform is the real one, the RP is openid-client.
// - login page → card sign-in → move → sweep → the account page's notice → re-proof in one step →
//   the same `sub` at the RP;
// - the RP asks for level 3 after a move → the sign-in page offers re-proving (a passkey would not
//   do) → re-proof in one step → back at the RP with the same `sub` at ial3-aal2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { runSweep } from '../../src/lifecycle/index.ts';
import type { TestPlatform } from '../authn/support.ts';
import { authorizationUrl, Browser, exchange, login, registerRp } from '../oidc/support.ts';
import { SESSION_COOKIE } from '../../src/server/sessions.ts';
import {
  AUTH_PIN,
  enrolledWithCard,
  launchBrowser,
  SIGN_PIN,
  startStack,
  submitCard,
  visibleText,
  type Stack,
  type TestBrowser,
  journeyEngines,
} from './support.ts';
import { checkPage } from './page-check.ts';

let stack: Stack;
let browser: TestBrowser;
let page: Page;

/** The browser's Watashi session cookie, as `name=value`. */
async function browserSession(): Promise<string> {
  const c = (await browser.context.cookies(stack.base)).find((x) => x.name === SESSION_COOKIE);
  if (c === undefined) throw new Error('the browser is not signed in');
  return `${c.name}=${c.value}`;
}

for (const engine of journeyEngines('pglite')) {
  describe(engine, () => {
    beforeAll(async () => {
      stack = await startStack(`card-e2e-${engine}`, engine);
      browser = await launchBrowser();
      page = browser.page;
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await stack?.close();
    });

    it('ok-move-sweep-notice-re-proof-in-one-step-same-sub-at-the-rp', async () => {
      const r = await enrolledWithCard(stack, '山田　花子', '1988-04-12');
      // Sign in with the card, from the login page.
      await page.goto(`${stack.base}/wallet/login`);
      await page.click('#to-card-login');
      await page.waitForURL('**/wallet/card-login');
      await checkPage(page, 'card-reproof', '01-card-login');
      await submitCard(page, r.card, AUTH_PIN);
      await page.waitForURL('**/wallet/account');
      // The RP (openid-client) knows the resident by a pairwise sub.
      const p = { deps: stack.platform.deps, issuer: `${stack.base}/oidc` } as unknown as TestPlatform & {
        issuer: string;
      };
      const rp = await registerRp(p);
      const before = (await login(new Browser(await browserSession()), rp)).tokens.claims()!.sub;
      // The resident moves; J-LIS revokes the signing certificate and issues a new one on the card;
      // the next day's CRL is published and the sweep reads it.
      const resident = stack.sim.sim
        .listResidents()
        .find((x) => x.tokens.some((t) => t.id === r.card.tokenId))!;
      await stack.sim.sim.lifeEvent(resident.id, { type: 'move' });
      stack.clock.advance(3600_000);
      await stack.sim.sim.publishCrls();
      stack.sim.sim.refreshOcsp();
      expect((await runSweep(stack.platform.deps)).status).toBe('completed');
      // The account page shows the notice in words and leads to re-proofing in one step.
      await page.goto(`${stack.base}/wallet/account`);
      await page
        .getByText('引っ越しまたは氏名の変更により、カードの署名用電子証明書が失効しました', { exact: false })
        .first()
        .waitFor({ state: 'visible', timeout: 20_000 });
      await page.locator('a[href^="/wallet/reproof"]').first().click();
      await page.waitForURL('**/wallet/reproof');
      expect(await visibleText(page, '#reproof-notice')).toContain(
        '引っ越しまたは氏名の変更により、カードの署名用電子証明書が失効しました',
      );
      expect(await visibleText(page, '#reproof-document')).toContain('氏名、住所、生年月日、性別');
      await checkPage(page, 'card-reproof', '02-reproof');
      await page.locator(`#card-${r.card.tokenId}`).check();
      // The signing password has 5 tries, and is named as such (not the 4-digit PIN).
      expect(await visibleText(page, '#pin-tries')).toBe(
        'あと5回まちがえると、署名用パスワードがロックされます。',
      );
      await page.fill('#card-pin', SIGN_PIN);
      await page.click('#card-submit');
      expect(await visibleText(page, '#reproof-done')).toContain('これまでどおり');
      expect(await page.getAttribute('#reproof-level', 'data-level')).toBe('3');
      await checkPage(page, 'card-reproof', '03-reproof-done');
      // Same account, same sub at the RP, at level 3 again.
      const after = (await login(new Browser(await browserSession()), rp)).tokens.claims()!;
      expect(after.sub).toBe(before);
      expect(after.acr).toBe('urn:watashi:ac:jp:ial3-aal2');
    }, 120_000);

    it('ok-step-up-to-proofing-from-the-rp-re-proof-in-one-step-and-back-to-the-rp', async () => {
      const r = await enrolledWithCard(stack, '鈴木　一郎', '1969-03-03');
      await browser.context.clearCookies();
      await page.goto(`${stack.base}/wallet/card-login`);
      await submitCard(page, r.card, AUTH_PIN);
      await page.waitForURL('**/wallet/account');
      const p = { deps: stack.platform.deps, issuer: `${stack.base}/oidc` } as unknown as TestPlatform & {
        issuer: string;
      };
      const rp = await registerRp(p);
      const before = (await login(new Browser(await browserSession()), rp)).tokens.claims()!.sub;
      // The resident moves; the next CRL is published and the sweep reads it.
      const resident = stack.sim.sim
        .listResidents()
        .find((x) => x.tokens.some((t) => t.id === r.card.tokenId))!;
      await stack.sim.sim.lifeEvent(resident.id, { type: 'move' });
      stack.clock.advance(3600_000);
      await stack.sim.sim.publishCrls();
      stack.sim.sim.refreshOcsp();
      expect((await runSweep(stack.platform.deps)).status).toBe('completed');
      const callback = new Promise<URL>((resolve) => {
        void page.route(`${rp.redirectUri}**`, async (route) => {
          resolve(new URL(route.request().url()));
          await route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the RP' });
        });
      });
      const started = await authorizationUrl(rp, { acr_values: 'urn:watashi:ac:jp:ial3-aal2' });
      await page.goto(started.url.href);
      // The provider hands the step-up to the wallet's step-up page, which says what the service
      // needs and offers the way that meets it (a passkey would not): re-prove with the card.
      await page.waitForURL('**/wallet/step-up?**', { timeout: 20_000 });
      expect(new URL(page.url()).searchParams.get('step_up')).toBe('proofing');
      await page.locator('#way-card_reproof').waitFor({ state: 'visible' });
      await checkPage(page, 'card-step-up', '00-step-up-ways');
      await page.click('#way-card_reproof');
      await page.waitForURL('**/wallet/reproof?**');
      expect(await visibleText(page, '#reproof-notice')).toContain('引っ越しまたは氏名の変更により');
      await page.locator(`#card-${r.card.tokenId}`).check();
      await page.fill('#card-pin', SIGN_PIN);
      await page.click('#card-submit');
      await page.locator('#to-service').waitFor({ state: 'visible', timeout: 20_000 });
      await checkPage(page, 'card-step-up', '01-reproofed');
      await page.click('#to-service');
      const approve = page.locator('#approve');
      const back = await Promise.race([
        callback,
        approve.waitFor({ state: 'visible', timeout: 20_000 }).then(async () => {
          await approve.click();
          return callback;
        }),
      ]);
      const claims = (await exchange(rp, started, back)).claims()!;
      expect(claims.sub).toBe(before);
      expect(claims.acr).toBe('urn:watashi:ac:jp:ial3-aal2');
      await page.unrouteAll({ behavior: 'ignoreErrors' });
    }, 90_000);
  });
}
