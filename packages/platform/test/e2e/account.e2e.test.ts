// The wallet's security, data and close pages in real Chromium against the real platform and
// simulator, on PostgreSQL (support.ts journeyEngines; issue 17): a resident signed in on two browser contexts signs out
// everywhere from one and the other is signed out; "download my data" saves valid JSON without a
// My Number; closing the Private ID asks for a fresh sign-in, then for the word shown on screen.
// Each page is checked with the shell's page check (axe, sizes, targets, screenshots under
// test-results/screens/account-<engine>/).
//
// The resident is enrolled and their passkey registered through the platform's API (the same code
// the enrol and passkey pages call); each browser context signs in with that passkey through the
// login API, with its own User-Agent, and carries the session cookie it got.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser as Chromium, type BrowserContext, type Page } from 'playwright-core';
import type { TestPlatform } from '../authn/support.ts';
import type { TestSim } from '../enrolment/support.ts';
import { passkeyResident, type PasskeyResident } from '../oidc/support.ts';
import type { RequestOptionsJSON } from '../support/soft-authenticator.ts';
import { SESSION_COOKIE } from '../../src/server/sessions.ts';
import { checkPage } from './page-check.ts';
import { CHROMIUM, CHROMIUM_ARGS, startStack, type Stack, journeyEngines } from './support.ts';

/** A browser context with one page, and the CSP violations and page errors it saw. */
interface Tab {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly problems: string[];
}

