// Personas end to end on both engines, driven by openid-client: the wallet API (create, list,
// delete, its problems), the consent screen's persona picker, releases narrowed to
// requested ∩ registered ∩ persona at the token and userinfo endpoints (refresh included), and
// the derived claims resident_of and age_bracket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JpkiTrustStore } from '@watashi/jpki';
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
  passkeyResident,
  registerRp,
  startOidcPlatform,
  type PasskeyResident,
  type TestRp,
} from './support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;

beforeAll(async () => {
  sim = await startSim('oidc-personas', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
});

/** Whole years from a YYYY-MM-DD birth date to today in JST (test-side arithmetic). */
function ageToday(birthdate: string): number {
  const jst = new Date(Date.now() + 9 * 3600_000).toISOString().slice(0, 10);
  const [y, md] = [Number(jst.slice(0, 4)), jst.slice(5)];
  return y - Number(birthdate.slice(0, 4)) - (md < birthdate.slice(5) ? 1 : 0);
}

forEachEngine((t) => {
  let p: TestPlatform & { issuer: string };
  beforeAll(async () => {
    p = await startOidcPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  /** Logs in through the consent screen choosing `persona` (id, or '' for the default). */
  async function consentWith(
    r: PasskeyResident,
    rp: TestRp,
    scope: string,
    persona: string,
    extra: Record<string, string> = {},
  ) {
    const b = new Browser(r.client.cookie);
    const started = await authorizationUrl(rp, { scope, prompt: 'consent', ...extra });
    const stop = await follow(b, started.url.href, rp.redirectUri);
    if (stop.kind !== 'consent') throw new Error(`expected consent, got ${stop.kind}`);
    const cb = await answerConsent(b, stop, 'approve', rp.redirectUri, { persona });
    if (cb.kind !== 'callback') throw new Error(`expected callback, got ${cb.kind}`);
    const tokens = await exchange(rp, started, cb.url);
    const info = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
    return { tokens, info, details: stop.details };
  }

  describe('persona API', () => {
    it('ok-create-list-delete', async () => {
      const r = await passkeyResident(p, sim);
      const created = await r.client.post('/api/me/personas', {
        name: 'お酒',
        claims: ['resident_of', 'over_20', 'over_20'],
        residence: 'municipality',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'お酒',
        claims: ['over_20', 'resident_of'],
        residence: 'municipality',
      });
      const plain = await r.client.post('/api/me/personas', { name: 'age', claims: ['age_bracket'] });
      expect(plain.body).toMatchObject({ claims: ['age_bracket'], residence: null });
      const list = await r.client.req('GET', '/api/me/personas');
      expect(list.status).toBe(200);
      expect((list.body['personas'] as Array<{ name: string }>).map((x) => x.name)).toEqual(['お酒', 'age']);
      const del = await r.client.req('DELETE', `/api/me/personas/${String(created.body['id'])}`);
      expect(del.status).toBe(204);
      const again = await r.client.req('DELETE', `/api/me/personas/${String(created.body['id'])}`);
      expect(again.status).toBe(404);
      expect(again.body['code']).toBe('persona_not_found');
      const after = await r.client.req('GET', '/api/me/personas');
      expect((after.body['personas'] as Array<{ name: string }>).map((x) => x.name)).toEqual(['age']);
    });

    it('ok-edit-changes-name-claims-and-residence', async () => {
      const r = await passkeyResident(p, sim);
      const created = await r.client.post('/api/me/personas', { name: 'town', claims: ['over_20'] });
      const id = String(created.body['id']);
      const moved = await r.client.req('PATCH', `/api/me/personas/${id}`, {
        name: ' 地元 ',
        claims: ['resident_of', 'over_18'],
        residence: 'municipality',
      });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({
        id,
        name: '地元',
        claims: ['over_18', 'resident_of'],
        residence: 'municipality',
        createdAt: created.body['createdAt'],
      });
      // Only the name: claims and residence stay.
      const renamed = await r.client.req('PATCH', `/api/me/personas/${id}`, { name: 'home' });
      expect(renamed.body).toMatchObject({
        name: 'home',
        claims: ['over_18', 'resident_of'],
        residence: 'municipality',
      });
      // resident_of dropped: residence goes with it.
      const narrowed = await r.client.req('PATCH', `/api/me/personas/${id}`, { claims: ['over_18'] });
      expect(narrowed.body).toMatchObject({ claims: ['over_18'], residence: null });
      const list = await r.client.req('GET', '/api/me/personas');
      expect(list.body['personas']).toEqual([narrowed.body]);
    });

    it('fail-bad-edits-have-stable-problem-codes-and-change-nothing', async () => {
      const r = await passkeyResident(p, sim);
      const a = await r.client.post('/api/me/personas', { name: 'a', claims: ['over_20'] });
      await r.client.post('/api/me/personas', { name: 'b', claims: ['over_18'] });
      const id = String(a.body['id']);
      const cases: Array<[unknown, number, string]> = [
        [{}, 400, 'request_invalid'],
        [{ name: '' }, 400, 'request_invalid'],
        [{ claims: [] }, 400, 'request_invalid'],
        [{ admin: true }, 400, 'request_invalid'],
        [{ residence: 'prefecture' }, 400, 'request_invalid'],
        [{ claims: ['over_20', 'my_number'] }, 400, 'persona_claim_unknown'],
        [{ name: 'b' }, 409, 'persona_name_taken'],
      ];
      for (const [body, status, code] of cases) {
        const res = await r.client.req('PATCH', `/api/me/personas/${id}`, body);
        expect(res.status, JSON.stringify(body)).toBe(status);
        expect(res.body['code'], JSON.stringify(body)).toBe(code);
      }
      const same = await r.client.req('GET', '/api/me/personas');
      expect((same.body['personas'] as unknown[])[0]).toEqual(a.body);
      const missing = await r.client.req('PATCH', '/api/me/personas/00000000-0000-4000-8000-000000000000', {
        name: 'x',
      });
      expect(missing.status).toBe(404);
      expect(missing.body['code']).toBe('persona_not_found');
      const other = await passkeyResident(p, sim);
      const theirs = await other.client.req('PATCH', `/api/me/personas/${id}`, { name: 'stolen' });
      expect(theirs.status).toBe(404);
      expect(theirs.body['code']).toBe('persona_not_found');
      const badId = await r.client.req('PATCH', '/api/me/personas/not-a-uuid', { name: 'x' });
      expect(badId.body['code']).toBe('request_invalid');
    });

    it('fail-bad-input-has-stable-problem-codes', async () => {
      const r = await passkeyResident(p, sim);
      const unknown = await r.client.post('/api/me/personas', {
        name: 'x',
        claims: ['over_20', 'my_number'],
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatchObject({ code: 'persona_claim_unknown', claims: ['my_number'] });
      const shape = await r.client.post('/api/me/personas', { name: '', claims: [] });
      expect(shape.status).toBe(400);
      expect(shape.body['code']).toBe('request_invalid');
      const extraKey = await r.client.post('/api/me/personas', { name: 'a', claims: ['name'], admin: true });
      expect(extraKey.body['code']).toBe('request_invalid');
      const residence = await r.client.post('/api/me/personas', {
        name: 'a',
        claims: ['name'],
        residence: 'prefecture',
      });
      expect(residence.body['code']).toBe('request_invalid');
      expect((await r.client.post('/api/me/personas', { name: 'dup', claims: ['name'] })).status).toBe(201);
      const dup = await r.client.post('/api/me/personas', { name: 'dup', claims: ['over_18'] });
      expect(dup.status).toBe(409);
      expect(dup.body['code']).toBe('persona_name_taken');
      for (let i = 1; i < 8; i++)
        expect((await r.client.post('/api/me/personas', { name: `p${i}`, claims: ['over_18'] })).status).toBe(
          201,
        );
      const tooMany = await r.client.post('/api/me/personas', { name: 'p8', claims: ['over_18'] });
      expect(tooMany.status).toBe(409);
      expect(tooMany.body['code']).toBe('persona_limit_reached');
      const badId = await r.client.req('DELETE', '/api/me/personas/not-a-uuid');
      expect(badId.body['code']).toBe('request_invalid');
      const anonymous = await fetch(`${p.url}/api/me/personas`);
      expect(anonymous.status).toBe(401);
    });

    it('fail-another-residents-persona-is-not-theirs-to-delete-or-use', async () => {
      const a = await passkeyResident(p, sim);
      const b = await passkeyResident(p, sim);
      const created = await a.client.post('/api/me/personas', { name: 'mine', claims: ['over_20'] });
      const del = await b.client.req('DELETE', `/api/me/personas/${String(created.body['id'])}`);
      expect(del.status).toBe(404);
      const rp = await registerRp(p);
      await expect(consentWith(b, rp, 'openid age', String(created.body['id']))).rejects.toThrow(
        /consent decision: 400 .*persona_not_found/,
      );
    });
  });

  describe('consent with a persona', () => {
    it('ok-persona-narrows-the-release-to-requested-and-registered-and-persona', async () => {
      const r = await passkeyResident(p, sim);
      const persona = await r.client.post('/api/me/personas', {
        name: 'bar',
        claims: ['over_20', 'resident_of'],
      });
      // The RP asks for name and over_20 (and is registered for both, and for resident_of which
      // it does not ask for): it gets over_20 only.
      const rp = await registerRp(p, { allowedClaims: ['name', 'over_20', 'resident_of'] });
      const { tokens, info, details } = await consentWith(r, rp, 'openid', String(persona.body['id']), {
        claims: JSON.stringify({ userinfo: { name: null, over_20: null }, id_token: { over_20: null } }),
      });
      const bar = details.options.find((o) => o.name === 'bar');
      expect(bar?.values.map((v) => [v.label, v.display])).toEqual([['20歳以上', 'はい']]);
      expect(Object.keys(info).sort()).toEqual(['over_20', 'sub']);
      expect(info['over_20']).toBe(true);
      expect(tokens.claims()!['over_20']).toBe(true);
      expect(tokens.claims()!['name']).toBeUndefined();
      const row = await t.db
        .selectFrom('oidc_consents')
        .selectAll()
        .where('account_id', '=', r.accountId)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ client_id: rp.clientId, persona_name: 'bar', claims: ['over_20'] });
      const audit = await t.db
        .selectFrom('audit_log')
        .select('payload')
        .where('account_id', '=', r.accountId)
        .where('type', '=', 'oidc.consent.granted')
        .executeTakeFirstOrThrow();
      expect(audit.payload).toMatchObject({ claims: ['over_20'], personaId: persona.body['id'] });
      expect(JSON.stringify(audit.payload)).not.toContain('bar');
    });

    it('ok-default-releases-requested-and-registered', async () => {
      const r = await passkeyResident(p, sim);
      await r.client.post('/api/me/personas', { name: 'narrow', claims: ['over_20'] });
      const rp = await registerRp(p, { allowedClaims: ['name', 'over_20'] });
      const { info } = await consentWith(r, rp, 'openid profile age', '');
      expect(Object.keys(info).sort()).toEqual(['name', 'over_20', 'sub']);
    });

    it('ok-derived-claims-resident-of-and-age-bracket-and-refresh-obeys-the-persona', async () => {
      const r = await passkeyResident(p, sim);
      const attrs = (await r.client.req('GET', '/api/me/attributes')).body['verified'] as {
        address: string;
        dateOfBirth: string;
      };
      const persona = await r.client.post('/api/me/personas', {
        name: 'town',
        claims: ['resident_of', 'age_bracket'],
        residence: 'municipality',
      });
      const rp = await registerRp(p, {
        allowedClaims: ['name', 'address', 'resident_of', 'age_bracket', 'over_20'],
      });
      const { tokens, info } = await consentWith(
        r,
        rp,
        'openid profile address residence age offline_access',
        String(persona.body['id']),
      );
      expect(Object.keys(info).sort()).toEqual(['age_bracket', 'resident_of', 'sub']);
      const where = info['resident_of'] as { country: string; region: string; locality: string };
      expect(where.country).toBe('JP');
      expect(where.region).toMatch(/[都道府県]$/);
      expect(where.locality).toMatch(/[市区町村]$/);
      expect(attrs.address.startsWith(`${where.region}${where.locality}`)).toBe(true);
      const age = ageToday(attrs.dateOfBirth);
      const [lo, hi] = (info['age_bracket'] as string).split('-').map(Number);
      expect(age).toBeGreaterThanOrEqual(lo!);
      expect(age).toBeLessThanOrEqual(hi!);
      // A refresh keeps the persona: same claims, nothing more.
      const next = await client.refreshTokenGrant(rp.config, tokens.refresh_token!);
      const again = await client.fetchUserInfo(rp.config, next.access_token, tokens.claims()!.sub);
      expect(again).toEqual(info);

      // With the default choice resident_of is the prefecture only.
      const rp2 = await registerRp(p, { allowedClaims: ['resident_of'] });
      const plain = await consentWith(r, rp2, 'openid residence', '');
      expect(plain.info['resident_of']).toEqual({ country: 'JP', region: where.region });
    });
  });
});
