// The wallet shell in real Chromium against the real platform (PGlite; the shell's pages read no
// table of their own): served at /wallet/ under the strict CSP, the language switch remembered
// across reloads and `ui_locales` honoured, the larger-text setting, the error pages in the
// resident's language, and the service worker's offline page. One stack and one browser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { checkPage } from './page-check.ts';
import { launchBrowser, startStack, type Stack, type TestBrowser } from './support.ts';

let stack: Stack;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  stack = await startStack('wallet-shell-e2e');
  browser = await launchBrowser();
  page = browser.page;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const h1 = async (): Promise<string> => {
  const l = page.locator('h1');
  await l.waitFor({ state: 'visible', timeout: 15_000 });
  return (await l.textContent()) ?? '';
};

describe('wallet shell in Chromium', () => {
  it('ok-root-lands-on-the-wallet-home-under-a-strict-csp', async () => {
    const res = await page.goto(`${stack.base}/`);
    expect(page.url()).toBe(`${stack.base}/wallet/`);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/style-src 'self'(;|$)/);
    expect(csp).toContain(`connect-src 'self' ${new URL(stack.simUrl).origin}`);
    expect(await h1()).toBe('民間ID');
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    // The hosted cards' URL reaches the app in a meta element, not an inline script.
    expect(await page.getAttribute('meta[name="watashi-hosted-cards-url"]', 'content')).toBe(stack.simUrl);
    expect(await page.locator('script:not([src])').count()).toBe(0);
    // The production build, the one residents get: no development JSX runtime carrying the build
    // machine's source paths (Vitest's NODE_ENV=test once gave the suites that build).
    const bundle = await page.evaluate(async () => {
      const src = document.querySelector<HTMLScriptElement>('script[type="module"][src]')?.src ?? '';
      return (await fetch(src)).text();
    });
    expect(bundle.length).toBeGreaterThan(1000);
    expect(bundle).not.toMatch(/jsxDEV|lineNumber|\/packages\/wallet\/src\//);
    await expect.poll(() => page.textContent('#signed-in-as')).toBe('サインインしていません');
    await checkPage(page, 'shell', '01-home');
    expect(browser.problems).toEqual([]);
  });

  it('ok-phone-menu-folds-the-navigation-behind-an-accessible-button', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${stack.base}/wallet/help`);
    const button = page.locator('#menu-button');
    const list = page.locator('#site-nav-list');
    await button.waitFor({ state: 'visible', timeout: 15_000 });
    // Folded: the header leaves the page most of the screen.
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    expect(await button.getAttribute('aria-controls')).toBe('site-nav-list');
    expect(await list.isVisible()).toBe(false);
    const header = (await page.locator('header.site').boundingBox())!;
    expect(header.height).toBeLessThan(844 / 5);
    await checkPage(page, 'shell', '00-menu-closed', { sizes: ['phone'] });
    // Opened by the button; its links are reachable next with the keyboard.
    await button.click();
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    await list.waitFor({ state: 'visible' });
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('href'))).toBe('/wallet/');
    await checkPage(page, 'shell', '00-menu-open', { sizes: ['phone'] });
    // Escape folds it and gives the focus back to the button.
    await page.keyboard.press('Escape');
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    expect(await list.isVisible()).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('menu-button');
    // Following a link folds it too.
    await button.click();
    await page.click('#site-nav-list a[href="/wallet/settings"]');
    await page.waitForURL('**/wallet/settings');
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    // A desktop shows every entry and no button.
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await button.isVisible()).toBe(false);
    expect(await list.isVisible()).toBe(true);
  });

  it('ok-language-switch-persists-across-reload-and-ui-locales-is-honoured', async () => {
    await page.goto(`${stack.base}/wallet/`);
    await page.selectOption('#language', 'en');
    await expect.poll(h1).toBe('Private ID');
    await expect.poll(() => page.getAttribute('html', 'lang')).toBe('en');
    await page.reload();
    expect(await h1()).toBe('Private ID');
    expect(await page.inputValue('#language')).toBe('en');
    await checkPage(page, 'shell', '02-home-en');

    // ui_locales (OpenID Connect) picks the first supported tag, and is remembered.
    await page.goto(`${stack.base}/wallet/?ui_locales=fr ja-x-easy`);
    await expect.poll(() => page.textContent('#signed-in-as')).toBe('サインイン して いません');
    await page.goto(`${stack.base}/wallet/settings`);
    expect(await h1()).toBe('せってい');
    await checkPage(page, 'shell', '03-settings-easy');
    await page.check('#lang-ja');
    await expect.poll(h1).toBe('設定');
    await page.reload();
    expect(await h1()).toBe('設定');
  });

  it('ok-larger-text-is-remembered', async () => {
    await page.goto(`${stack.base}/wallet/settings`);
    const size = (): Promise<number> =>
      page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    expect(await size()).toBe(18);
    await page.check('#text-large');
    await expect.poll(size).toBe(22.5);
    await page.reload();
    await h1();
    expect(await size()).toBe(22.5);
    await checkPage(page, 'shell', '04-settings-large');
    await page.check('#text-normal');
    await expect.poll(size).toBe(18);
  });

  it('ok-error-pages-in-the-residents-language-with-a-way-back', async () => {
    const missing = await page.goto(`${stack.base}/no/such/page`);
    expect(missing?.status()).toBe(404);
    expect(await h1()).toBe('ページが見つかりません');
    await checkPage(page, 'shell', '05-not-found');
    await page.goto(`${stack.base}/wallet/no-such-page`);
    expect(await h1()).toBe('ページが見つかりません');
    await page.click('a:has-text("ホームに戻る")');
    await expect.poll(h1).toBe('民間ID');
    for (const [kind, title] of [
      ['expired', '時間切れになりました'],
      ['unknown-service', 'このサービスは登録されていません'],
      ['server', 'サーバーで問題が起きました'],
    ] as const) {
      await page.goto(`${stack.base}/wallet/error/${kind}`);
      expect(await h1()).toBe(title);
      await checkPage(page, 'shell', `06-error-${kind}`);
    }
    // An API client still gets a problem document, never a page.
    const api = await page.evaluate(async () => {
      const r = await fetch('/api/no-such', { headers: { accept: 'application/json' } });
      return { status: r.status, type: r.headers.get('content-type') };
    });
    expect(api).toEqual({ status: 404, type: 'application/problem+json; charset=utf-8' });
  });

  it('ok-help-says-what-to-do-when-the-card-is-lost-locked-expired-or-renewed', async () => {
    await page.goto(`${stack.base}/wallet/help`);
    expect(await h1()).toBe('ヘルプ');
    const text = (await page.textContent('main')) ?? '';
    expect(text).toContain('5回続けて間違えるとロック');
    expect(text).toContain('市区町村の窓口');
    for (const id of ['lost', 'locked', 'expired', 'renewed', 'passkeys'])
      expect(await page.isVisible(`#help-${id}`), id).toBe(true);
    expect(await page.locator('#glossary dt').count()).toBeGreaterThanOrEqual(10);
    await checkPage(page, 'shell', '08-help');
    await page.selectOption('#language', 'ja-x-easy');
    await expect.poll(h1).toBe('たすけ（ヘルプ）');
    await checkPage(page, 'shell', '09-help-easy');
    await page.selectOption('#language', 'ja');
    await expect.poll(h1).toBe('ヘルプ');
  });

  it('ok-offline-the-shell-loads-from-the-service-worker-and-says-so', async () => {
    await page.goto(`${stack.base}/wallet/`);
    await h1();
    // The service worker has installed (precached the build) and controls the page.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await page.reload();
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);

    await browser.context.setOffline(true);
    try {
      await page.goto(`${stack.base}/wallet/`);
      expect(await h1()).toBe('インターネットに接続されていません');
      expect(await page.isVisible('#offline-banner')).toBe(true);
      await checkPage(page, 'shell', '07-offline');
      // Help and settings need no network: each opened offline in a tab of its own. Not by
      // navigating the offline page's tab: under DevTools' offline emulation Chromium can fire
      // `offline` then `online` at a page, the offline page reloads on `online` (as it must when
      // the network really comes back), and on a busy machine that reload replaced the navigation.
      // Recorded with CDP (Page.frameStartedNavigating: a `reload` right after the `goto`).
      for (const [path, title] of [
        ['settings', '設定'],
        ['help', 'ヘルプ'],
      ] as const) {
        const tab = await browser.context.newPage();
        try {
          await tab.goto(`${stack.base}/wallet/${path}`);
          const heading = tab.locator('h1');
          await heading.waitFor({ state: 'visible', timeout: 15_000 });
          expect(await heading.textContent()).toBe(title);
        } finally {
          await tab.close();
        }
      }
    } finally {
      await browser.context.setOffline(false);
    }
    expect(browser.problems).toEqual([]);
  });
});
