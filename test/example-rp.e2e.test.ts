/**
 * examples/rp end to end: the platform (as the OIDC tests start it) with a resident signed in with
 * a passkey, the example relying party's server started in-process against it, and a cookie
 * "browser" clicking through: log in → OP consent → the example's callback → its claims page,
 * step-up with acr_values, and RP-initiated logout back to its home page — once more in Chromium,
 * whose Content-Security-Policy checks (form-action on the redirect of the logout form) the cookie
 * browser cannot make.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import type { JpkiTrustStore } from '@watashi/jpki';
import { readConfig, ConfigError } from '../examples/rp/config.ts';
import { contentSecurityPolicy, startRelyingParty, type RelyingPartyServer } from '../examples/rp/server.ts';
import { addRelyingParty } from '../packages/platform/src/oidc/registry.ts';
import type { TestPlatform } from '../packages/platform/test/authn/support.ts';
import { forEachEngine } from '../packages/platform/test/db/harness.ts';
import { simTrust, startSim, type TestSim } from '../packages/platform/test/enrolment/support.ts';
import {
  answerConsent,
  Browser,
  client,
  follow,
  freePort,
  login,
  passkeyResident,
  startOidcPlatform,
  type PasskeyResident,
} from '../packages/platform/test/oidc/support.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../packages/platform/test/e2e/support.ts';

const IAL3_AAL2 = 'urn:watashi:ac:jp:ial3-aal2';

let sim: TestSim;
let trust: JpkiTrustStore;

beforeAll(async () => {
  sim = await startSim('example-rp', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
});

/** The text of the element with `id` on an example page (the pages are plain HTML). */
const field = (html: string, id: string): string | undefined =>
  new RegExp(`id="${id}">([^<]*)<`).exec(html)?.[1]?.replaceAll('&quot;', '"').replaceAll('&amp;', '&');

