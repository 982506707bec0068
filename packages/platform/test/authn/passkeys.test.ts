// Passkeys end to end on both engines over real HTTP: residents enrolled with hosted cards of an
// in-process J-LIS simulator, a software WebAuthn authenticator (real P-256 keys, CBOR, flags,
// counters), the platform's authn routes, and @simplewebauthn/server verifying.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JpkiTrustStore } from '@watashi/jpki';
import { verifyAuditChain } from '../../src/store/audit.ts';
import { CHALLENGE_TTL_SECONDS } from '../../src/authn/index.ts';
import { forEachEngine } from '../db/harness.ts';
import { simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import {
  SoftAuthenticator,
  type CreationOptionsJSON,
  type RequestOptionsJSON,
} from '../support/soft-authenticator.ts';
import { Client, enrolResident, ORIGIN, startPlatform, type Resident, type TestPlatform } from './support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;

beforeAll(async () => {
  sim = await startSim('authn-passkeys', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
});

async function registrationOptions(r: Resident): Promise<CreationOptionsJSON & Record<string, unknown>> {
  const o = await r.client.post('/api/authn/passkeys/registration/options');
  expect(o.status, JSON.stringify(o.body)).toBe(200);
  return o.body as unknown as CreationOptionsJSON & Record<string, unknown>;
}

async function register(r: Resident, auth: SoftAuthenticator, label?: string) {
  const opts = await registrationOptions(r);
  const { response, credential } = auth.create(opts);
  const res = await r.client.post('/api/authn/passkeys/registration', {
    response,
    ...(label === undefined ? {} : { label }),
  });
  return { res, credential, opts };
}

async function loginOptions(
  c: Client,
  accountId?: string,
): Promise<RequestOptionsJSON & Record<string, unknown>> {
  const o = await c.post('/api/authn/passkeys/login/options', accountId === undefined ? {} : { accountId });
  expect(o.status, JSON.stringify(o.body)).toBe(200);
  return o.body as unknown as RequestOptionsJSON & Record<string, unknown>;
}

forEachEngine((t) => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  /** A resident with one registered device-bound passkey. */
  async function withPasskey(options: ConstructorParameters<typeof SoftAuthenticator>[1] = {}) {
    const r = await enrolResident(p, sim);
    const auth = new SoftAuthenticator(ORIGIN, options);
    const { res, credential } = await register(r, auth);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { r, auth, credential, authenticatorId: res.body['id'] as string };
  }

  async function login(
    c: Client,
    auth: SoftAuthenticator,
    over: Parameters<SoftAuthenticator['get']>[1] = {},
  ) {
    const opts = await loginOptions(c);
    return c.post('/api/authn/passkeys/login', { response: auth.get(opts, over) });
  }

  describe('registration', () => {
    it('ok-register-right-after-enrolment-records-assurance-facts-and-audits', async () => {
      const r = await enrolResident(p, sim);
      const auth = new SoftAuthenticator(ORIGIN);
      const { res, opts } = await register(r, auth, 'my laptop');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(opts).toMatchObject({
        rp: { id: 'watashi.example' },
        attestation: 'direct',
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
        excludeCredentials: [],
      });
      expect(res.body).toMatchObject({
        type: 'passkey',
        label: 'my laptop',
        synced: false,
        backedUp: false,
        attestation: 'none',
        aaguid: null,
        userVerified: true,
      });
      const row = await t.db
        .selectFrom('authenticators')
        .selectAll()
        .where('id', '=', res.body['id'] as string)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ account_id: r.accountId, backup_eligible: false, user_verified: true });
      expect(row.credential_id).toEqual(auth.credentials[0]!.id);
      const audit = await t.db
        .selectFrom('audit_log')
        .selectAll()
        .where('account_id', '=', r.accountId)
        .where('type', '=', 'authenticator.registered')
        .execute();
      expect(audit).toHaveLength(1);
      expect((await verifyAuditChain(t.db)).ok).toBe(true);
    });

    it('ok-synced-passkey-is-recorded-as-synced-and-exclude-credentials-lists-existing', async () => {
      const r = await enrolResident(p, sim);
      const synced = new SoftAuthenticator(ORIGIN, { backupEligible: true, backedUp: true });
      const first = await register(r, synced);
      expect(first.res.status).toBe(201);
      expect(first.res.body).toMatchObject({ synced: true, backedUp: true });
      const opts = await registrationOptions(r);
      expect((opts['excludeCredentials'] as Array<{ id: string }>).map((c) => c.id)).toEqual([
        Buffer.from(synced.credentials[0]!.id).toString('base64url'),
      ]);
    });

    it('fail-registration-without-session-is-session_required', async () => {
      const c = new Client(p.url);
      const o = await c.post('/api/authn/passkeys/registration/options');
      expect(o.status).toBe(401);
      expect(o.body['code']).toBe('session_required');
    });

    it('fail-credential-already-registered-is-authn_credential_exists', async () => {
      const { r, auth, credential } = await withPasskey();
      // The authenticator presents the registered credential again (excludeCredentials ignored),
      // to the same account and to another one.
      const other = await enrolResident(p, sim);
      for (const who of [r, other]) {
        const { response } = auth.create(await registrationOptions(who), { reuse: credential });
        const res = await who.client.post('/api/authn/passkeys/registration', { response });
        expect(res.status).toBe(409);
        expect(res.body['code']).toBe('authn_credential_exists');
      }
    });

    it('fail-registration-uv-missing-is-authn_user_verification_missing', async () => {
      const r = await enrolResident(p, sim);
      const opts = await registrationOptions(r);
      const { response } = new SoftAuthenticator(ORIGIN, { uv: false }).create(opts);
      const res = await r.client.post('/api/authn/passkeys/registration', { response });
      expect(res.status).toBe(400);
      expect(res.body['code']).toBe('authn_user_verification_missing');
    });

    it('fail-registration-wrong-origin-is-authn_origin_mismatch', async () => {
      const r = await enrolResident(p, sim);
      const opts = await registrationOptions(r);
      const { response } = new SoftAuthenticator('https://evil.example').create(opts);
      const res = await r.client.post('/api/authn/passkeys/registration', { response });
      expect(res.status).toBe(400);
      expect(res.body['code']).toBe('authn_origin_mismatch');
    });

    it('fail-registration-challenge-of-another-account-is-authn_challenge_unknown', async () => {
      const a = await enrolResident(p, sim);
      const b = await enrolResident(p, sim);
      const opts = await registrationOptions(a);
      const { response } = new SoftAuthenticator(ORIGIN).create(opts);
      const res = await b.client.post('/api/authn/passkeys/registration', { response });
      expect(res.status).toBe(400);
      expect(res.body['code']).toBe('authn_challenge_unknown');
    });

    it('fail-malformed-registration-is-authn_response_malformed', async () => {
      const r = await enrolResident(p, sim);
      const opts = await registrationOptions(r);
      const { response } = new SoftAuthenticator(ORIGIN).create(opts);
      for (const bad of [
        { ...response, type: 'other' },
        { ...response, response: { ...response.response, clientDataJSON: 'not json!' } },
        {
          ...response,
          response: { ...response.response, attestationObject: Buffer.from([0xa0]).toString('base64url') },
        },
        'string',
      ]) {
        const res = await r.client.post('/api/authn/passkeys/registration', { response: bad });
        expect(res.status).toBe(400);
        expect(res.body['code']).toBe('authn_response_malformed');
      }
    });
  });

  describe('login', () => {
    it('ok-discoverable-login-starts-session-with-computed-acr-amr-and-audits', async () => {
      const { r, auth, authenticatorId } = await withPasskey();
      const c = new Client(p.url);
      const res = await login(c, auth);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ accountId: r.accountId, authenticatorId, ial: 3 });
      expect(res.body['aal']).toBeGreaterThanOrEqual(2);
      expect(res.body['acr']).toMatch(/^urn:watashi:ac:jp:/);
      expect(res.body['amr']).toEqual(expect.arrayContaining(['pop', 'user']));
      expect(c.cookie).toBeDefined();
      const list = await c.req('GET', '/api/authn/authenticators');
      expect(list.status).toBe(200);
      const session = await t.db
        .selectFrom('sessions')
        .selectAll()
        .where('account_id', '=', r.accountId)
        .where('authenticator_id', '=', authenticatorId)
        .executeTakeFirstOrThrow();
      expect(session.acr).toBe(res.body['acr']);
      const row = await t.db
        .selectFrom('authenticators')
        .select(['sign_count', 'last_used_at'])
        .where('id', '=', authenticatorId)
        .executeTakeFirstOrThrow();
      expect(row.sign_count).toBe(1n);
      expect(row.last_used_at).not.toBeNull();
      const audit = await t.db
        .selectFrom('audit_log')
        .select('type')
        .where('account_id', '=', r.accountId)
        .where('type', '=', 'authentication.passkey')
        .execute();
      expect(audit).toHaveLength(1);
    });

    it('ok-login-by-account-lists-its-credentials', async () => {
      const { r, auth } = await withPasskey();
      const c = new Client(p.url);
      const opts = await loginOptions(c, r.accountId);
      expect((opts.allowCredentials ?? []).map((x) => x.id)).toEqual([
        Buffer.from(auth.credentials[0]!.id).toString('base64url'),
      ]);
      const res = await c.post('/api/authn/passkeys/login', { response: auth.get(opts) });
      expect(res.status).toBe(200);
    });

    it('ok-synced-passkey-login-does-not-reach-the-top-level', async () => {
      const { auth } = await withPasskey({ backupEligible: true, backedUp: true });
      const res = await login(new Client(p.url), auth);
      expect(res.status).toBe(200);
      expect(res.body['aal']).toBeLessThan(3);
      expect(res.body['amr']).toContain('swk');
    });

    it('ok-authenticator-without-counter-may-report-zero', async () => {
      const { auth } = await withPasskey({ counterStep: 0 });
      expect((await login(new Client(p.url), auth)).status).toBe(200);
      expect((await login(new Client(p.url), auth)).status).toBe(200);
    });

    const cases: Array<[string, Parameters<SoftAuthenticator['get']>[1], number, string]> = [
      [
        'fail-wrong-origin-is-authn_origin_mismatch',
        { origin: 'https://watashi.example.evil' },
        400,
        'authn_origin_mismatch',
      ],
      ['fail-wrong-rp-id-is-authn_rp_id_mismatch', { rpId: 'evil.example' }, 400, 'authn_rp_id_mismatch'],
      [
        'fail-bad-signature-is-authn_signature_invalid',
        { corruptSignature: true },
        401,
        'authn_signature_invalid',
      ],
      [
        'fail-uv-missing-is-authn_user_verification_missing',
        { uv: false },
        400,
        'authn_user_verification_missing',
      ],
      ['fail-up-missing-is-authn_user_presence_missing', { up: false }, 400, 'authn_user_presence_missing'],
      [
        'fail-wrong-type-is-authn_response_malformed',
        { type: 'webauthn.create' },
        400,
        'authn_response_malformed',
      ],
      [
        'fail-unissued-challenge-is-authn_challenge_unknown',
        { challenge: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
        400,
        'authn_challenge_unknown',
      ],
    ];
    for (const [name, over, status, code] of cases)
      it(name, async () => {
        const { auth } = await withPasskey();
        const res = await login(new Client(p.url), auth, over);
        expect(res.status, JSON.stringify(res.body)).toBe(status);
        expect(res.body['code']).toBe(code);
      });

    it('fail-closed-account-is-authn_account_unavailable-and-the-counter-is-kept', async () => {
      const { r, auth } = await withPasskey();
      await p.deps.db
        .updateTable('accounts')
        .set({ status: 'closed' })
        .where('id', '=', r.accountId)
        .execute();
      const before = await p.deps.db
        .selectFrom('authenticators')
        .select('sign_count')
        .where('account_id', '=', r.accountId)
        .executeTakeFirstOrThrow();
      const res = await login(new Client(p.url), auth);
      expect(res.status, JSON.stringify(res.body)).toBe(403);
      expect(res.body['code']).toBe('authn_account_unavailable');
      const after = await p.deps.db
        .selectFrom('authenticators')
        .select('sign_count')
        .where('account_id', '=', r.accountId)
        .executeTakeFirstOrThrow();
      expect(after.sign_count).toBe(before.sign_count);
    });

    it('fail-login-body-with-unknown-members-is-authn_request_invalid', async () => {
      const res = await new Client(p.url).post('/api/authn/passkeys/login', { response: {}, extra: 1 });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body['code']).toBe('authn_request_invalid');
    });

    it('fail-unknown-credential-is-authn_unknown_credential', async () => {
      const r = await enrolResident(p, sim);
      const stranger = new SoftAuthenticator(ORIGIN);
      // A credential created for a challenge the platform issued, but never registered.
      const opts = await registrationOptions(r);
      stranger.create(opts);
      const res = await login(new Client(p.url), stranger);
      expect(res.status).toBe(401);
      expect(res.body['code']).toBe('authn_unknown_credential');
    });

    it('fail-replayed-challenge-is-authn_challenge_unknown', async () => {
      const { auth } = await withPasskey();
      const c = new Client(p.url);
      const opts = await loginOptions(c);
      const response = auth.get(opts);
      expect((await c.post('/api/authn/passkeys/login', { response })).status).toBe(200);
      const again = await c.post('/api/authn/passkeys/login', { response });
      expect(again.status).toBe(400);
      expect(again.body['code']).toBe('authn_challenge_unknown');
    });

    it('fail-expired-challenge-is-authn_challenge_expired', async () => {
      const { auth } = await withPasskey();
      const c = new Client(p.url);
      const opts = await loginOptions(c);
      const start = p.deps.now();
      p.setNow(new Date(start.getTime() + CHALLENGE_TTL_SECONDS * 1000 + 1000));
      try {
        const res = await c.post('/api/authn/passkeys/login', { response: auth.get(opts) });
        expect(res.status).toBe(400);
        expect(res.body['code']).toBe('authn_challenge_expired');
      } finally {
        p.setNow(start);
      }
    });

    it('fail-counter-regression-is-authn_counter_regression', async () => {
      const { auth } = await withPasskey();
      expect((await login(new Client(p.url), auth)).status).toBe(200);
      expect((await login(new Client(p.url), auth)).status).toBe(200);
      const res = await login(new Client(p.url), auth, { signCount: 1 });
      expect(res.status).toBe(401);
      expect(res.body['code']).toBe('authn_counter_regression');
    });

    it('fail-malformed-response-is-authn_response_malformed', async () => {
      const { auth } = await withPasskey();
      const c = new Client(p.url);
      const opts = await loginOptions(c);
      const good = auth.get(opts);
      for (const bad of [
        {},
        { ...good, rawId: '***' },
        { ...good, response: { ...good.response, authenticatorData: 'AAAA' } },
      ]) {
        const res = await c.post('/api/authn/passkeys/login', { response: bad });
        expect(res.status).toBe(400);
        expect(res.body['code']).toBe('authn_response_malformed');
      }
    });

    it('fail-revoked-authenticator-is-authn_authenticator_revoked', async () => {
      const { r, auth, authenticatorId } = await withPasskey();
      const second = new SoftAuthenticator(ORIGIN);
      expect((await register(r, second)).res.status).toBe(201);
      const rev = await r.client.post(`/api/authn/authenticators/${authenticatorId}/revoke`);
      expect(rev.status, JSON.stringify(rev.body)).toBe(200);
      const res = await login(new Client(p.url), auth);
      expect(res.status).toBe(401);
      expect(res.body['code']).toBe('authn_authenticator_revoked');
      expect((await login(new Client(p.url), second)).status).toBe(200);
    });
  });

  describe('management', () => {
    it('ok-list-rename-revoke-with-last-authenticator-guard', async () => {
      const { r, auth, authenticatorId } = await withPasskey();
      const c = new Client(p.url);
      expect((await login(c, auth)).status).toBe(200);
      const list = await c.req('GET', '/api/authn/authenticators');
      expect((list.body['authenticators'] as unknown[]).length).toBe(1);
      const renamed = await c.req('PATCH', `/api/authn/authenticators/${authenticatorId}`, {
        label: 'phone',
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body['label']).toBe('phone');
      const refused = await c.post(`/api/authn/authenticators/${authenticatorId}/revoke`);
      expect(refused.status).toBe(409);
      expect(refused.body['code']).toBe('authn_last_authenticator');
      const forced = await c.post(`/api/authn/authenticators/${authenticatorId}/revoke`, { force: true });
      expect(forced.status).toBe(200);
      expect(forced.body['sessionsEnded']).toBe(1);
      // The session opened with the revoked passkey has ended.
      expect((await c.req('GET', '/api/authn/authenticators')).status).toBe(401);
      const audit = await t.db
        .selectFrom('audit_log')
        .select('type')
        .where('account_id', '=', r.accountId)
        .where('type', '=', 'authenticator.revoked')
        .execute();
      expect(audit).toHaveLength(1);
    });

    it('fail-other-accounts-authenticator-is-authn_not_found', async () => {
      const { authenticatorId } = await withPasskey();
      const other = await enrolResident(p, sim);
      const res = await other.client.req('PATCH', `/api/authn/authenticators/${authenticatorId}`, {
        label: 'x',
      });
      expect(res.status).toBe(404);
      expect(res.body['code']).toBe('authn_not_found');
      const rev = await other.client.post(`/api/authn/authenticators/${authenticatorId}/revoke`, {
        force: true,
      });
      expect(rev.status).toBe(404);
    });
  });
});
