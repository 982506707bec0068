// Recovery with the My Number card in real Chromium (issue 17), on PGlite (support.ts journeyEngines): the
// wallet's card pages drive a hosted card of the J-LIS simulator from the browser (cross-origin,
// the real JpkiCardClient) against the real platform.
// - every passkey lost → login page → recovery → card sign-in (a wrong PIN says the tries left) →
//   the "no passkey left" state → a new passkey (CDP virtual authenticator);
// - card sign-in not set up → the signing password finds the account → new passkey and card;
// - the card pages in English and やさしい日本語; a locked PIN → the municipal office.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SoftAuthenticator, type CreationOptionsJSON } from '../support/soft-authenticator.ts';
import {
  AUTH_PIN,
  enrolledWithCard,
  launchBrowser,
  SIGN_PIN,
  startStack,
  visibleText,
  waitForText,
  type Stack,
  type TestBrowser,
  journeyEngines,
} from './support.ts';
import { checkPage } from './page-check.ts';

let stack: Stack;
let browser: TestBrowser;
let page: Page;

for (const engine of journeyEngines('pglite')) {
  describe(engine, () => {
    beforeAll(async () => {
      stack = await startStack(`card-recovery-e2e-${engine}`, engine);
      browser = await launchBrowser();
      page = browser.page;
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await stack?.close();
    });

    it('ok-lost-every-passkey-card-sign-in-then-a-new-passkey', async () => {
      const r = await enrolledWithCard(stack, '佐藤　美咲', '2000-02-29');
      // A passkey on the old phone, then lost: revoked from the account.
      const phone = new SoftAuthenticator(stack.base);
      const o = await r.client.post('/api/authn/passkeys/registration/options');
      const reg = await r.client.post('/api/authn/passkeys/registration', {
        response: phone.create(o.body as unknown as CreationOptionsJSON).response,
      });
      expect(reg.status).toBe(201);
      const revoked = await r.client.post(`/api/authn/authenticators/${reg.body['id'] as string}/revoke`, {
        force: true,
      });
      expect(revoked.status).toBe(200);
      // A fresh browser profile (the new phone): from the login page to recovery, then the card.
      await browser.context.clearCookies();
      await page.goto(`${stack.base}/wallet/login`);
      await page.click('#to-recover');
      await page.waitForURL('**/wallet/recover');
      await checkPage(page, 'card-recover', '01-recover');
      await page.click('#recover-card-login');
      await page.waitForURL('**/wallet/card-login**');
      // A wrong PIN says how many tries remain (the user-authentication PIN has 3).
      await page.locator(`#card-${r.card.tokenId}`).check();
      expect(await visibleText(page, '#pin-tries')).toContain('あと3回');
      await page.fill('#card-pin', '9999');
      await page.click('#card-submit');
      await waitForText(page, '#error', 'あと2回');
      await checkPage(page, 'card-recover', '02-wrong-pin');
      await page.fill('#card-pin', AUTH_PIN);
      await page.click('#card-submit');
      await page.waitForURL('**/wallet/recover');
      // Signed in with the card, the passkeys page says no passkey is left and where to go.
      await page.goto(`${stack.base}/wallet/passkeys`);
      expect(await visibleText(page, '#no-passkey-left')).toContain('パスキーがありません');
      await checkPage(page, 'card-recover', '03-no-passkey-left');
      await page.click('#no-passkey-left a');
      await page.waitForURL('**/wallet/recover');
      await page.click('#register-passkey');
      expect(await visibleText(page, '#recover-done')).toContain('このパスキーでサインインできます');
      await checkPage(page, 'card-recover', '04-new-passkey');
      const creds = (await browser.cdp.send('WebAuthn.getCredentials', {
        authenticatorId: browser.authenticatorId,
      })) as { credentials: unknown[] };
      expect(creds.credentials.length).toBeGreaterThanOrEqual(1);
      const list = await page.evaluate(async () => {
        const res = await fetch('/api/authn/authenticators');
        return (await res.json()) as { authenticators: Array<{ type: string; accountId?: string }> };
      });
      expect(list.authenticators.filter((a) => a.type === 'passkey')).toHaveLength(1);
      expect(browser.problems).toEqual([]);
    }, 120_000);

    it('ok-card-sign-in-not-set-up-signing-password-finds-the-account-new-passkey-and-card', async () => {
      const r = await enrolledWithCard(stack, '中村　陽子', '1992-07-07', false);
      await browser.context.clearCookies();
      await page.goto(`${stack.base}/wallet/card-login`);
      await page.locator(`#card-${r.card.tokenId}`).check();
      await page.fill('#card-pin', AUTH_PIN);
      await page.click('#card-submit');
      // Not set up: said in words, with the way on.
      await waitForText(page, '#error', 'まだ設定されていません');
      await checkPage(page, 'card-not-set-up', '01-card-login');
      await page.click('#to-recover');
      await page.waitForURL('**/wallet/recover');
      await page.locator(`#card-${r.card.tokenId}`).check();
      await page.fill('#card-pin', SIGN_PIN.toLowerCase());
      await page.click('#card-submit');
      // The enrolment signature found the same account and signed the browser in.
      await page.locator('#register-passkey').waitFor({ state: 'visible', timeout: 45_000 });
      expect(await page.locator('#recover-new-account').count()).toBe(0);
      const me = await page.evaluate(
        async () => ((await (await fetch('/api/me')).json()) as { account: { id: string } }).account.id,
      );
      expect(me).toBe(r.accountId);
      await checkPage(page, 'card-not-set-up', '02-signed-in');
      await page.click('#register-passkey');
      await page.locator('#recover-done').waitFor({ state: 'visible', timeout: 45_000 });
      // Card sign-in for next time, with the 4-digit PIN.
      await page.locator(`#card-${r.card.tokenId}`).check();
      await page.fill('#card-pin', AUTH_PIN);
      await page.click('#card-submit');
      await waitForText(page, '#card-bound', 'カードでのサインインを設定しました');
      await checkPage(page, 'card-not-set-up', '03-done');
      const types = await page.evaluate(async () =>
        (
          (await (await fetch('/api/authn/authenticators')).json()) as {
            authenticators: Array<{ type: string }>;
          }
        ).authenticators
          .map((a) => a.type)
          .sort(),
      );
      expect(types).toEqual(['card_auth', 'passkey']);
    }, 120_000);

    it('ok-card-pages-in-english-and-easy-japanese', async () => {
      await browser.context.clearCookies();
      await page.goto(`${stack.base}/wallet/card-login?lang=en`);
      expect(await visibleText(page, 'h1')).toBe('Sign in with your My Number card');
      await checkPage(page, 'card-languages', '01-card-login-en');
      await page.goto(`${stack.base}/wallet/recover?lang=ja-x-easy`);
      expect(await visibleText(page, 'h1')).toBe('パスキーを なくした とき');
      await checkPage(page, 'card-languages', '02-recover-easy');
      await page.goto(`${stack.base}/wallet/reproof?lang=ja`);
      expect(await visibleText(page, '#signed-out-reproof')).toContain('まずサインインしてください');
      await checkPage(page, 'card-languages', '03-reproof-signed-out');
    }, 120_000);

    it('fail-locked-pin-sends-the-resident-to-the-municipal-office', async () => {
      const r = await enrolledWithCard(stack, '高橋　恵子', '1975-11-30');
      await browser.context.clearCookies();
      await page.goto(`${stack.base}/wallet/card-login`);
      await page.locator(`#card-${r.card.tokenId}`).check();
      for (const left of [2, 1]) {
        await page.fill('#card-pin', '0000');
        await page.click('#card-submit');
        await waitForText(page, '#error', `あと${left}回`);
      }
      await page.fill('#card-pin', '0000');
      await page.click('#card-submit');
      await waitForText(page, '#error', '市区町村の窓口');
      // The card is read again: the PIN is locked, and nothing more can be tried here.
      expect(await visibleText(page, '#pin-tries')).toContain('ロックされています');
      expect(await page.locator('#card-submit').isDisabled()).toBe(true);
      await checkPage(page, 'card-login', '01-locked');
    }, 120_000);
  });
}
