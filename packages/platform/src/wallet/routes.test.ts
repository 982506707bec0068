import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { parsePlatformConfig } from '../config.ts';
import { CLAIMS } from '../oidc/claims.ts';
import { escapeHtml, walletPage } from './pages.ts';
import {
  canonicalPageUrl,
  hostedCardsUrl,
  ipPublicUrlWarning,
  registerWalletRoutes,
  withConnectSrc,
} from './routes.ts';

const config = (extra: Record<string, unknown> = {}) =>
  parsePlatformConfig({
    logLevel: 'silent',
    jlis: { kind: 'simulator', url: 'http://127.0.0.1:8790/' },
    ...extra,
  });

describe('configuration', () => {
  it('ok-hosted-cards-default-to-the-simulator', () => {
    expect(hostedCardsUrl(config())).toBe('http://127.0.0.1:8790');
    expect(hostedCardsUrl(config({ wallet: { hostedCardsUrl: 'https://sim.example/' } }))).toBe(
      'https://sim.example',
    );
    const standard = config({
      jlis: { kind: 'standard', ocspUrl: 'http://o.example/', crlUrls: ['http://c.example/a.crl'] },
    });
    expect(hostedCardsUrl(standard)).toBeUndefined();
  });

  it('fail-unknown-wallet-option', () => {
    expect(() => config({ wallet: { cards: 'x' } })).toThrow(/wallet/);
  });
});

describe('CSP and URLs', () => {
  it('ok-connect-src-gets-the-origin-once', () => {
    const csp = "default-src 'self';connect-src 'self';frame-ancestors 'none'";
    expect(withConnectSrc(csp, 'http://sim.example')).toBe(
      "default-src 'self'; connect-src 'self' http://sim.example; frame-ancestors 'none'",
    );
    expect(withConnectSrc("connect-src 'self' http://sim.example", 'http://sim.example')).toBe(
      "connect-src 'self' http://sim.example",
    );
    expect(withConnectSrc("default-src 'self'", 'http://sim.example')).toBe(
      "default-src 'self'; connect-src 'self' http://sim.example",
    );
  });

  it('ok-loopback-ip-redirects-to-localhost-only', () => {
    const pub = 'http://localhost:8780';
    expect(canonicalPageUrl(pub, '127.0.0.1:8780', '/wallet/enrol?x=1')).toBe(
      'http://localhost:8780/wallet/enrol?x=1',
    );
    expect(canonicalPageUrl(pub, '[::1]:8780', '/')).toBe('http://localhost:8780/');
    expect(canonicalPageUrl(pub, '127.0.0.1:8780', '//evil.example/x')).toBe('http://localhost:8780/');
    expect(canonicalPageUrl(pub, 'localhost:8780', '/')).toBeUndefined();
    expect(canonicalPageUrl(pub, '127.0.0.1:9999', '/')).toBeUndefined();
    expect(canonicalPageUrl('https://id.example', '127.0.0.1', '/')).toBeUndefined();
    expect(canonicalPageUrl(undefined, '127.0.0.1:8780', '/')).toBeUndefined();
  });

  it('ok-ip-public-url-warns', () => {
    expect(ipPublicUrlWarning('http://127.0.0.1:8780')).toMatch(/http:\/\/localhost:8780/);
    expect(ipPublicUrlWarning('http://[::1]:8780')).toMatch(/IP address/);
    expect(ipPublicUrlWarning('http://localhost:8780')).toBeUndefined();
    expect(ipPublicUrlWarning('https://id.example')).toBeUndefined();
  });
});

describe('pages', () => {
  it('ok-no-inline-script-or-style-and-escaped-config', () => {
    const html = walletPage('enrol', { hostedCardsUrl: 'http://sim.example/"><script>x</script>' });
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    expect(html).toContain(
      `data-hosted-cards-url="${escapeHtml('http://sim.example/"><script>x</script>')}"`,
    );
    expect(html).toContain('<html lang="ja">');
    expect(html.match(/<h1>/g)).toHaveLength(1);
  });

  it('ok-no-reader-without-hosted-cards', () => {
    const html = walletPage('enrol', {});
    expect(html).toContain('id="no-reader"');
    expect(html).not.toContain('id="enrol-form"');
  });

  it('ok-every-control-has-a-label', () => {
    for (const id of [
      'home',
      'enrol',
      'login',
      'passkeys',
      'personas',
      'consents',
      'disclosures',
      'account',
    ] as const) {
      const html = walletPage(id, { hostedCardsUrl: 'http://sim.example' });
      for (const m of html.matchAll(/<input id="([^"]+)"/g))
        expect(html, `${id} #${m[1]}`).toContain(`<label for="${m[1]}">`);
    }
  });
});

