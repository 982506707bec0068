// A relying party (openid-client) and a person in real Chromium (CDP virtual authenticator), on
// PostgreSQL (support.ts journeyEngines): the RP's authorization request brings a newcomer to the wallet, who enrols with a
// hosted card, registers a passkey, makes a persona, consents on the wallet's consent page with it
// (the values shown change with the choice) and lands on the RP's callback with a code the RP
// exchanges; later, signed out, the same person signs in with the passkey and goes straight back
// (consent remembered) under the same pairwise `sub`; asked again, the consent page preselects the
// same persona and the RP receives exactly the same claims; a level-3 step-up without a hardware
// key is refused clearly; `ui_locales=en` shows the consent page in English. Each screen is
// checked (axe, sizes) and photographed under test-results/screens/oidc-<engine>/.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import * as client from 'openid-client';
import { addRelyingParty } from '../../src/oidc/registry.ts';
import { checkPage } from './page-check.ts';
import {
  freePort,
  launchBrowser,
  startStack,
  type Stack,
  type TestBrowser,
  journeyEngines,
} from './support.ts';

const SIGN_PIN = 'DEMO2026';

let rpServer: Server;
let callback: string;
/** Bodies the RP's callback received by POST (response_mode=form_post). */
const posted: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  rpServer = createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      if (req.method === 'POST') posted.push(body);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('relying party callback');
    });
  });
  await new Promise<void>((r) => rpServer.listen(port, '127.0.0.1', r));
  callback = `http://127.0.0.1:${port}/cb`;
});
afterAll(async () => {
  await new Promise((r) => rpServer?.close(r));
});

