// End to end in real Chromium: the wallet pages enrol a resident with a hosted card of the J-LIS
// simulator (the card client runs in the browser and talks to the simulator cross-origin),
// register a passkey with a CDP virtual authenticator, sign out and back in with it. On each
// database engine: one stack and one fresh browser (cookies and passkeys do not carry over).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { runSweep } from '../../src/lifecycle/index.ts';
import { ENGINES } from '../db/harness.ts';
import { launchBrowser, startStack, type Stack, type TestBrowser } from './support.ts';

const SIGN_PIN = 'DEMO2026';

let stack: Stack;
let browser: TestBrowser;
let page: Page;
const cards = { ok: '', wrongPin: '', revoked: '' };

/** Adds an adult resident with a card; returns the card's id. */
async function residentWithCard(name: string, birthDate: string): Promise<string> {
  const r = await stack.sim.sim.addResident({ name, birthDate, sex: '2' });
  const { card } = await stack.sim.sim.issueCard(r.id, { signPin: SIGN_PIN, authPin: '1234' });
  return card.tokenId;
}

/** Text of the first element matching `selector` once it is visible. */
async function visibleText(selector: string): Promise<string> {
  const l = page.locator(selector).first();
  await l.waitFor({ state: 'visible', timeout: 15_000 });
  return (await l.textContent()) ?? '';
}

/** Opens the enrolment page and waits until the document to sign is shown. */
async function openEnrol(): Promise<void> {
  await page.goto(`${stack.base}/wallet/enrol`);
  expect(await visibleText('#document-terms')).toContain('利用規約');
}

/** Types a card and a password and presses "sign". */
async function sign(cardId: string, pin: string): Promise<void> {
  await page.fill('#card-id', cardId);
  await page.fill('#sign-pin', pin);
  await page.click('#enrol-submit');
}

