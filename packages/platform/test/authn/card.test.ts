// Sign-in with the card's user-authentication certificate, end to end on both engines over real
// HTTP: hosted cards of an in-process J-LIS simulator driven by the real JpkiCardClient (the card
// computes the signature over the SHA-256 DigestInfo), status by OCSP through the platform's
// JpkiBackend, the real platform (createPlatform).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate, toBase64 } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import { createJpkiBackend } from '../../src/jlis/index.ts';
import { verifyAuditChain } from '../../src/store/audit.ts';
import { forEachEngine } from '../db/harness.ts';
import { newResident, simTrust, startSim, type CardHolder, type TestSim } from '../enrolment/support.ts';
import { Client, enrolResident, startPlatform, type TestPlatform } from './support.ts';

let sim: TestSim;
let other: TestSim; // a second simulator: same DNs, other keys (a wrong chain)
let trust: JpkiTrustStore;

beforeAll(async () => {
  const at = new Date(Math.floor(Date.now() / 1000) * 1000);
  sim = await startSim('authn-card', at);
  other = await startSim('authn-card-other', at);
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
  await other?.close();
});

interface Challenge {
  challenge: string;
  message: string;
  expiresAt: string;
}

async function challenge(c: Client, path: string): Promise<Challenge> {
  const r = await c.post(path);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as unknown as Challenge;
}

/** The card signs the challenge message with its user-authentication key (PIN verified). */
async function proof(card: CardHolder, ch: Challenge, signed: Challenge = ch) {
  const { signature, certificate } = await card.rawAuth(
    new Uint8Array(Buffer.from(signed.message, 'base64')),
  );
  return { challenge: ch.challenge, certificate: toBase64(certificate), signature: toBase64(signature) };
}

