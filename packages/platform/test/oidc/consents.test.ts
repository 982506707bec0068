// Consent review, withdrawal and the resident's view of disclosures, end to end on both engines
// with openid-client as the RP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JpkiTrustStore } from '@watashi/jpki';
import { verifyAuditChain } from '../../src/store/audit.ts';
import { forEachEngine } from '../db/harness.ts';
import { simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import type { TestPlatform } from '../authn/support.ts';
import {
  answerConsent,
  authorizationUrl,
  Browser,
  client,
  exchange,
  follow,
  login,
  oauthError,
  passkeyResident,
  registerRp,
  startOidcPlatform,
  type TestRp,
} from './support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;

beforeAll(async () => {
  sim = await startSim('oidc-consents', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
});

interface ConsentItem {
  clientId: string;
  rpName: string;
  purpose: string;
  claims: string[];
  persona: { name: string } | null;
  grantedAt: string;
}

interface DisclosureItem {
  seq: string;
  clientId: string;
  rpName: string;
  claims: string[];
  endpoint: string;
  at: string;
}

/** Authorizes at `rp` with `prompt=consent`, approves with the persona, and exchanges the code. */
async function consentWithPersona(b: Browser, rp: TestRp, scope: string, personaId: unknown) {
  const started = await authorizationUrl(rp, { scope, prompt: 'consent' });
  const stop = await follow(b, started.url.href, rp.redirectUri);
  if (stop.kind !== 'consent') throw new Error('expected consent');
  const cb = await answerConsent(b, stop, 'approve', rp.redirectUri, { persona: String(personaId) });
  if (cb.kind !== 'callback') throw new Error('expected callback');
  return exchange(rp, started, cb.url);
}

forEachEngine((t) => {
  let p: TestPlatform & { issuer: string };
  beforeAll(async () => {
    p = await startOidcPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  describe('consent review and withdrawal', () => {
    it('ok-list-then-withdraw-revokes-tokens-and-asks-consent-again', async () => {
      const r = await passkeyResident(p, sim);
      const persona = await r.client.post('/api/me/personas', { name: 'adult', claims: ['over_20'] });
      const rp = await registerRp(p, { name: 'Sake shop', allowedClaims: ['name', 'over_20'] });
      const other = await registerRp(p, { name: 'Other', allowedClaims: ['name'] });
      const b = new Browser(r.client.cookie);
      const tokens = await consentWithPersona(b, rp, 'openid profile age offline_access', persona.body['id']);
      await login(b, other, { scope: 'openid profile' });

      const listed = await r.client.req('GET', '/api/me/consents');
      expect(listed.status).toBe(200);
      const consents = listed.body['consents'] as ConsentItem[];
      expect(consents.map((c) => c.rpName).sort()).toEqual(['Other', 'Sake shop']);
      const sake = consents.find((c) => c.clientId === rp.clientId)!;
      expect(sake).toMatchObject({
        rpName: 'Sake shop',
        purpose: 'テストのため / testing',
        claims: ['over_20'],
        persona: { name: 'adult' },
      });
      expect(Date.parse(sake.grantedAt)).not.toBeNaN();

      const withdrawn = await r.client.req('DELETE', `/api/me/consents/${rp.clientId}`);
      expect(withdrawn.status).toBe(204);
      expect(await oauthError(client.refreshTokenGrant(rp.config, tokens.refresh_token!))).toBe(
        'invalid_grant',
      );
      const userinfo = await fetch(rp.config.serverMetadata().userinfo_endpoint!, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(userinfo.status).toBe(401);
      const after = (await r.client.req('GET', '/api/me/consents')).body['consents'] as ConsentItem[];
      expect(after.map((c) => c.rpName)).toEqual(['Other']);
      // The next authorization (same browser, same single sign-on session) asks again.
      const again = await authorizationUrl(rp, { scope: 'openid age' });
      expect((await follow(b, again.url.href, rp.redirectUri)).kind).toBe('consent');
      // The other RP keeps its consent: no consent screen.
      const otherAgain = await authorizationUrl(other, { scope: 'openid profile' });
      expect((await follow(b, otherAgain.url.href, other.redirectUri)).kind).toBe('callback');

      const audit = await t.db
        .selectFrom('audit_log')
        .select(['type', 'payload'])
        .where('account_id', '=', r.accountId)
        .where('type', '=', 'oidc.consent.withdrawn')
        .execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]!.payload).toMatchObject({ clientId: rp.clientId });
      expect((await verifyAuditChain(t.db)).ok).toBe(true);

      const twice = await r.client.req('DELETE', `/api/me/consents/${rp.clientId}`);
      expect(twice.status).toBe(404);
      expect(twice.body['code']).toBe('consent_not_found');
    });

    it('fail-withdrawing-another-residents-consent-is-not-found-and-changes-nothing', async () => {
      const a = await passkeyResident(p, sim);
      const b = await passkeyResident(p, sim);
      const rp = await registerRp(p);
      const { tokens } = await login(new Browser(a.client.cookie), rp, {
        scope: 'openid offline_access',
        prompt: 'consent',
      });
      const res = await b.client.req('DELETE', `/api/me/consents/${rp.clientId}`);
      expect(res.status).toBe(404);
      expect((await client.refreshTokenGrant(rp.config, tokens.refresh_token!)).access_token).toBeDefined();
      expect((await b.client.req('DELETE', '/api/me/consents/bad%20id')).body['code']).toBe(
        'request_invalid',
      );
    });

    it('fail-a-grant-without-a-live-consent-record-releases-no-claims', async () => {
      const r = await passkeyResident(p, sim);
      const persona = await r.client.post('/api/me/personas', { name: 'adult', claims: ['over_20'] });
      const rp = await registerRp(p, { name: 'Bar', allowedClaims: ['over_20'] });
      const tokens = await consentWithPersona(
        new Browser(r.client.cookie),
        rp,
        'openid age offline_access',
        persona.body['id'],
      );
      const userinfo = async (accessToken: string): Promise<Record<string, unknown>> => {
        const res = await fetch(rp.config.serverMetadata().userinfo_endpoint!, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        expect(res.status).toBe(200);
        return (await res.json()) as Record<string, unknown>;
      };
      expect((await userinfo(tokens.access_token))['over_20']).toBe(true);
      // The record is gone but the grant survived (an operator's repair, a partial failure): the
      // provider must not fall back to "everything the registration allows".
      await t.db
        .updateTable('oidc_consents')
        .set({ withdrawn_at: new Date() })
        .where('account_id', '=', r.accountId)
        .execute();
      const refreshed = await client.refreshTokenGrant(rp.config, tokens.refresh_token!);
      const after = await userinfo(refreshed.access_token);
      expect(after['sub']).toBe(tokens.claims()?.sub);
      expect(after['over_20']).toBeUndefined();
    });
  });

  describe('disclosures', () => {
    it('ok-every-disclosure-newest-first-with-names-only-and-paged', async () => {
      const r = await passkeyResident(p, sim);
      const someoneElse = await passkeyResident(p, sim);
      const rp = await registerRp(p, { name: 'Shop', allowedClaims: ['name', 'over_20'] });
      const rp2 = await registerRp(p, { name: 'Bank', allowedClaims: ['birthdate'] });
      const { tokens } = await login(new Browser(r.client.cookie), rp, { scope: 'openid profile age' });
      const info = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
      const bank = await login(new Browser(r.client.cookie), rp2, { scope: 'openid profile' });
      await client.fetchUserInfo(rp2.config, bank.tokens.access_token, bank.tokens.claims()!.sub);
      await login(new Browser(someoneElse.client.cookie), rp2, { scope: 'openid profile' });

      const res = await r.client.req('GET', '/api/me/disclosures');
      expect(res.status).toBe(200);
      const list = res.body['disclosures'] as DisclosureItem[];
      // Scope claims go to userinfo (OIDC Core §5.4), so the ID tokens disclosed no claim.
      expect(list.map((d) => [d.rpName, d.endpoint, d.claims])).toEqual([
        ['Bank', 'userinfo', ['birthdate']],
        ['Bank', 'token', []],
        ['Shop', 'userinfo', ['name', 'over_20']],
        ['Shop', 'token', []],
      ]);
      expect(list[0]!.clientId).toBe(rp2.clientId);
      expect(Date.parse(list[0]!.at)).toBeGreaterThanOrEqual(Date.parse(list[3]!.at));
      expect(JSON.stringify(res.body)).not.toContain(String(info.name));
      expect(res.body['next']).toBeNull();

      const page1 = await r.client.req('GET', '/api/me/disclosures?limit=2');
      expect((page1.body['disclosures'] as DisclosureItem[]).map((d) => d.seq)).toEqual(
        list.slice(0, 2).map((d) => d.seq),
      );
      const page2 = await r.client.req(
        'GET',
        `/api/me/disclosures?limit=2&before=${String(page1.body['next'])}`,
      );
      expect((page2.body['disclosures'] as DisclosureItem[]).map((d) => d.seq)).toEqual(
        list.slice(2).map((d) => d.seq),
      );
      expect(page2.body['next']).toBeNull();

      expect((await r.client.req('GET', '/api/me/disclosures?limit=0')).body['code']).toBe('request_invalid');
      expect((await fetch(`${p.url}/api/me/disclosures`)).status).toBe(401);
    });
  });
});
