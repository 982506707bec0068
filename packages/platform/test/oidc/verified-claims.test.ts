// verified_claims (OpenID Connect for Identity Assurance 1.0) end to end on both engines, driven
// by openid-client: discovery metadata; requests through the claims parameter for the ID token
// and for userinfo; the verification record (trust framework, level, time, pairwise process and
// serial, status check) against the database; requested ∩ registered ∩ persona; nothing while
// the anchor is on hold, unknown or the account needs re-proofing; malformed requests refused
// with invalid_request; disclosures audited and listed in the wallet.
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
  sim = await startSim('oidc-verified-claims', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
});

/** A verified_claims request asking for every verification element Watashi has. */
function fullRequest(claims: Record<string, null>): Record<string, unknown> {
  return {
    verification: {
      trust_framework: null,
      assurance_level: null,
      time: null,
      verification_process: null,
      evidence: [{ type: { value: 'electronic_signature' }, created_at: null }],
      watashi_status_checked_at: null,
    },
    claims,
  };
}

interface VerifiedClaimsOut {
  verification: Record<string, unknown> & { evidence?: Array<Record<string, unknown>> };
  claims: Record<string, unknown>;
}

/** The verified_claims element of a token or userinfo response (one object requested). */
const vcOf = (x: unknown): VerifiedClaimsOut => x as VerifiedClaimsOut;