describe('configuration', () => {
  it('fail-missing-variables-are-all-named', () => {
    let error: unknown;
    try {
      readConfig({ RP_ISSUER: 'http://op.example/oidc' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('RP_CLIENT_ID is missing');
    expect(problems).toContain('RP_CLIENT_SECRET is missing');
    // http is for a local setup only.
    expect(problems).toContain('RP_ISSUER must be https');
  });

  it('ok-defaults-from-the-redirect-uri', () => {
    const c = readConfig({
      RP_ISSUER: 'http://localhost:8780/oidc',
      RP_CLIENT_ID: 'a',
      RP_CLIENT_SECRET: 'b',
    });
    expect(c.redirectUri.href).toBe('http://localhost:8788/callback');
    expect(c.postLogoutRedirectUri.href).toBe('http://localhost:8788/');
    expect(c.port).toBe(8788);
  });
});

forEachEngine(
  (t) => {
    let p: TestPlatform & { issuer: string };
    let resident: PasskeyResident;
    let rp: RelyingPartyServer;
    let clientId: string;
    let clientSecret: string;
    let base: string;
    // A second redirect URI for a stock client on the same host: oidc-provider asks pairwise clients
    // whose redirect URIs span several hosts for a sector_identifier_uri.
    let directRedirect: string;

    beforeAll(async () => {
      p = await startOidcPlatform(t, sim, trust);
      resident = await passkeyResident(p, sim);
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      directRedirect = `${base}/direct-cb`;
      // What `watashi rp add` does (the CLI is a shell over addRelyingParty).
      const added = await addRelyingParty(p.deps, {
        name: 'Example RP',
        purpose: '動作確認 / trying Watashi out',
        redirectUris: [`${base}/callback`, directRedirect],
        postLogoutRedirectUris: [`${base}/`],
        tokenEndpointAuthMethod: 'client_secret_basic',
        allowedClaims: ['name', 'birthdate', 'over_20'],
      });
      clientId = added.relyingParty.clientId;
      clientSecret = added.clientSecret!;
      rp = await startRelyingParty(
        readConfig({
          RP_ISSUER: p.issuer,
          RP_CLIENT_ID: clientId,
          RP_CLIENT_SECRET: clientSecret,
          RP_REDIRECT_URI: `${base}/callback`,
          RP_PORT: String(port),
        }),
      );
    });
    afterAll(async () => {
      await rp?.close();
      await p?.close();
    });

    /** Clicks a link of the example and follows the OP until the example's callback; returns the next page. */
    async function through(b: Browser, start: string): Promise<{ url: URL; status: number; body: string }> {
      let stop = await follow(b, start, `${base}/callback`);
      if (stop.kind === 'consent') stop = await answerConsent(b, stop, 'approve', `${base}/callback`);
      if (stop.kind !== 'callback')
        throw new Error(`stopped at ${stop.kind} ${stop.url.href} ${'body' in stop ? stop.body : ''}`);
      const res = await b.request(stop.url.href);
      const loc = res.headers.get('location');
      if (res.status !== 303 || loc === null)
        return { url: stop.url, status: res.status, body: await res.text() };
      const url = new URL(loc, stop.url);
      const next = await b.request(url.href);
      return { url, status: next.status, body: await next.text() };
    }

    it('ok-login-through-the-example-shows-pairwise-sub-acr-amr-and-claims', async () => {
      const b = new Browser(resident.client.cookie);
      const home = await b.request(`${base}/`);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('href="/login"');

      const me = await through(b, `${base}/login`);
      expect(me.url.pathname).toBe('/me');
      expect(me.status).toBe(200);
      const sub = field(me.body, 'sub');
      // The sub a stock client gets for the same client_id: the example shows this RP's pairwise sub.
      const direct = await client.discovery(
        new URL(p.issuer),
        clientId,
        { id_token_signed_response_alg: 'ES256' },
        client.ClientSecretBasic(clientSecret),
        { execute: [client.allowInsecureRequests] },
      );
      const other = await login(new Browser(resident.client.cookie), {
        clientId,
        redirectUri: directRedirect,
        config: direct,
      });
      expect(sub).toBe(other.tokens.claims()!.sub);
      expect(sub).not.toBe(resident.accountId);
      expect(field(me.body, 'acr')).toBe(IAL3_AAL2);
      expect(JSON.parse(field(me.body, 'amr')!)).toEqual(other.tokens.claims()!.amr);
      expect(field(me.body, 'auth_time')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      // The claims are a table, claim → value in words (not raw JSON).
      expect(me.body).toContain('<table id="claims">');
      expect(me.body).not.toContain('<pre id="claims">');
      expect(field(me.body, 'claims-name')!.length).toBeGreaterThan(0);
      expect(field(me.body, 'claims-birthdate')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(field(me.body, 'claims-over_20')).toMatch(/^(はい \/ yes|いいえ \/ no)$/);
      // Not registered for this RP: never released, whatever the scope asked for.
      expect(me.body).not.toContain('id="claims-gender"');
      // Landmarks: a banner with navigation, and the main content.
      expect(me.body).toMatch(/<header>[\s\S]*<nav aria-label="Example RP">[\s\S]*<\/header>\s*<main>/);
    });

    it('ok-step-up-button-asks-for-acr-values-and-the-page-states-the-level', async () => {
      const b = new Browser(resident.client.cookie);
      const first = await b.request(`${base}/login?step_up=1`);
      const authorize = new URL(first.headers.get('location')!);
      expect(authorize.searchParams.get('acr_values')).toBe(IAL3_AAL2);
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      const me = await through(b, authorize.href);
      expect(me.url.pathname).toBe('/me');
      expect(field(me.body, 'acr')).toBe(IAL3_AAL2);
      expect(me.body).toContain(`(asked for ${IAL3_AAL2})`);
    });

    it('fail-callback-without-a-login-in-progress-is-refused', async () => {
      const b = new Browser();
      const res = await b.request(`${base}/callback?code=x&state=y`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('No login in progress');
    });

    it('ok-logout-ends-the-op-session-and-comes-back-home', async () => {
      const r = await passkeyResident(p, sim);
      const b = new Browser(r.client.cookie);
      expect((await through(b, `${base}/login`)).status).toBe(200);
      const out = await b.request(`${base}/logout`, { method: 'POST' });
      expect(out.status).toBe(303);
      const end = new URL(out.headers.get('location')!);
      expect(end.href.startsWith(`${p.issuer}/`)).toBe(true);
      expect(end.searchParams.get('id_token_hint')).toBeTruthy();
      const confirm = await follow(b, end.href, `${base}/`);
      if (confirm.kind !== 'page') throw new Error(`expected the OP's logout page, got ${confirm.kind}`);
      const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(confirm.body)?.[1];
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1];
      const done = await follow(b, new URL(action!, p.url).href, `${base}/`, {
        method: 'POST',
        body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }),
      });
      expect(done.kind).toBe('callback');
      expect(done.url.href).toBe(`${base}/`);
      // Signed out here (home offers login) and at Watashi (the wallet refuses the session).
      expect(await (await b.request(done.url.href)).text()).toContain('href="/login"');
      expect((await r.client.req('GET', '/api/me')).status).toBe(401);
    });

    it('ok-the-pages-csp-lets-the-logout-form-redirect-to-the-op', async () => {
      const res = await fetch(`${base}/`);
      const csp = res.headers.get('content-security-policy') ?? '';
      // CSP Level 3 §6.4.2: form-action also governs the 303 to the OP's end-session endpoint.
      expect(csp).toContain(`form-action 'self' ${new URL(p.issuer).origin}`);
      expect(csp).toBe(contentSecurityPolicy(new URL(p.issuer).origin));
    });

    it('ok-logout-in-chromium-reaches-the-op-and-comes-back-home', async () => {
      // Signed in through the cookie browser, then the same cookies in Chromium, which enforces the
      // pages' CSP on the logout form's redirect (a form-action 'self' alone blocked it).
      const r = await passkeyResident(p, sim);
      const b = new Browser(r.client.cookie);
      expect((await through(b, `${base}/login`)).status).toBe(200);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
      });
      try {
        const context = await browser.newContext({ locale: 'ja-JP' });
        // RP and OP share the host 127.0.0.1 (cookies ignore the port).
        await context.addCookies(
          [...b.jar.entries()].map(([name, c]) => ({
            name,
            value: c.value,
            domain: '127.0.0.1',
            path: c.path,
          })),
        );
        const page = await context.newPage();
        const violations: string[] = [];
        page.on('console', (m) => {
          if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
        });
        await page.goto(`${base}/me`);
        expect((await page.locator('#sub').textContent())?.length).toBeGreaterThan(0);
        await page.getByRole('button', { name: 'ログアウト / Log out' }).click();
        await page.waitForURL((u) => u.href.startsWith(`${p.issuer}/session/end`), { timeout: 10_000 });
        await page.getByRole('button', { name: 'ログアウト / Sign out' }).click();
        await page.waitForURL(`${base}/`);
        expect(await page.locator('main').textContent()).toContain('Not signed in');
        expect(violations).toEqual([]);
        expect((await r.client.req('GET', '/api/me')).status).toBe(401);
      } finally {
        await browser.close();
      }
    });
  },
  ['pglite'],
);