for (const engine of ENGINES) {
  describe(engine, () => {
    beforeAll(async () => {
      stack = await startStack(`wallet-e2e-${engine}`, engine);
      cards.ok = await residentWithCard('山田　花子', '1988-04-12');
      cards.wrongPin = await residentWithCard('佐藤　美咲', '2000-02-29');
      const lost = await residentWithCard('高橋　恵子', '1975-11-30');
      const holder = stack.sim.sim.listResidents().find((r) => r.tokens.some((t) => t.id === lost));
      if (holder === undefined) throw new Error('resident of the lost card not found');
      // Reported lost (certificateHold), then revoked: the card still answers, J-LIS says revoked.
      await stack.sim.sim.lifeEvent(holder.id, { type: 'lose' });
      await stack.sim.sim.lifeEvent(holder.id, { type: 'revoke-lost' });
      stack.sim.sim.refreshOcsp();
      cards.revoked = lost;
      browser = await launchBrowser();
      page = browser.page;
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await stack?.close();
    });

    describe('wallet pages in Chromium', () => {
      it('ok-enrol-with-card-then-passkey-sign-out-and-in', async () => {
        await openEnrol();
        // The simulator's cards are offered (GET /cards, cross-origin).
        await page.locator(`#card-list option[value="${cards.ok}"]`).waitFor({ state: 'attached' });
        expect(await page.textContent('#document-attributes')).toContain('氏名、住所、生年月日、性別');

        await sign(cards.ok, SIGN_PIN);
        expect(await visibleText('#done-level')).toContain('身元確認保証レベル 3');

        // Enrolment signed the browser in: the account page shows the proofing level.
        await page.click('#to-account');
        expect(await visibleText('#ial')).toContain('身元確認保証レベル 3');
        expect(await page.textContent('#account-facts')).toContain('署名用電子証明書');
        // The verified basic 4 information read from the card, shown to the resident.
        expect(await page.textContent('[data-attribute="name"]')).toBe('山田　花子');
        expect(await page.textContent('[data-attribute="dateOfBirth"]')).toBe('1988-04-12 (昭和)');
        expect(await page.textContent('#attributes')).toContain('女');

        // Register a passkey (the virtual authenticator answers), then see it listed.
        await page.goto(`${stack.base}/wallet/passkeys`);
        await page.locator('#passkeys').waitFor({ state: 'visible' });
        await page.fill('#passkey-label', 'e2e laptop');
        await page.click('#passkey-register');
        expect(await visibleText('#authenticator-list li')).toContain('e2e laptop');
        const creds = (await browser.cdp.send('WebAuthn.getCredentials', {
          authenticatorId: browser.authenticatorId,
        })) as { credentials: Array<{ isResidentCredential: boolean; rpId: string }> };
        expect(creds.credentials).toHaveLength(1);
        expect(creds.credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });

        // Sign out from the account page.
        await page.goto(`${stack.base}/wallet/account`);
        expect(await visibleText('#authenticators')).toContain('e2e laptop');
        await page.click('#logout');
        await page.waitForURL('**/wallet/login');
        await page.goto(`${stack.base}/wallet/account`);
        expect(await visibleText('#signed-out')).toContain('サインインしていません');

        // Sign back in with the passkey.
        await page.goto(`${stack.base}/wallet/login`);
        await page.click('#login-passkey');
        await page.waitForURL('**/wallet/account');
        expect(await visibleText('#ial')).toContain('身元確認保証レベル 3');
        const session = await page.textContent('#session-facts');
        expect(session).toContain('パスキー');
        expect(session).toMatch(/amr.*hwk|amr.*user|amr.*pop/s);
      });

      it('ok-enrol-with-consent-to-latest-basic-4-registers-it-at-jlis', async () => {
        const card = await residentWithCard('中村　陽子', '1992-07-07');
        await openEnrol();
        const plainNonce = await page.textContent('#document dd code');
        await page.check('#consent-latest');
        // A new document pair is issued; the consent is shown from the bytes that will be signed.
        expect(await visibleText('#consent-document')).toContain('jlis-sim/basic4-consent');
        await expect.poll(() => page.textContent('#document dd code')).not.toBe(plainNonce);
        await sign(card, SIGN_PIN);
        expect(await visibleText('#done-consent')).toContain('同意を J-LIS に登録しました');
        const me = await page.evaluate(
          async () => (await fetch('/api/me')).json() as Promise<{ account: { id: string } }>,
        );
        const consents = await stack.platform.deps.db
          .selectFrom('consents')
          .select(['jlis_reference', 'withdrawn_at'])
          .where('account_id', '=', me.account.id)
          .execute();
        expect(consents).toHaveLength(1);
        expect(consents[0]!.jlis_reference).not.toBeNull();
        expect(consents[0]!.withdrawn_at).toBeNull();
        await page.goto(`${stack.base}/wallet/account`);
        expect(await visibleText('#notices')).toContain('お知らせはありません');

        // She moves: J-LIS revokes the certificate; the sweep fetches the new address under her
        // consent, and the account page tells her so and shows it.
        const resident = stack.sim.sim.listResidents().find((r) => r.name === '中村　陽子')!;
        await stack.sim.sim.lifeEvent(resident.id, { type: 'move', address: '東京都四日市町１－２－３' });
        await stack.sim.sim.publishCrls();
        expect((await runSweep(stack.platform.deps)).status).toBe('completed');
        await page.goto(`${stack.base}/wallet/account`);
        const notice = page.locator('#notices li[data-notice-kind="attributes_updated"]');
        await notice.waitFor({ state: 'visible', timeout: 15_000 });
        expect(await notice.textContent()).toContain('J-LIS');
        expect(await visibleText('[data-attribute="address"]')).toBe('東京都四日市町１－２－３');
      });

      it('fail-wrong-password-shows-remaining-tries', async () => {
        await openEnrol();
        await sign(cards.wrongPin, 'WRONG99');
        const error = await visibleText('#error');
        expect(error).toContain('残り4回');
        expect(error).toContain('4 tries left');
        expect(await page.textContent('#error [data-error-code]')).toBe('card_pin_incorrect');
        // The page asks the card again (an empty VERIFY uses no try) and shows the count.
        await expect.poll(() => page.textContent('#pin-tries')).toContain('残り回数: 4回');
        expect(await stack.sim.sim.cardOp((c) => c.pinStatus(cards.wrongPin))).toMatchObject({ sign: 4 });
        expect(await page.inputValue('#sign-pin')).toBe('');
      });

      it('fail-revoked-card-shows-the-error-code', async () => {
        await openEnrol();
        const nonce = await page.textContent('#document dd code');
        await sign(cards.revoked, SIGN_PIN);
        expect(await visibleText('#error [data-error-code]')).toBe('enrolment_certificate_revoked');
        expect(await page.textContent('#error')).toContain('失効しています');
        // A refused document is not offered again: a fresh one (another nonce) is shown.
        await expect.poll(() => page.textContent('#document dd code')).not.toBe(nonce);
      });

      it('fail-unknown-card-shows-the-error-code', async () => {
        await openEnrol();
        await sign('cd-nosuchcard0', SIGN_PIN);
        expect(await visibleText('#error [data-error-code]')).toBe('card_not_found');
      });

      it('ok-no-csp-violation-or-script-error', async () => {
        const res = await page.goto(`${stack.base}/wallet/enrol`);
        const csp = res?.headers()['content-security-policy'] ?? '';
        expect(csp).toMatch(/script-src 'self'/);
        expect(csp).toContain(`connect-src 'self' ${new URL(stack.simUrl).origin}`);
        await page.locator('body[data-ready]').waitFor({ state: 'attached' });
        expect(browser.problems).toEqual([]);
      });

      it('ok-close-the-account-only-after-confirming-then-signed-out-for-good', async () => {
        const card = await residentWithCard('伊藤　直子', '1990-07-07');
        await openEnrol();
        await sign(card, SIGN_PIN);
        expect(await visibleText('#done-level')).toContain('身元確認保証レベル 3');
        await page.click('#to-account');
        expect(await visibleText('#ial')).toContain('身元確認保証レベル 3');
        const meStatus = (): Promise<number> =>
          page.evaluate(async () => (await fetch('/api/me', { credentials: 'same-origin' })).status);

        // The confirmation dismissed: nothing is sent, the account stays.
        const dismissed = page.waitForEvent('dialog').then((d) => d.dismiss());
        await page.click('#close-account');
        await dismissed;
        expect(await meStatus()).toBe(200);
        expect(await page.isVisible('#account')).toBe(true);

        // Confirmed: closed, the session ended with it.
        const accepted = page.waitForEvent('dialog').then((d) => d.accept());
        await page.click('#close-account');
        await accepted;
        await page.locator('#status', { hasText: '閉鎖しました' }).waitFor({ timeout: 15_000 });
        expect(await page.isVisible('#account')).toBe(false);
        expect(await meStatus()).toBe(401);
        await page.goto(`${stack.base}/wallet/account`);
        expect(await visibleText('#signed-out')).toContain('サインインしていません');
        expect(browser.problems).toEqual([]);
      });
    });
  });
}