forEachEngine((t) => {
  let p: TestPlatform & { issuer: string };
  beforeAll(async () => {
    p = await startOidcPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  /** Logs in through the consent screen (persona id or '' for the default); tokens and userinfo. */
  async function consentWith(
    r: PasskeyResident,
    rp: TestRp,
    claims: Record<string, unknown>,
    persona = '',
    scope = 'openid',
  ) {
    const b = new Browser(r.client.cookie);
    const started = await authorizationUrl(rp, { scope, prompt: 'consent', claims: JSON.stringify(claims) });
    const stop = await follow(b, started.url.href, rp.redirectUri);
    if (stop.kind !== 'consent') throw new Error(`expected consent, got ${stop.kind}`);
    const cb = await answerConsent(b, stop, 'approve', rp.redirectUri, { persona });
    if (cb.kind !== 'callback') throw new Error(`expected callback, got ${cb.kind}`);
    const tokens = await exchange(rp, started, cb.url);
    const info = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
    return { tokens, info, details: stop.details, idToken: tokens.claims()! };
  }

  async function attributesOf(r: PasskeyResident) {
    return (await r.client.req('GET', '/api/me/attributes')).body['verified'] as {
      name: string;
      dateOfBirth: string;
      address: string;
    };
  }

  async function currentAnchor(accountId: string) {
    return t.db
      .selectFrom('anchors')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('purpose', '=', 'sign')
      .where('superseded_by', 'is', null)
      .executeTakeFirstOrThrow();
  }

  describe('discovery', () => {
    it('ok-identity-assurance-metadata', async () => {
      const rp = await registerRp(p);
      const m = rp.config.serverMetadata();
      expect(m['verified_claims_supported']).toBe(true);
      expect(m['trust_frameworks_supported']).toEqual(['jp_jpki']);
      expect(m['evidence_supported']).toEqual(['electronic_signature']);
      expect(m['claims_in_verified_claims_supported']).toEqual([
        'name',
        'family_name',
        'given_name',
        'birthdate',
        'gender',
        'address',
      ]);
      expect(m.claims_parameter_supported).toBe(true);
      expect(m.claims_supported).toContain('verified_claims');
    });
  });

  describe('requests through the claims parameter', () => {
    it('ok-id-token-verified-claims-with-the-whole-verification-record', async () => {
      const r = await passkeyResident(p, sim);
      const attrs = await attributesOf(r);
      const rp = await registerRp(p, { allowedClaims: ['given_name', 'family_name', 'birthdate'] });
      const { idToken, info, details } = await consentWith(r, rp, {
        id_token: { verified_claims: fullRequest({ given_name: null, birthdate: null }) },
      });
      expect(details.verified).toBe(true);
      const vc = vcOf(idToken['verified_claims']);
      const [family, given] = attrs.name.split('\u3000');
      expect(vc.claims).toEqual({ given_name: given, birthdate: attrs.dateOfBirth });
      expect(family).toBeDefined();
      // Only what was asked for: no top-level given_name or birthdate, nothing in userinfo.
      expect(idToken['given_name']).toBeUndefined();
      expect(idToken['birthdate']).toBeUndefined();
      expect(Object.keys(info)).toEqual(['sub']);

      const account = await t.db
        .selectFrom('accounts')
        .select('proofed_at')
        .where('id', '=', r.accountId)
        .executeTakeFirstOrThrow();
      const anchor = await currentAnchor(r.accountId);
      const v = vc.verification;
      expect(v['trust_framework']).toBe('jp_jpki');
      expect(v['assurance_level']).toBe('ial3');
      expect(v['time']).toBe(account.proofed_at!.toISOString().replace(/\.\d{3}Z$/, 'Z'));
      expect(v['watashi_status_checked_at']).toBe(
        anchor.status_checked_at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      );
      expect(v['verification_process']).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(v.evidence).toHaveLength(1);
      const ev = v.evidence![0]!;
      expect(ev).toMatchObject({ type: 'electronic_signature', signature_type: 'jpki_sign' });
      expect(ev['issuer']).toMatch(/J-LIS/);
      expect(ev['serial_number']).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const signedAt = (anchor.evidence as { signedAt: string }).signedAt;
      expect(ev['created_at']).toBe(signedAt.replace(/\.\d{3}Z$/, 'Z'));
      // Neither the certificate serial nor the anchor id reaches the RP.
      const json = JSON.stringify(idToken);
      expect(json).not.toContain(anchor.serial);
      expect(json).not.toContain(BigInt(anchor.serial).toString(16));
      expect(json).not.toContain(anchor.id);

      // A second RP (its own sector) gets other pairwise references: no correlation through them.
      const rp2 = await registerRp(p, { allowedClaims: ['given_name'] });
      const other = await consentWith(r, rp2, {
        id_token: { verified_claims: fullRequest({ given_name: null }) },
      });
      const v2 = vcOf(other.idToken['verified_claims']).verification;
      expect(v2['verification_process']).not.toBe(v['verification_process']);
      expect(v2.evidence![0]!['serial_number']).not.toBe(ev['serial_number']);
      // …while one RP sees stable references across logins.
      const again = await consentWith(r, rp, {
        id_token: { verified_claims: fullRequest({ given_name: null }) },
      });
      const v3 = vcOf(again.idToken['verified_claims']).verification;
      expect(v3['verification_process']).toBe(v['verification_process']);
      expect(v3.evidence![0]!['serial_number']).toBe(ev['serial_number']);
    });

    it('ok-userinfo-verified-claims-minimal-and-plain-claims-unchanged', async () => {
      const r = await passkeyResident(p, sim);
      const attrs = await attributesOf(r);
      const rp = await registerRp(p, { allowedClaims: ['name', 'address', 'over_20'] });
      const { idToken, info } = await consentWith(
        r,
        rp,
        {
          userinfo: {
            verified_claims: { verification: { trust_framework: null }, claims: { address: null } },
          },
        },
        '',
        'openid age',
      );
      expect(info['verified_claims']).toEqual({
        verification: { trust_framework: 'jp_jpki' },
        claims: { address: { formatted: attrs.address, country: 'JP' } },
      });
      // The scope's plain claim is released as before; the ID token carries no verified_claims.
      expect(typeof info['over_20']).toBe('boolean');
      expect(info['address']).toBeUndefined();
      expect(idToken['verified_claims']).toBeUndefined();

      // Disclosures are audited by claim name and listed in the wallet.
      const audit = await t.db
        .selectFrom('audit_log')
        .select('payload')
        .where('account_id', '=', r.accountId)
        .where('type', '=', 'oidc.disclosure')
        .execute();
      const userinfo = audit.map((a) => a.payload as { endpoint: string; claims: string[] });
      expect(userinfo.find((x) => x.endpoint === 'userinfo')?.claims).toEqual([
        'over_20',
        'verified_claims.address',
      ]);
      expect(JSON.stringify(audit)).not.toContain(attrs.address);
      const listed = await r.client.req('GET', '/api/me/disclosures');
      const items = listed.body['disclosures'] as Array<{ endpoint: string; claims: string[] }>;
      expect(items.find((d) => d.endpoint === 'userinfo')?.claims).toContain('verified_claims.address');
    });

    it('ok-persona-narrows-verified-claims', async () => {
      const r = await passkeyResident(p, sim);
      const attrs = await attributesOf(r);
      const persona = await r.client.post('/api/me/personas', { name: 'age-check', claims: ['birthdate'] });
      const rp = await registerRp(p, { allowedClaims: ['name', 'birthdate'] });
      const { info, details } = await consentWith(
        r,
        rp,
        { userinfo: { verified_claims: fullRequest({ name: null, birthdate: null }) } },
        String(persona.body['id']),
      );
      const ageCheck = details.options.find((o) => o.name === 'age-check');
      expect(ageCheck?.values.map((v) => v.label)).toEqual(['生年月日']);
      expect(vcOf(info['verified_claims']).claims).toEqual({ birthdate: attrs.dateOfBirth });
      const row = await t.db
        .selectFrom('oidc_consents')
        .select('claims')
        .where('account_id', '=', r.accountId)
        .executeTakeFirstOrThrow();
      expect(row.claims).toEqual(['birthdate']);
    });

    it('fail-claims-outside-the-registration-are-not-released', async () => {
      const r = await passkeyResident(p, sim);
      const attrs = await attributesOf(r);
      const rp = await registerRp(p, { allowedClaims: ['birthdate', 'over_20'] });
      const { info } = await consentWith(r, rp, {
        userinfo: { verified_claims: fullRequest({ name: null, gender: null, birthdate: null }) },
      });
      expect(vcOf(info['verified_claims']).claims).toEqual({ birthdate: attrs.dateOfBirth });
      // Nothing verifiable left (over_20 is registered but derived, not verified): no element.
      const { info: none } = await consentWith(r, rp, {
        userinfo: { verified_claims: fullRequest({ name: null, over_20: null }) },
      });
      expect(none['verified_claims']).toBeUndefined();
    });

    it('fail-unmet-trust-framework-omits-verified-claims', async () => {
      const r = await passkeyResident(p, sim);
      const rp = await registerRp(p, { allowedClaims: ['name'] });
      const { info } = await consentWith(r, rp, {
        userinfo: {
          verified_claims: { verification: { trust_framework: { value: 'de_aml' } }, claims: { name: null } },
        },
      });
      expect(info['verified_claims']).toBeUndefined();
    });
  });

  describe('the anchor no longer valid', () => {
    it('fail-on-hold-unknown-or-needs-reproofing-gives-no-verified-claims', async () => {
      const r = await passkeyResident(p, sim);
      const rp = await registerRp(p, { allowedClaims: ['name', 'birthdate'] });
      const { tokens, info } = await consentWith(
        r,
        rp,
        { userinfo: { verified_claims: fullRequest({ birthdate: null }) } },
        '',
        'openid profile',
      );
      expect(info['verified_claims']).toBeDefined();
      const sub = tokens.claims()!.sub;
      const userinfo = () => client.fetchUserInfo(rp.config, tokens.access_token, sub);
      const anchor = await currentAnchor(r.accountId);

      // Suspended by the CA (certificateHold).
      await t.db
        .updateTable('anchors')
        .set({ status: 'revoked', revocation_reason: 'certificateHold', revoked_at: new Date() })
        .where('id', '=', anchor.id)
        .execute();
      const held = await userinfo();
      expect(held['verified_claims']).toBeUndefined();
      // Plain claims follow their own rules (unchanged by this feature).
      expect(held['name']).toBeDefined();

      // Status unknown (no answer from J-LIS): fail closed.
      await t.db
        .updateTable('anchors')
        .set({ status: 'unknown', revocation_reason: null, revoked_at: null })
        .where('id', '=', anchor.id)
        .execute();
      expect((await userinfo())['verified_claims']).toBeUndefined();

      // Good again: verified claims come back (the test can tell the difference).
      await t.db.updateTable('anchors').set({ status: 'good' }).where('id', '=', anchor.id).execute();
      expect((await userinfo())['verified_claims']).toBeDefined();

      // The account needs re-proofing.
      await t.db
        .updateTable('accounts')
        .set({ status: 'needs_reproofing' })
        .where('id', '=', r.accountId)
        .execute();
      expect((await userinfo())['verified_claims']).toBeUndefined();
    });
  });

  describe('single sign-on (an existing provider session)', () => {
    it('fail-lost-card-reported-then-sso-login-releases-no-verified-claims', async () => {
      const r = await passkeyResident(p, sim);
      const rp = await registerRp(p, { allowedClaims: ['name', 'birthdate'] });
      const claims = JSON.stringify({ id_token: { verified_claims: fullRequest({ birthdate: null }) } });
      // First login through the consent screen: the provider session and the grant exist after it.
      const b = new Browser(r.client.cookie);
      const first = await authorizationUrl(rp, { scope: 'openid', prompt: 'consent', claims });
      const stop = await follow(b, first.url.href, rp.redirectUri);
      if (stop.kind !== 'consent') throw new Error(`expected consent, got ${stop.kind}`);
      const cb = await answerConsent(b, stop, 'approve', rp.redirectUri, {});
      if (cb.kind !== 'callback') throw new Error(`expected callback, got ${cb.kind}`);
      expect((await exchange(rp, first, cb.url)).claims()!['verified_claims']).toBeDefined();

      // The card is reported lost; J-LIS knows, Watashi's stored status does not yet.
      await sim.s.sim.lifeEvent(r.card.residentId, { type: 'lose' });
      sim.s.sim.refreshOcsp();
      p.freshBackend();
      expect((await currentAnchor(r.accountId)).status).toBe('good');

      // The same browser again: no prompt, so without the check no interaction would be shown.
      const again = await authorizationUrl(rp, { scope: 'openid', claims });
      const sso = await follow(b, again.url.href, rp.redirectUri);
      if (sso.kind === 'callback') {
        const tokens = await exchange(rp, again, sso.url);
        expect(tokens.claims()!['verified_claims']).toBeUndefined();
      }
      expect(await currentAnchor(r.accountId)).toMatchObject({
        status: 'revoked',
        revocation_reason: 'certificateHold',
      });
    });
  });

  describe('malformed requests', () => {
    it.each([
      ['no verification', { userinfo: { verified_claims: { claims: { name: null } } } }],
      [
        'empty claims',
        { id_token: { verified_claims: { verification: { trust_framework: null }, claims: {} } } },
      ],
      ['bare null', { id_token: { verified_claims: null } }],
      [
        'evidence without type value',
        {
          userinfo: {
            verified_claims: {
              verification: { trust_framework: null, evidence: [{}] },
              claims: { name: null },
            },
          },
        },
      ],
      ['not an object', { userinfo: { verified_claims: 'given_name' } }],
    ])('fail-%s-is-invalid-request', async (_why, claims) => {
      const r = await passkeyResident(p, sim);
      const rp = await registerRp(p, { allowedClaims: ['name'] });
      const started = await authorizationUrl(rp, { claims: JSON.stringify(claims) });
      const stop = await follow(new Browser(r.client.cookie), started.url.href, rp.redirectUri);
      expect(stop.kind).toBe('callback');
      expect(stop.url.searchParams.get('error')).toBe('invalid_request');
      expect(stop.url.searchParams.get('error_description')).toMatch(/^verified_claims/);
    });
  });
});
