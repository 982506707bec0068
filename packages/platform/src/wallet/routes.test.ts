import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { parsePlatformConfig } from '../config.ts';
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
    // The loopback IP leads to the public URL's host name (passkeys need one); / and /wallet land home.
    const pub = Fastify();
    registerWalletRoutes(pub, { config: config({ publicUrl: 'http://localhost:8780' }), walletDir: dir });
    const moved = await pub.inject({ url: '/wallet/login', headers: { host: '127.0.0.1:8780' } });
    expect(moved.statusCode).toBe(302);
    expect(moved.headers.location).toBe('http://localhost:8780/wallet/login');
    expect((await pub.inject({ url: '/wallet' })).headers.location).toBe('/wallet/');
    expect((await pub.inject({ url: '/' })).headers.location).toBe('/wallet/');
    await pub.close();
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