for (const engine of journeyEngines('postgres')) {
  describe(engine, () => {
    let stack: Stack;
    let chromiumBrowser: Chromium;
    let resident: PasskeyResident;
    const journey = `account-${engine}`;

    beforeAll(async () => {
      stack = await startStack(`account-e2e-${engine}`, engine);
      const p = { deps: stack.platform.deps, url: stack.base } as unknown as TestPlatform;
      const sim = { s: stack.sim, url: stack.simUrl, clock: stack.clock, dir: '' } as unknown as TestSim;
      resident = await passkeyResident(p, sim);
      chromiumBrowser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
      });
    }, 120_000);

    afterAll(async () => {
      await chromiumBrowser?.close();
      await stack?.close();
    });

    /** A fresh context (its own cookies), Japanese. */
    async function tab(): Promise<Tab> {
      const context = await chromiumBrowser.newContext({ locale: 'ja-JP', acceptDownloads: true });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      return { context, page, problems };
    }

    /** Signs the resident in with their passkey as `t`'s browser (its User-Agent) and sets the cookie. */
    async function signIn(t: Tab): Promise<void> {
      const userAgent = await t.page.evaluate(() => navigator.userAgent);
      const headers = { 'content-type': 'application/json', 'user-agent': userAgent };
      const o = await fetch(`${stack.base}/api/authn/passkeys/login/options`, {
        method: 'POST',
        headers,
        body: '{}',
      });
      const options = (await o.json()) as RequestOptionsJSON;
      const res = await fetch(`${stack.base}/api/authn/passkeys/login`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ response: resident.auth.get(options) }),
      });
      expect(res.status).toBe(200);
      const value = res.headers
        .getSetCookie()
        .find((c) => c.startsWith(`${SESSION_COOKIE}=`))!
        .split(';')[0]!
        .slice(SESSION_COOKIE.length + 1);
      await t.context.addCookies([{ name: SESSION_COOKIE, value, url: stack.base }]);
    }

    const h1 = async (page: Page): Promise<string> => {
      const l = page.locator('h1');
      await l.waitFor({ state: 'visible', timeout: 15_000 });
      return (await l.textContent()) ?? '';
    };

    /** `GET /api/me` from the page (its cookie): 200 signed in, 401 not. */
    const meStatus = (page: Page): Promise<number> =>
      page.evaluate(async () => (await fetch('/api/me', { cache: 'no-store' })).status);

    it('ok-sign-out-everywhere-from-one-browser-signs-the-other-out', async () => {
      const phone = await tab();
      const laptop = await tab();
      try {
        await phone.page.goto(`${stack.base}/wallet/settings`);
        await laptop.page.goto(`${stack.base}/wallet/settings`);
        await signIn(phone);
        await signIn(laptop);

        await laptop.page.goto(`${stack.base}/wallet/security`);
        expect(await h1(laptop.page)).toBe('サインインと端末');
        await phone.page.goto(`${stack.base}/wallet/security`);
        expect(await h1(phone.page)).toBe('サインインと端末');
        await phone.page.locator('#sessions li').first().waitFor();
        // Both browsers are listed as signed in; this one is marked, in words.
        const current = phone.page.locator('#sessions li[data-current="true"]');
        expect(await current.locator('h3').textContent()).toContain('この端末');
        expect(await current.textContent()).toContain('パスキー');
        expect(await phone.page.locator('#sessions li').count()).toBeGreaterThanOrEqual(2);
        expect(await phone.page.locator('#history li').count()).toBeGreaterThanOrEqual(2);
        await checkPage(phone.page, journey, '01-security');
        // The same page in English and in easy Japanese (remembered, so switched back after).
        await phone.page.goto(`${stack.base}/wallet/security?lang=en`);
        expect(await h1(phone.page)).toBe('Sign-ins and devices');
        await phone.page.locator('#sessions li').first().waitFor();
        expect(await phone.page.locator('#sessions li[data-current="true"] h3').textContent()).toContain(
          'This device',
        );
        await checkPage(phone.page, journey, '01b-security-en');
        await phone.page.goto(`${stack.base}/wallet/security?lang=ja-x-easy`);
        expect(await h1(phone.page)).toBe('サインインと たんまつ');
        await phone.page.locator('#sessions li').first().waitFor();
        await checkPage(phone.page, journey, '01c-security-easy');
        await phone.page.goto(`${stack.base}/wallet/security?lang=ja`);
        await phone.page.locator('#sessions li').first().waitFor();

        await phone.page.click('#sign-out-everywhere');
        await phone.page.locator('#signed-out-everywhere').waitFor();
        await checkPage(phone.page, journey, '02-signed-out-everywhere');
        expect(await meStatus(phone.page)).toBe(401);
        // The other browser is signed out as well.
        expect(await meStatus(laptop.page)).toBe(401);
        await laptop.page.reload();
        await h1(laptop.page);
        expect(await laptop.page.textContent('#signed-in-as')).toBe('サインインしていません');
        expect(phone.problems).toEqual([]);
        expect(laptop.problems).toEqual([]);
      } finally {
        await phone.context.close();
        await laptop.context.close();
      }
    });

    it('ok-download-my-data-saves-valid-json-without-a-my-number', async () => {
      const t = await tab();
      try {
        await t.page.goto(`${stack.base}/wallet/settings`);
        await signIn(t);
        await t.page.goto(`${stack.base}/wallet/data`);
        expect(await h1(t.page)).toBe('あなたのデータ');
        await checkPage(t.page, journey, '03-data');
        const [download] = await Promise.all([t.page.waitForEvent('download'), t.page.click('#download')]);
        expect(download.suggestedFilename()).toMatch(/^watashi-my-data-\d{4}-\d{2}-\d{2}\.json$/);
        const text = readFileSync(await download.path(), 'utf8');
        const data = JSON.parse(text) as Record<string, unknown>;
        expect(data['format']).toBe('watashi-account-export/1');
        expect((data['account'] as { id: string }).id).toBe(resident.accountId);
        expect(data['verifiedAttributes']).not.toBeNull();
        expect(text).not.toMatch(/"\d{12}"/);
        expect(text.toLowerCase()).not.toMatch(/my_?number"\s*:/);
        expect(t.problems).toEqual([]);
      } finally {
        await t.context.close();
      }
    });

    it('ok-close-asks-for-a-fresh-sign-in-then-the-word-on-screen', async () => {
      const t = await tab();
      try {
        await t.page.goto(`${stack.base}/wallet/settings`);
        await signIn(t);
        // The sign-in is more than 5 minutes old: the page says to sign in again.
        stack.clock.advance(6 * 60_000);
        await t.page.goto(`${stack.base}/wallet/close`);
        expect(await h1(t.page)).toBe('民間IDを閉鎖する');
        const button = t.page.getByRole('button', { name: '民間IDを閉鎖する' });
        expect(await button.isDisabled()).toBe(true);
        await t.page.fill('#confirm-close', '閉じる');
        expect(await button.isDisabled()).toBe(true);
        await t.page.fill('#confirm-close', '閉鎖');
        expect(await button.isDisabled()).toBe(false);
        await checkPage(t.page, journey, '04-close');
        await button.click();
        await t.page.locator('#reauth').waitFor();
        await checkPage(t.page, journey, '05-close-sign-in-again');
        expect(await meStatus(t.page)).toBe(200);

        // Signed in again: closing goes through.
        await signIn(t);
        await t.page.goto(`${stack.base}/wallet/close`);
        await h1(t.page);
        await t.page.fill('#confirm-close', '閉鎖');
        await t.page.getByRole('button', { name: '民間IDを閉鎖する' }).click();
        await t.page.locator('#closed').waitFor();
        await checkPage(t.page, journey, '06-closed');
        expect(await meStatus(t.page)).toBe(401);
        const account = await stack.platform.deps.db
          .selectFrom('accounts')
          .select('status')
          .where('id', '=', resident.accountId)
          .executeTakeFirstOrThrow();
        expect(account.status).toBe('closed');
        expect(t.problems).toEqual([]);
      } finally {
        await t.context.close();
      }
    });
  });
}
