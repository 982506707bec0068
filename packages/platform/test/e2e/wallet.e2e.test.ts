// End to end in real Chromium: the wallet (packages/wallet) enrols a resident with a hosted card
// of the J-LIS simulator (the card client runs in the browser and talks to the simulator
// cross-origin), registers a passkey with a CDP virtual authenticator, renames and revokes, signs
// out and back in. Each screen passes the page check (page-check.ts: axe, sizes, screenshots under
// test-results/screens/wallet-<engine>/). On each database engine: one stack and one fresh browser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { runSweep } from '../../src/lifecycle/index.ts';
import { checkPage } from './page-check.ts';
import { launchBrowser, startStack, type Stack, type TestBrowser, journeyEngines } from './support.ts';

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

/** The nonce of the document shown (kept in an attribute, never on screen). */
const shownNonce = (): Promise<string | null> => page.getAttribute('#document', 'data-nonce');

/** Types a card and a password and presses "sign". */
async function sign(cardId: string, pin: string): Promise<void> {
  await page.fill('#card-id', cardId);
  await page.fill('#sign-pin', pin);
  await page.click('#enrol-submit');
}

for (const engine of journeyEngines('pglite')) {
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
        const journey = `wallet-${engine}`;
        await openEnrol();
        // The simulator's cards are offered (GET /cards, cross-origin).
        await page.locator(`#card-list option[value="${cards.ok}"]`).waitFor({ state: 'attached' });
        expect(await page.textContent('#document-attributes')).toContain('氏名、住所、生年月日、性別');
        await checkPage(page, journey, '01-enrol');

        await sign(cards.ok, SIGN_PIN);
        expect(await visibleText('#done-level')).toContain('レベル3');
        await checkPage(page, journey, '02-enrolled');

        // Enrolment signed the browser in: the account page shows the level in words.
        await page.click('#to-account');
        expect(await visibleText('#ial')).toContain('レベル3');
        expect(await page.getAttribute('#ial', 'data-level')).toBe('3');
        await expect.poll(() => page.textContent('#signed-in-as')).toBe('山田　花子 さんでサインイン中');
        // The verified basic 4 information read from the card; the date in the Japanese calendar.
        expect(await visibleText('[data-attribute="name"]')).toBe('山田　花子');
        expect(await page.textContent('[data-attribute="dateOfBirth"]')).toBe('昭和63年4月12日 (1988年)');
        expect(await page.textContent('[data-attribute="sex"]')).toBe('女性');
        expect(await page.textContent('#account-facts')).toContain('有効');
        const words = (await page.textContent('main')) ?? '';
        expect(words).not.toMatch(/urn:|ial|aal|acr|amr|hwk|code:/i);
        await checkPage(page, journey, '03-account');

        // Register a passkey (the virtual authenticator answers), then see it listed.
        await page.click('nav a[href="/wallet/passkeys"]');
        await page.locator('#passkeys').waitFor({ state: 'visible' });
        await page.fill('#passkey-label', 'e2e laptop');
        await page.click('#passkey-register');
        expect(await visibleText('#authenticator-list li')).toContain('e2e laptop');
        const creds = (await browser.cdp.send('WebAuthn.getCredentials', {
          authenticatorId: browser.authenticatorId,
        })) as { credentials: Array<{ isResidentCredential: boolean; rpId: string }> };
        expect(creds.credentials).toHaveLength(1);
        expect(creds.credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
        await checkPage(page, journey, '04-passkeys');

        // Rename it.
        await page.click('#authenticator-list li button:has-text("名前を変える")');
        const rename = page.locator('#authenticator-list li input');
        await rename.fill('自宅のパソコン');
        await page.click('#authenticator-list li button[type="submit"]');
        await expect.poll(() => page.textContent('#authenticator-list li h3')).toBe('自宅のパソコン');
        expect(await visibleText('#status')).toContain('自宅のパソコン');

        // Sign out from the account page.
        await page.goto(`${stack.base}/wallet/account`);
        expect(await visibleText('#authenticators')).toContain('自宅のパソコン');
        await page.click('#logout');
        await page.waitForURL('**/wallet/login');
        await page.goto(`${stack.base}/wallet/account`);
        expect(await visibleText('#signed-out')).toContain('サインインしていません');

        // Sign back in with the passkey.
        await page.goto(`${stack.base}/wallet/login`);
        await checkPage(page, journey, '05-login');
        await page.click('#login-passkey');
        await page.waitForURL('**/wallet/account');
        expect(await visibleText('#ial')).toContain('レベル3');
        const me = await page.evaluate(
          async () => (await fetch('/api/me')).json() as Promise<{ session: { amr: string[] } }>,
        );
        expect(me.session.amr).toEqual(expect.arrayContaining(['pop', 'user']));
      });

      it('ok-revoking-the-last-passkey-asks-first-then-signs-this-browser-out', async () => {
        await page.goto(`${stack.base}/wallet/passkeys`);
        const item = page.locator('#authenticator-list li').first();
        await item.waitFor({ state: 'visible' });
        // Dismissed: nothing revoked.
        const messages: string[] = [];
        page.once('dialog', (d) => {
          messages.push(d.message());
          void d.dismiss();
        });
        await item.locator('button:has-text("使えなくする")').click();
        await expect.poll(() => messages.length).toBe(1);
        expect(messages[0]).toContain('マイナンバーカードでしかサインインできません');
        expect(await page.locator('#authenticator-list li').count()).toBe(1);
        // Accepted: revoked; the session was opened with it, so this browser is signed out.
        page.once('dialog', (d) => void d.accept());
        await item.locator('button:has-text("使えなくする")').click();
        await page.waitForURL('**/wallet/login');
        const status = await page.evaluate(async () => (await fetch('/api/me')).status);
        expect(status).toBe(401);
      });

      it('ok-enrol-with-consent-to-latest-basic-4-registers-it-at-jlis', async () => {
        const card = await residentWithCard('中村　陽子', '1992-07-07');
        await openEnrol();
        const plainNonce = await shownNonce();
        await page.check('#consent-latest');
        // A new document pair is issued; the consent is shown from the bytes that will be signed.
        expect(await visibleText('#consent-document')).toContain('jlis-sim/basic4-consent');
        await expect.poll(shownNonce).not.toBe(plainNonce);
        await checkPage(page, `wallet-${engine}`, '06-enrol-with-consent');
        await sign(card, SIGN_PIN);
        expect(await visibleText('#done-consent')).toContain('同意を登録しました');
        // After the passkey, sign-in with the card (its 4-digit PIN) is offered for next time.
        expect(await page.locator('#card-binding').count()).toBe(0);
        await page.click('#register-passkey');
        expect(await visibleText('#card-binding h2')).toContain('カードでもサインインできる');
        await page.locator(`#card-${card}`).check();
        await expect.poll(() => page.textContent('#pin-tries')).toContain('あと3回');
        await checkPage(page, `wallet-${engine}`, '06b-enrolled-card-offer');
        await page.fill('#card-pin', '1234');
        await page.click('#card-submit');
        await page.locator('#card-bound').waitFor({ state: 'visible', timeout: 45_000 });
        expect(await page.textContent('#card-bound')).toContain('カードでのサインインを設定しました');
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
        expect(await notice.textContent()).toMatch(/令和\d+年|平成\d+年/);
        expect(await visibleText('[data-attribute="address"]')).toBe('東京都四日市町１－２－３');
        await checkPage(page, `wallet-${engine}`, '07-account-notice');
      });

      it('fail-wrong-password-shows-remaining-tries', async () => {
        await openEnrol();
        await sign(cards.wrongPin, 'WRONG99');
        const error = await visibleText('#error');
        expect(error).toContain('残りは4回');
        expect(error).not.toContain('card_pin_incorrect'); // the code is never shown
        expect(await page.getAttribute('#error', 'data-error-code')).toBe('card_pin_incorrect');
        expect(await page.getAttribute('#sign-pin', 'aria-invalid')).toBe('true');
        // The page asks the card again (an empty VERIFY uses no try) and shows the count.
        await expect.poll(() => page.textContent('#pin-tries')).toContain('残り回数: 4回');
        await checkPage(page, `wallet-${engine}`, '08-wrong-password');
        expect(await stack.sim.sim.cardOp((c) => c.pinStatus(cards.wrongPin))).toMatchObject({ sign: 4 });
        expect(await page.inputValue('#sign-pin')).toBe('');
      });

      it('fail-revoked-card-shows-the-error-code', async () => {
        await openEnrol();
        const nonce = await shownNonce();
        await sign(cards.revoked, SIGN_PIN);
        expect(await visibleText('#error')).toContain('使えなくなっています');
        expect(await page.getAttribute('#error', 'data-error-code')).toBe('enrolment_certificate_revoked');
        // A refused document is not offered again: a fresh one (another nonce) is shown.
        await expect.poll(shownNonce).not.toBe(nonce);
      });

      it('fail-unknown-card-shows-the-error-code', async () => {
        await openEnrol();
        await sign('cd-nosuchcard0', SIGN_PIN);
        expect(await visibleText('#error')).toContain('カードが見つかりません');
        expect(await page.getAttribute('#error', 'data-error-code')).toBe('card_not_found');
      });

      it('ok-no-csp-violation-or-script-error', async () => {
        const res = await page.goto(`${stack.base}/wallet/enrol`);
        const csp = res?.headers()['content-security-policy'] ?? '';
        expect(csp).toMatch(/script-src 'self'/);
        expect(csp).toContain(`connect-src 'self' ${new URL(stack.simUrl).origin}`);
        await page.locator('#document-terms').waitFor({ state: 'visible' });
        expect(await page.locator('script:not([src])').count()).toBe(0);
        expect(browser.problems).toEqual([]);
      });
    });
  });
}