for (const engine of journeyEngines('postgres')) {
  describe(engine, () => {
    let stack: Stack;
    let browser: TestBrowser;
    let page: Page;
    let card: string;
    let config: client.Configuration;
    let firstSub: string;
    let firstInfo: Record<string, unknown>;
    let firstClaims: string[];
    let idToken: string;
    const journey = `oidc-${engine}`;
    /** The claims of an ID token that come from the resident (not the token's own). */
    const residentClaims = (c: Record<string, unknown>): string[] =>
      Object.keys(c)
        .filter(
          (k) =>
            ![
              'iss',
              'aud',
              'exp',
              'iat',
              'nonce',
              'auth_time',
              'acr',
              'amr',
              'sid',
              'at_hash',
              'sub',
            ].includes(k),
        )
        .sort();

    beforeAll(async () => {
      stack = await startStack(`oidc-e2e-${engine}`, engine);
      const r = await stack.sim.sim.addResident({ name: '小林　直子', birthDate: '1985-03-03', sex: '2' });
      card = (await stack.sim.sim.issueCard(r.id, { signPin: SIGN_PIN, authPin: '1234' })).card.tokenId;
      const added = await addRelyingParty(stack.platform.deps, {
        name: 'E2E 商店',
        purpose: '年齢確認のため / age check',
        redirectUris: [callback],
        postLogoutRedirectUris: [`${callback}/signed-out`],
        tokenEndpointAuthMethod: 'client_secret_basic',
        allowedClaims: ['name', 'over_20'],
      });
      config = await client.discovery(
        new URL(`${stack.base}/oidc`),
        added.relyingParty.clientId,
        { id_token_signed_response_alg: 'ES256' },
        client.ClientSecretBasic(added.clientSecret),
        { execute: [client.allowInsecureRequests] },
      );
      browser = await launchBrowser();
      page = browser.page;
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await stack?.close();
    });

    /** Starts an authorization request (PKCE S256, state, nonce) asking for name and over_20. */
    async function authorize(extra: Record<string, string> = {}) {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: callback,
        scope: 'openid',
        claims: JSON.stringify({ id_token: { over_20: null }, userinfo: { name: null, over_20: null } }),
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...extra,
      });
      return { url, verifier, state, nonce };
    }

    async function exchange(started: Awaited<ReturnType<typeof authorize>>) {
      await page.waitForURL(`${callback}**`, { timeout: 15_000 });
      return client.authorizationCodeGrant(config, new URL(page.url()), {
        pkceCodeVerifier: started.verifier,
        expectedState: started.state,
        expectedNonce: started.nonce,
      });
    }

    describe('relying party login in Chromium', () => {
      it('ok-newcomer-enrols-registers-a-passkey-consents-and-the-rp-gets-the-claims', async () => {
        const started = await authorize();
        await page.goto(started.url.href);
        // No Watashi session: the wallet's sign-in page, telling why and keeping the way back.
        await page.waitForURL('**/wallet/login?**');
        await page.locator('#service-request').waitFor({ state: 'visible' });
        await page.click('#to-enrol');
        await page.waitForURL('**/wallet/enrol?return_to=**');
        await page.locator('#document-terms').waitFor({ state: 'visible' });
        await page.fill('#card-id', card);
        await page.fill('#sign-pin', SIGN_PIN);
        await page.click('#enrol-submit');
        await page.locator('#done').waitFor({ state: 'visible', timeout: 15_000 });
        await page.click('#register-passkey');
        await page.locator('#register-passkey').waitFor({ state: 'hidden', timeout: 15_000 });
        // Card sign-in is offered next; it can wait ("not now"), and the way on is still there.
        await page.locator('#card-binding').waitFor({ state: 'visible', timeout: 15_000 });
        await page.click('#bind-skip');
        await page.locator('#card-binding').waitFor({ state: 'detached' });
        // A persona that shows only being over 20 (the wallet's personas API, from the page).
        const created = await page.evaluate(async () => {
          const res = await fetch('/api/me/personas', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'お酒を買う', claims: ['over_20'] }),
          });
          return res.status;
        });
        expect(created).toBe(201);
        await page.click('#to-service');
        // The wallet's consent page: the RP, its purpose, who is signed in, and the values.
        await page.waitForURL('**/wallet/consent/**');
        await page.locator('#approve').waitFor({ state: 'visible', timeout: 15_000 });
        expect(await page.textContent('h1')).toContain('E2E 商店');
        expect(await page.textContent('#rp-purpose')).toContain('年齢確認のため');
        expect(await page.textContent('#consent-signed-in-as')).toContain('小林 直子');
        // No consent yet: everything asked for is preselected, values shown as they will be sent.
        const sent = async () => ((await page.textContent('#will-send')) ?? '').replace(/\s+/g, ' ');
        expect(await sent()).toContain('小林 直子');
        expect(await sent()).toContain('はい');
        await checkPage(page, journey, '01-consent-everything');
        // Picking the persona changes the list at once: only 「20歳以上: はい」.
        await page.locator('label', { hasText: 'お酒を買う' }).click();
        await page.waitForFunction(
          () => !document.querySelector('#will-send')?.textContent?.includes('小林'),
        );
        expect(await sent()).toContain('20歳以上');
        expect(await sent()).toContain('はい');
        await checkPage(page, journey, '02-consent-persona');
        await page.click('#approve');
        const tokens = await exchange(started);
        const claims = tokens.claims()!;
        expect(claims.sub).toMatch(/^[A-Za-z0-9_-]{20,}$/);
        expect(claims['acr']).toEqual(expect.any(String));
        expect(claims['over_20']).toBe(true);
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        // The persona narrowed the release: no name.
        expect(Object.keys(info).sort()).toEqual(['over_20', 'sub']);
        firstSub = claims.sub;
        firstInfo = info;
        firstClaims = residentClaims(claims);
        expect(browser.problems).toEqual([]);
      });

      it('ok-signed-out-resident-signs-in-with-the-passkey-and-returns-under-the-same-sub', async () => {
        await page.goto(`${stack.base}/wallet/account`);
        await page.click('#logout');
        await page.waitForURL('**/wallet/login');
        const started = await authorize();
        await page.goto(started.url.href);
        await page.waitForURL('**/wallet/login?**');
        await page.click('#login-passkey');
        // Signed in, back to the interaction; the consent is remembered, so straight to the RP.
        const tokens = await exchange(started);
        expect(tokens.claims()!.sub).toBe(firstSub);
        expect(residentClaims(tokens.claims()!)).toEqual(firstClaims);
        idToken = tokens.id_token!;
        const amr = tokens.claims()!['amr'];
        expect(Array.isArray(amr) ? amr : []).not.toHaveLength(0);
      });

      it('ok-asked-again-the-consent-page-preselects-the-persona-and-the-rp-gets-the-same-claims', async () => {
        const started = await authorize({ prompt: 'consent' });
        await page.goto(started.url.href);
        await page.waitForURL('**/wallet/consent/**');
        await page.locator('#approve').waitFor({ state: 'visible', timeout: 15_000 });
        const persona = page.locator('#persona-choice label', { hasText: 'お酒を買う' }).locator('input');
        expect(await persona.isChecked()).toBe(true);
        expect(await page.textContent('#will-send')).not.toContain('小林');
        await checkPage(page, journey, '03-consent-remembered');
        await page.click('#approve');
        const tokens = await exchange(started);
        expect(tokens.claims()!.sub).toBe(firstSub);
        expect(residentClaims(tokens.claims()!)).toEqual(firstClaims);
        const info = await client.fetchUserInfo(config, tokens.access_token, firstSub);
        expect(info).toEqual(firstInfo);
      });

      it('ok-form-post-response-mode-posts-the-code-to-the-rp-under-the-csp', async () => {
        const started = await authorize();
        const url = new URL(started.url);
        url.searchParams.set('response_mode', 'form_post');
        const before = posted.length;
        await page.goto(url.href);
        // Signed in and consented: oidc-provider's form post page submits itself to the callback.
        await page.waitForURL(callback, { timeout: 15_000 });
        expect(posted).toHaveLength(before + 1);
        const request = new Request(callback, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: posted.at(-1)!,
        });
        const tokens = await client.authorizationCodeGrant(config, request, {
          pkceCodeVerifier: started.verifier,
          expectedState: started.state,
          expectedNonce: started.nonce,
        });
        expect(tokens.claims()!.sub).toBe(firstSub);
        expect(browser.problems).toEqual([]);
      });

      it('fail-level-the-passkey-cannot-reach-is-refused-clearly-and-unmet-at-the-rp', async () => {
        // Level 3 authentication needs a hardware-protected, attested key; the virtual passkey is
        // not, and the resident has no other: the step-up page says so and offers the way back.
        const started = await authorize({ acr_values: 'urn:watashi:ac:jp:ial3-aal3' });
        await page.goto(started.url.href);
        await page.waitForURL('**/wallet/step-up?**');
        expect(new URL(page.url()).searchParams.get('step_up')).toBe('authentication');
        await page.locator('#impossible').waitFor({ state: 'visible', timeout: 15_000 });
        expect(await page.textContent('#impossible')).toContain('セキュリティキー');
        expect(await page.locator('#ways').count()).toBe(0);
        await checkPage(page, journey, '04-step-up-impossible');
        await page.click('#back-to-service');
        await page.waitForURL(`${callback}?**`, { timeout: 15_000 });
        const back = new URL(page.url()).searchParams;
        expect(back.get('error')).toBe('unmet_authentication_requirements');
        expect(back.get('state')).toBe(started.state);
      });

      it('ok-ui-locales-en-shows-the-consent-page-in-english', async () => {
        const started = await authorize({ prompt: 'consent', ui_locales: 'en' });
        await page.goto(started.url.href);
        await page.waitForURL('**/wallet/consent/**');
        await page.locator('#approve').waitFor({ state: 'visible', timeout: 15_000 });
        expect(await page.textContent('h1')).toContain('Share your information with');
        expect(await page.textContent('#will-send')).toContain('Aged 20 or over');
        expect(await page.textContent('#will-send')).toContain('Yes');
        expect(await page.textContent('#approve')).toBe('Agree and share');
        await checkPage(page, journey, '05-consent-english');
        await page.click('#deny');
        await page.waitForURL(`${callback}?**`, { timeout: 15_000 });
        expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
        // Back to Japanese for the pages that follow (the choice is remembered).
        await page.goto(`${stack.base}/wallet/?lang=ja`);
      });

      it('ok-rp-initiated-logout-confirmed-in-the-browser-ends-the-watashi-session', async () => {
        const end = client.buildEndSessionUrl(config, {
          id_token_hint: idToken,
          post_logout_redirect_uri: `${callback}/signed-out`,
          state: 'bye',
        });
        await page.goto(end.href);
        await page.click('button[name="logout"][value="yes"]');
        await page.waitForURL(`${callback}/signed-out?**`, { timeout: 15_000 });
        expect(new URL(page.url()).searchParams.get('state')).toBe('bye');
        // The Watashi session ended with it: the wallet shows the resident signed out.
        await page.goto(`${stack.base}/wallet/account`);
        await page.locator('#signed-out').waitFor({ state: 'visible', timeout: 15_000 });
      });

      it('fail-return-to-outside-the-interactions-is-not-followed', async () => {
        for (const bad of ['https://evil.example/', '//evil.example/oidc/interaction/x', '/wallet/account']) {
          await page.goto(`${stack.base}/wallet/login?return_to=${encodeURIComponent(bad)}`);
          await page.locator('body[data-ready]').waitFor({ state: 'attached' });
          expect(await page.locator('#service-request').isHidden()).toBe(true);
          expect(await page.getAttribute('#to-enrol', 'href')).toBe('/wallet/enrol');
        }
        await page.click('#login-passkey');
        await page.waitForURL('**/wallet/account');
        expect(browser.problems).toEqual([]);
      });
    });
  });
}