describe('sharing pages', () => {
  it('ok-persona-form-offers-every-claim-of-the-catalogue-and-the-residence', () => {
    const html = walletPage('personas');
    const boxes = [
      ...html.matchAll(/<input id="claim-([a-z_0-9]+)" name="claims" type="checkbox" value="([^"]+)">/g),
    ];
    expect(boxes.map((m) => m[1]).sort()).toEqual(Object.keys(CLAIMS).sort());
    for (const m of boxes) expect(m[2]).toBe(m[1]);
    for (const c of ['over_18', 'over_20', 'resident_of', 'age_bracket'] as const)
      expect(html).toContain(CLAIMS[c].ja);
    expect(html).toContain('value="prefecture" checked');
    expect(html).toContain('value="municipality"');
    // The form and the regions the script needs; errors go to an alert region.
    for (const id of ['persona-form', 'persona-name', 'persona-submit', 'persona-cancel', 'persona-list'])
      expect(html).toContain(`id="${id}"`);
    expect(html).toContain('role="alert"');
    expect(html).toContain('<legend>');
    expect(html.match(/<h1>/g)).toHaveLength(1);
  });

  it('ok-consents-and-disclosures-pages-have-their-regions', () => {
    const consents = walletPage('consents');
    expect(consents).toContain('id="consent-list"');
    expect(consents).toContain('data-page="consents"');
    expect(consents).toContain('aria-current="page">同意');
    const disclosures = walletPage('disclosures');
    expect(disclosures).toContain('id="disclosure-rows"');
    expect(disclosures).toContain('id="disclosures-more"');
    expect(disclosures).toMatch(/<th scope="col">日時/);
    for (const html of [consents, disclosures, walletPage('personas')]) {
      expect(html).toContain('id="signed-out"');
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/\sstyle=|<style/);
      expect(html).not.toMatch(/\son[a-z]+=/);
    }
  });

  it('ok-account-links-to-personas-consents-and-disclosures', () => {
    const html = walletPage('account');
    const links = /<ul id="sharing-links">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
    expect([...links.matchAll(/href="([^"]+)"/g)].map((m) => m[1])).toEqual([
      '/wallet/personas',
      '/wallet/consents',
      '/wallet/disclosures',
    ]);
  });

  it('ok-account-offers-closing-with-a-way-to-sign-in-again', () => {
    const html = walletPage('account');
    expect(html).toContain('<button id="close-account" type="button"');
    expect(html).toContain('Close my account');
    expect(html).toMatch(/<p id="close-reauth" hidden><a href="\/wallet\/login">/);
  });
});

describe('routes', () => {
  it('ok-pages-script-and-style', async () => {
    const app = Fastify();
    registerWalletRoutes(app, { config: config({ publicUrl: 'http://localhost:8780' }) });
    const page = await app.inject({ url: '/wallet/account', headers: { host: 'localhost:8780' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('data-page="account"');

    const moved = await app.inject({ url: '/wallet/login', headers: { host: '127.0.0.1:8780' } });
    expect(moved.statusCode).toBe(302);
    expect(moved.headers.location).toBe('http://localhost:8780/wallet/login');
    expect((await app.inject({ url: '/wallet' })).headers.location).toBe('/wallet/');
    expect((await app.inject({ url: '/' })).headers.location).toBe('/wallet/');

    const js = await app.inject({ url: '/wallet/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body.length).toBeGreaterThan(10_000);
    expect(js.body).not.toContain('node:');
    const etag = String(js.headers.etag);
    const again = await app.inject({ url: '/wallet/app.js', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);

    for (const id of ['personas', 'consents', 'disclosures']) {
      const res = await app.inject({ url: `/wallet/${id}`, headers: { host: 'localhost:8780' } });
      expect(res.statusCode, id).toBe(200);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain(`data-page="${id}"`);
    }
    // The bundle runs the new pages and carries the claim labels, not the server's claim code.
    for (const s of ['persona-form', 'consent-list', 'disclosure-rows', CLAIMS.over_20.ja])
      expect(js.body).toContain(s);
    expect(js.body).not.toContain('東京都|北海道'); // claims.ts's address parsing stays on the server

    const css = await app.inject({ url: '/wallet/wallet.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    await app.close();
  });
});

describe('the wallet PWA from its build', () => {
  const built = () => {
    const dir = mkdtempSync(join(tmpdir(), 'wallet-dist-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><html lang="ja"><head></head><body></body></html>',
    );
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(dir, 'sw.js'), 'self.x=1');
    writeFileSync(join(dir, '.built'), 'x');
    return dir;
  };

  it('ok-files-shell-fallback-and-the-hosted-cards-url', async () => {
    const dir = built();
    const app = Fastify();
    registerWalletRoutes(app, {
      config: config({ wallet: { hostedCardsUrl: 'http://sim.example/"x' } }),
      walletDir: dir,
    });
    const js = await app.inject({ url: '/wallet/assets/index-abc.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(
      (
        await app.inject({
          url: '/wallet/assets/index-abc.js',
          headers: { 'if-none-match': String(js.headers.etag) },
        })
      ).statusCode,
    ).toBe(304);
    const sw = await app.inject({ url: '/wallet/sw.js' });
    expect(sw.headers['cache-control']).toBe('no-cache');
    for (const path of ['/wallet/', '/wallet/settings', '/wallet/error/expired?x=1']) {
      const page = await app.inject({ url: path });
      expect(page.statusCode, path).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.body).toContain(
        '<meta name="watashi-hosted-cards-url" content="http://sim.example/&quot;x">',
      );
    }
    // Only files of the build: no dot files, no way out of the directory, no missing asset as a page.
    for (const path of ['/wallet/.built', '/wallet/%2e%2e/package.json', '/wallet/assets/none.js'])
      expect((await app.inject({ url: path })).body, path).not.toBe('x');
    expect((await app.inject({ url: '/wallet/assets/none.js' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/wallet/.built' })).headers['content-type']).toBe(
      'text/html; charset=utf-8',
    );
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fail-no-build-answers-503-wallet-not-built', async () => {
    const app = Fastify();
    registerWalletRoutes(app, { config: config(), walletDir: join(tmpdir(), 'no-such-wallet-build') });
    const res = await app.inject({ url: '/wallet/' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'wallet_not_built' });
    await app.close();
  });
});
