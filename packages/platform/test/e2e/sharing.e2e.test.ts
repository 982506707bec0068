// Personas, consent and withdrawal end to end, on PGlite (support.ts journeyEngines), in real Chromium (CDP virtual
// authenticator not needed: the enrolment signature signs the browser in) with a relying party
// driven by openid-client: the resident enrols with a hosted card, makes a persona on
// /wallet/personas (the page's own checks and the API's problems shown by code on the way), logs
// in to the RP picking that persona on the consent screen; the ID token and userinfo carry exactly
// the persona's claims; /wallet/disclosures lists what the RP received, newest first, a page at a
// time; /wallet/consents withdraws the consent after a confirmation, after which the RP's refresh
// token is refused (invalid_grant) and its next login asks for consent again.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import * as client from 'openid-client';
import { isWatashiClaim } from '../../src/oidc/claims.ts';
import { addRelyingParty } from '../../src/oidc/registry.ts';
import { checkPage } from './page-check.ts';
import { oauthError } from '../oidc/support.ts';
import {
  freePort,
  launchBrowser,
  startStack,
  type Stack,
  type TestBrowser,
  journeyEngines,
} from './support.ts';

const SIGN_PIN = 'DEMO2026';
const RP_NAME = 'E2E 酒店';
const RP_PURPOSE = '20歳以上であることの確認のため / age check';

let rpServer: Server;
let callback: string;

beforeAll(async () => {
  const port = await freePort();
  rpServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('relying party callback');
  });
  await new Promise<void>((r) => rpServer.listen(port, '127.0.0.1', r));
  callback = `http://127.0.0.1:${port}/cb`;
});
afterAll(async () => {
  await new Promise((r) => rpServer?.close(r));
});