forEachEngine((t) => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  async function bound() {
    const r = await enrolResident(p, sim);
    const ch = await challenge(r.client, '/api/authn/card/binding/options');
    const res = await r.client.post('/api/authn/card/binding', await proof(r.card, ch));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { ...r, authenticatorId: res.body['id'] as string };
  }

  async function cardLogin(card: CardHolder, c = new Client(p.url)) {
    const ch = await challenge(c, '/api/authn/card/login/options');
    return { res: await c.post('/api/authn/card/login', await proof(card, ch)), client: c };
  }

  describe('binding', () => {
    it('ok-bind-stores-card-auth-authenticator-and-auth-anchor-and-audits', async () => {
      const r = await bound();
      const cert = parseCertificate((await r.card.rawAuth(new Uint8Array([1]))).certificate);
      const row = await t.db
        .selectFrom('authenticators')
        .selectAll()
        .where('id', '=', r.authenticatorId)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ type: 'card_auth', account_id: r.accountId, user_verified: true });
      expect(row.credential_id).toEqual(new Uint8Array(createHash('sha256').update(cert.spki).digest()));
      expect(row.public_key).toEqual(cert.spki);
      const anchor = await t.db
        .selectFrom('anchors')
        .selectAll()
        .where('account_id', '=', r.accountId)
        .where('purpose', '=', 'auth')
        .executeTakeFirstOrThrow();
      expect(anchor).toMatchObject({ variant: 'card', status: 'good', serial: cert.serial.toString() });
      expect(anchor.evidence).toMatchObject({ source: 'ocsp', status: 'good' });
      const audit = await t.db
        .selectFrom('audit_log')
        .select('type')
        .where('account_id', '=', r.accountId)
        .where('type', '=', 'authenticator.registered')
        .execute();
      expect(audit).toHaveLength(1);
    });

    it('fail-binding-without-session-is-session_required', async () => {
      const r = await new Client(p.url).post('/api/authn/card/binding/options');
      expect(r.status).toBe(401);
      expect(r.body['code']).toBe('session_required');
    });

    it('fail-card-bound-to-another-account-is-authn_credential_exists', async () => {
      const a = await bound();
      const b = await enrolResident(p, sim);
      const ch = await challenge(b.client, '/api/authn/card/binding/options');
      const res = await b.client.post('/api/authn/card/binding', await proof(a.card, ch));
      expect(res.status).toBe(409);
      expect(res.body['code']).toBe('authn_credential_exists');
    });

    it('fail-signing-certificate-is-authn_card_certificate_invalid', async () => {
      const r = await enrolResident(p, sim);
      const ch = await challenge(r.client, '/api/authn/card/binding/options');
      const { signature, certificate } = await r.card.raw(new Uint8Array(Buffer.from(ch.message, 'base64')));
      const res = await r.client.post('/api/authn/card/binding', {
        challenge: ch.challenge,
        certificate: toBase64(certificate),
        signature: toBase64(signature),
      });
      expect(res.status).toBe(400);
      expect(res.body['code']).toBe('authn_card_certificate_invalid');
    });

    it('fail-binding-challenge-used-for-login-is-authn_challenge_unknown', async () => {
      const r = await enrolResident(p, sim);
      const ch = await challenge(r.client, '/api/authn/card/binding/options');
      const res = await r.client.post('/api/authn/card/login', await proof(r.card, ch));
      expect(res.status).toBe(400);
      expect(res.body['code']).toBe('authn_challenge_unknown');
    });
  });

  describe('login', () => {
    it('ok-card-login-starts-session-with-card-assurance-and-audits', async () => {
      const r = await bound();
      const { res, client } = await cardLogin(r.card);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({
        accountId: r.accountId,
        authenticatorId: r.authenticatorId,
        ial: 3,
        // Hardware key + PIN, but not verifier-impersonation resistant (card.ts): capped at 2.
        aal: 2,
      });
      expect(res.body['acr']).toMatch(/^urn:watashi:ac:jp:/);
      expect(res.body['amr']).toEqual(expect.arrayContaining(['sc', 'hwk', 'pin', 'mfa']));
      const me = await client.req('GET', '/api/me');
      expect(me.status).toBe(200);
      const audit = await t.db
        .selectFrom('audit_log')
        .select('type')
        .where('account_id', '=', r.accountId)
        .where('type', '=', 'authentication.card_auth')
        .execute();
      expect(audit).toHaveLength(1);
      expect((await verifyAuditChain(t.db)).ok).toBe(true);
    });

    it('fail-replayed-login-is-authn_challenge_unknown', async () => {
      const r = await bound();
      const c = new Client(p.url);
      const ch = await challenge(c, '/api/authn/card/login/options');
      const body = await proof(r.card, ch);
      expect((await c.post('/api/authn/card/login', body)).status).toBe(200);
      const again = await c.post('/api/authn/card/login', body);
      expect(again.status).toBe(400);
      expect(again.body['code']).toBe('authn_challenge_unknown');
    });

    it('fail-signature-over-another-challenge-is-authn_card_signature_invalid', async () => {
      const r = await bound();
      const c = new Client(p.url);
      const first = await challenge(c, '/api/authn/card/login/options');
      const second = await challenge(c, '/api/authn/card/login/options');
      const res = await c.post('/api/authn/card/login', await proof(r.card, second, first));
      expect(res.status).toBe(401);
      expect(res.body['code']).toBe('authn_card_signature_invalid');
    });

    it('fail-wrong-chain-is-authn_card_chain_invalid', async () => {
      const stranger = await newResident(other);
      const { res } = await cardLogin(stranger);
      expect(res.status).toBe(401);
      expect(res.body['code']).toBe('authn_card_chain_invalid');
    });

    it('fail-card-not-bound-is-authn_card_not_bound', async () => {
      const r = await enrolResident(p, sim);
      const { res } = await cardLogin(r.card);
      expect(res.status).toBe(401);
      expect(res.body['code']).toBe('authn_card_not_bound');
    });

    it('fail-revoked-auth-certificate-is-authn_card_revoked', async () => {
      const r = await bound();
      await sim.s.sim.lifeEvent(r.card.residentId, { type: 'lose' });
      sim.clock.advance(1000);
      await sim.s.sim.publishCrls();
      sim.s.sim.refreshOcsp();
      p.setNow(sim.clock.now());
      p.freshBackend();
      const { res } = await cardLogin(r.card);
      expect(res.status, JSON.stringify(res.body)).toBe(401);
      expect(res.body['code']).toBe('authn_card_revoked');
      // The hold took effect at once, as the sweep would apply it (lifecycle/anchor-check.ts).
      const auth = await t.db
        .selectFrom('anchors')
        .select(['status', 'revocation_reason'])
        .where('account_id', '=', r.accountId)
        .where('purpose', '=', 'auth')
        .where('superseded_by', 'is', null)
        .executeTakeFirstOrThrow();
      expect(auth).toEqual({ status: 'revoked', revocation_reason: 'certificateHold' });
      const account = await t.db
        .selectFrom('accounts')
        .select(['status', 'status_reason'])
        .where('id', '=', r.accountId)
        .executeTakeFirstOrThrow();
      expect(account).toEqual({ status: 'suspended', status_reason: 'certificateHold' });
    });

    it('fail-copied-certificate-with-bad-signature-costs-nothing-and-changes-no-account', async () => {
      const r = await bound();
      // The card is reported lost: J-LIS would answer certificateHold, which suspends the account.
      await sim.s.sim.lifeEvent(r.card.residentId, { type: 'lose' });
      sim.clock.advance(1000);
      await sim.s.sim.publishCrls();
      sim.s.sim.refreshOcsp();
      p.setNow(sim.clock.now());
      p.freshBackend();
      const fees = async () =>
        Number(
          (
            await t.db
              .selectFrom('fee_ledger')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await fees();
      // Someone holding a copy of the certificate but not the card: a signature that is not the key's.
      const c = new Client(p.url);
      const ch = await challenge(c, '/api/authn/card/login/options');
      const copied = await proof(r.card, ch);
      const res = await c.post('/api/authn/card/login', {
        ...copied,
        signature: toBase64(new Uint8Array(256).fill(7)),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(401);
      expect(res.body['code']).toBe('authn_card_signature_invalid');
      expect(await fees()).toBe(before);
      const account = await t.db
        .selectFrom('accounts')
        .select('status')
        .where('id', '=', r.accountId)
        .executeTakeFirstOrThrow();
      expect(account.status).toBe('live');
    });

    it('fail-status-unreachable-under-hard-fail-is-authn_card_status_unavailable', async () => {
      const r = await bound();
      // A J-LIS whose responder does not answer (nothing listens on port 9): no status, no login.
      const deps = p.deps as { backend: typeof p.deps.backend };
      const live = deps.backend;
      deps.backend = createJpkiBackend(
        { kind: 'simulator', url: 'http://127.0.0.1:9', operatorId: 'watashi-test' },
        { now: () => p.deps.now() },
      );
      try {
        const { res } = await cardLogin(r.card);
        expect(res.status, JSON.stringify(res.body)).toBe(503);
        expect(res.body['code']).toBe('authn_card_status_unavailable');
      } finally {
        deps.backend = live;
      }
      // Nothing was half-done: with J-LIS back, the same card signs in.
      expect((await cardLogin(r.card)).res.status).toBe(200);
    });

    it('fail-suspended-account-is-authn_account_unavailable', async () => {
      const r = await bound();
      await p.deps.db
        .updateTable('accounts')
        .set({ status: 'suspended' })
        .where('id', '=', r.accountId)
        .execute();
      const { res } = await cardLogin(r.card);
      expect(res.status, JSON.stringify(res.body)).toBe(403);
      expect(res.body['code']).toBe('authn_account_unavailable');
    });

    it('fail-revoked-binding-is-authn_authenticator_revoked', async () => {
      const r = await bound();
      const rev = await r.client.post(`/api/authn/authenticators/${r.authenticatorId}/revoke`);
      expect(rev.status, JSON.stringify(rev.body)).toBe(200);
      const { res } = await cardLogin(r.card);
      expect(res.status).toBe(401);
      expect(res.body['code']).toBe('authn_authenticator_revoked');
    });
  });
});