for (const engine of journeyEngines('pglite')) {
  describe(engine, () => {
    let stack: Stack;
    let browser: TestBrowser;
    let page: Page;
    let card: string;
    let config: client.Configuration;
    let clientId: string;
    let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

    beforeAll(async () => {
      stack = await startStack(`sharing-e2e-${engine}`, engine);
      const r = await stack.sim.sim.addResident({ name: '松本　由美', birthDate: '1990-06-15', sex: '2' });
      card = (await stack.sim.sim.issueCard(r.id, { signPin: SIGN_PIN, authPin: '1234' })).card.tokenId;
      const added = await addRelyingParty(stack.platform.deps, {
        name: RP_NAME,
        purpose: RP_PURPOSE,
        redirectUris: [callback],
        tokenEndpointAuthMethod: 'client_secret_basic',
        allowedClaims: ['name', 'over_20', 'resident_of', 'age_bracket'],
      });
      clientId = added.relyingParty.clientId;
      config = await client.discovery(
        new URL(`${stack.base}/oidc`),
        clientId,
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

    /** Text of the first element matching `selector` once it is visible. */
    async function visibleText(selector: string): Promise<string> {
      const l = page.locator(selector).first();
      await l.waitFor({ state: 'visible', timeout: 15_000 });
      return (await l.textContent()) ?? '';
    }

    /**
     * An authorization request (PKCE S256, state, nonce) asking for name, over_20, resident_of and
     * age_bracket — more than the persona holds — with offline access.
     */
    async function authorize() {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: callback,
        scope: 'openid offline_access',
        prompt: 'consent',
        claims: JSON.stringify({
          id_token: { name: null, over_20: null, resident_of: null },
          userinfo: { name: null, over_20: null, resident_of: null, age_bracket: null },
        }),
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url, verifier, state, nonce };
    }

    describe('personas, consent and withdrawal in Chromium', () => {
      it('ok-enrol-then-make-a-persona-on-the-wallet-page', async () => {
        // Not signed in yet: each page says so and offers the way in.
        for (const path of ['personas', 'consents', 'disclosures']) {
          await page.goto(`${stack.base}/wallet/${path}`);
          expect(await visibleText('#signed-out')).toContain('サインインしていません');
          expect(await page.isHidden(`#${path}`)).toBe(true);
        }
        await checkPage(page, `sharing-${engine}`, '01-signed-out');
        await page.goto(`${stack.base}/wallet/enrol`);
        await page.locator('#document-terms').waitFor({ state: 'visible' });
        await page.fill('#card-id', card);
        await page.fill('#sign-pin', SIGN_PIN);
        await page.click('#enrol-submit');
        await page.locator('#done').waitFor({ state: 'visible', timeout: 15_000 });

        // From the account page to the personas page.
        await page.goto(`${stack.base}/wallet/account`);
        await page.locator('#account').waitFor({ state: 'visible' });
        await page.click('#sharing-links a[href="/wallet/personas"]');
        await page.waitForURL('**/wallet/personas');
        await page.locator('#personas').waitFor({ state: 'visible' });
        expect(await page.isVisible('#no-personas')).toBe(true);
        // The residence choice applies only with resident_of.
        expect(await page.isDisabled('#residence-municipality')).toBe(true);

        // No name: caught in the page, announced, the field marked and focused.
        await checkPage(page, `sharing-${engine}`, '02-personas-empty');
        await page.check('#claim-over_20');
        await page.click('#persona-submit');
        expect(await visibleText('#error')).toContain('名前を入力してください');
        expect(await page.getAttribute('#error', 'data-error-code')).toBe('persona_name_required');
        expect(await page.getAttribute('#persona-name', 'aria-invalid')).toBe('true');
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('persona-name');

        await page.fill('#persona-name', 'お酒');
        await page.click('#persona-submit');
        await page.locator('#persona-list li[data-persona-name="お酒"]').waitFor();
        expect(await page.textContent('#error')).toBe('');
        expect(await page.textContent('#status')).toContain('作成しました');

        // The same name again: the API's persona_name_taken, in words and by code.
        await page.fill('#persona-name', 'お酒');
        await page.check('#claim-age_bracket');
        await page.click('#persona-submit');
        expect(await visibleText('#error')).toContain('同じ名前のペルソナがすでにあります');
        expect(await page.getAttribute('#error', 'data-error-code')).toBe('persona_name_taken');
        expect(await page.textContent('#error')).not.toContain('persona_name_taken');

        // Edit: add resident_of at municipality granularity.
        await page.click('#persona-list li[data-persona-name="お酒"] button:has-text("編集")');
        expect(await page.textContent('#persona-form-heading')).toContain('「お酒」を編集');
        expect(await page.isChecked('#claim-over_20')).toBe(true);
        expect(await page.isChecked('#claim-age_bracket')).toBe(false);
        await page.check('#claim-resident_of');
        await page.check('#residence-municipality');
        await page.click('#persona-submit');
        await expect
          .poll(() =>
            page.getAttribute('#persona-list li[data-persona-name="お酒"] [data-claims]', 'data-claims'),
          )
          .toBe('over_20 resident_of');
        const item = (await page.textContent('#persona-list li[data-persona-name="お酒"]')) ?? '';
        expect(item).toContain('20歳以上であること');
        expect(item).toContain('市区町村まで');
        expect(await page.textContent('#status')).toContain('保存しました');
        expect(await page.locator('#persona-list li').count()).toBe(1);
        await checkPage(page, `sharing-${engine}`, '03-personas');
      }, 90_000);

      it('ok-rp-login-picking-the-persona-releases-exactly-its-claims', async () => {
        const started = await authorize();
        await page.goto(started.url.href);
        // The wallet's consent page (the interaction hands over to it).
        await page.waitForURL('**/wallet/consent/**');
        await page.locator('#approve').waitFor({ state: 'visible', timeout: 15_000 });
        const consent = (await page.textContent('main')) ?? '';
        expect(consent).toContain(RP_NAME);
        expect(consent).toContain(RP_PURPOSE);
        // Picking the persona shows exactly its values: over 20, and where the resident lives.
        await page.locator('#persona-choice label', { hasText: 'お酒' }).click();
        await page.waitForFunction(() =>
          document.querySelector('#will-send')?.textContent?.includes('20歳以上'),
        );
        const willSend = (await page.textContent('#will-send')) ?? '';
        expect(willSend).toContain('お住まいの地域');
        expect(willSend).not.toContain('年齢層');
        await page.click('#approve');
        await page.waitForURL(`${callback}**`, { timeout: 15_000 });
        tokens = await client.authorizationCodeGrant(config, new URL(page.url()), {
          pkceCodeVerifier: started.verifier,
          expectedState: started.state,
          expectedNonce: started.nonce,
        });
        expect(tokens.refresh_token).toEqual(expect.any(String));
        const claims = tokens.claims()!;
        // The persona's claims and nothing else the RP asked for (name, age_bracket) or holds.
        const released = (o: Record<string, unknown>) => Object.keys(o).filter(isWatashiClaim).sort();
        expect(released(claims)).toEqual(['over_20', 'resident_of']);
        expect(claims['over_20']).toBe(true);
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        expect(Object.keys(info).sort()).toEqual(['over_20', 'resident_of', 'sub']);
        const where = info['resident_of'] as { country: string; region: string; locality?: string };
        expect(where.country).toBe('JP');
        expect(where.region).toMatch(/[都道府県]$/);
        // Municipality granularity, as the persona was edited to say.
        expect(where.locality).toMatch(/[市区町村]$/);
        expect(claims['resident_of']).toEqual(info['resident_of']);
      }, 90_000);

      it('ok-disclosures-page-lists-what-the-rp-received-newest-first-a-page-at-a-time', async () => {
        // 20 refreshes (each releases an ID token) + the first token + userinfo: 22, two pages.
        for (let i = 0; i < 20; i++) tokens = await client.refreshTokenGrant(config, tokens.refresh_token!);
        await page.goto(`${stack.base}/wallet/disclosures`);
        await page.locator('#disclosures').waitFor({ state: 'visible' });
        const rows = page.locator('#disclosure-rows li');
        await expect.poll(() => rows.count()).toBe(20);
        expect(await rows.first().getAttribute('data-client-id')).toBe(clientId);
        expect(await rows.first().textContent()).toContain(RP_NAME);
        expect(await rows.first().getAttribute('tabindex')).toBe('-1');
        const claimsCell = rows.first().locator('[data-claims]');
        expect(await claimsCell.getAttribute('data-claims')).toBe('over_20 resident_of');
        // One row per disclosure, in words.
        expect(await claimsCell.textContent()).toBe(
          `${RP_NAME}に 20歳以上であること、住んでいる都道府県（または市区町村） を提供`,
        );
        await checkPage(page, `sharing-${engine}`, '04-disclosures');
        await page.click('#disclosures-more');
        await expect.poll(() => rows.count()).toBe(22);
        expect(await page.isHidden('#disclosures-more')).toBe(true);
        // Focus moves to the first row added; the oldest two are the first token and userinfo.
        expect(await page.evaluate(() => document.activeElement?.getAttribute('data-seq'))).toBe(
          await rows.nth(20).getAttribute('data-seq'),
        );
        expect(await rows.nth(20).getAttribute('data-endpoint')).toBe('userinfo');
        expect(await rows.nth(20).textContent()).toContain('サービスからの問い合わせ');
        expect(await rows.nth(21).getAttribute('data-endpoint')).toBe('token');
        expect(await rows.nth(21).textContent()).toContain('サインインのとき');
        const seqs = await rows.evaluateAll((trs) => trs.map((tr) => BigInt(tr.getAttribute('data-seq')!)));
        expect(seqs.every((s, i) => i === 0 || s < seqs[i - 1]!)).toBe(true);
      }, 90_000);

      it('ok-withdrawing-on-the-consents-page-refuses-the-refresh-token-and-asks-again', async () => {
        await page.goto(`${stack.base}/wallet/account`);
        await page.click('#sharing-links a[href="/wallet/consents"]');
        await page.waitForURL('**/wallet/consents');
        const item = page.locator(`#consent-list li[data-client-id="${clientId}"]`);
        await item.waitFor({ state: 'visible' });
        const text = (await item.textContent()) ?? '';
        expect(text).toContain(RP_NAME);
        expect(text).toContain(RP_PURPOSE);
        expect(text).toContain('お酒');
        expect(text).toContain('あなたがサービスを使っていないときも');
        expect(await item.locator('[data-claims]').getAttribute('data-claims')).toBe('over_20 resident_of');
        expect(await item.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
        expect(await item.locator('time').textContent()).toMatch(/^令和\d+年\d+月\d+日 \(\d{4}年\)$/);
        await checkPage(page, `sharing-${engine}`, '05-consents');

        // Dismissing the confirmation withdraws nothing.
        const messages: string[] = [];
        page.once('dialog', (d) => {
          messages.push(d.message());
          void d.dismiss();
        });
        await item.locator('button').click();
        await expect.poll(() => messages.length).toBe(1);
        expect(messages[0]).toContain(RP_NAME);
        expect(await item.isVisible()).toBe(true);
        tokens = await client.refreshTokenGrant(config, tokens.refresh_token!);

        page.once('dialog', (d) => void d.accept());
        await item.locator('button').click();
        await page.locator('#no-consents').waitFor({ state: 'visible', timeout: 15_000 });
        await checkPage(page, `sharing-${engine}`, '06-consents-none');
        expect(await page.textContent('#status')).toContain('同意を取り消しました');
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('list-heading');

        // The consent is withdrawn and the RP's refresh token, good a moment ago, is refused.
        const rows = await stack.platform.deps.db
          .selectFrom('oidc_consents')
          .select(['withdrawn_at'])
          .where('client_id', '=', clientId)
          .execute();
        expect(rows).toHaveLength(1);
        expect(rows[0]!.withdrawn_at).not.toBeNull();
        expect(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token!))).toBe(
          'invalid_grant',
        );

        // The next login asks for consent again (without prompt=consent this time).
        const verifier = client.randomPKCECodeVerifier();
        const again = client.buildAuthorizationUrl(config, {
          redirect_uri: callback,
          scope: 'openid',
          claims: JSON.stringify({ userinfo: { over_20: null } }),
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state: client.randomState(),
        });
        await page.goto(again.href);
        await page.waitForURL('**/wallet/consent/**');
        await page.locator('#approve').waitFor({ state: 'visible', timeout: 15_000 });
        expect(await page.textContent('h1')).toContain(RP_NAME);
        expect(browser.problems).toEqual([]);
      }, 90_000);
    });
  });
}
