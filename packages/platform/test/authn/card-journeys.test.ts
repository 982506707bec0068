// The resident's journeys with the My Number card (issue 17), end to end on both engines over real
// HTTP against the real platform (createPlatform) and an in-process J-LIS simulator whose hosted
// cards sign through the real JpkiCardClient:
// - a signed-in resident who moved completes an enrolment on the same account (it used to answer
//   enrolment_person_unconfirmed, "sign in first", to a resident who was signed in);
// - move → sweep → notice → re-proof in one step from the notice → same account, level back;
// - every passkey lost → card sign-in → a new passkey, same account;
// (Step-up, which way meets what an RP asked, is tested where it is answered: test/oidc/card-step-up.test.ts
// and interaction-api.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64 } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import { runSweep } from '../../src/lifecycle/index.ts';
import { forEachEngine } from '../db/harness.ts';
import { simTrust, startSim, type CardHolder, type TestSim } from '../enrolment/support.ts';
import {
  SoftAuthenticator,
  type CreationOptionsJSON,
  type RequestOptionsJSON,
} from '../support/soft-authenticator.ts';
import { Client, enrolResident, ORIGIN, startPlatform, type Resident, type TestPlatform } from './support.ts';

const HOUR = 3600_000;

let sim: TestSim;
let trust: JpkiTrustStore;

beforeAll(async () => {
  sim = await startSim('authn-card-journeys', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
});

interface Challenge {
  challenge: string;
  message: string;
}

/** The card signs a card challenge with its user-authentication key (4-digit PIN). */
async function cardProof(card: CardHolder, c: Client, path: string) {
  const r = await c.post(path);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const ch = r.body as unknown as Challenge;
  const { signature, certificate } = await card.rawAuth(new Uint8Array(Buffer.from(ch.message, 'base64')));
  return { challenge: ch.challenge, certificate: toBase64(certificate), signature: toBase64(signature) };
}

/** Signs an enrolment (or re-proofing) document with the card's signing key and completes it. */
async function signDocument(c: Client, card: CardHolder, reproofing: boolean) {
  const base = reproofing ? '/api/enrolments/reproofing' : '/api/enrolments';
  const issued = await c.post(base, {});
  expect(issued.status, JSON.stringify(issued.body)).toBe(201);
  const doc = issued.body['document'] as { bytes: string };
  const { signature, certificate } = await card.raw(new Uint8Array(Buffer.from(doc.bytes, 'base64')));
  return c.post(`${base}/${issued.body['id'] as string}/complete`, {
    signature: toBase64(signature),
    certificate: toBase64(certificate),
  });
}

/** The simulator moves on an hour, publishes every CRL and refreshes OCSP (a new day's CRL). */
async function publish(p: TestPlatform): Promise<void> {
  sim.clock.advance(HOUR);
  p.setNow(sim.clock.now());
  await sim.s.sim.publishCrls();
  sim.s.sim.refreshOcsp();
  p.freshBackend();
}

forEachEngine((t) => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  async function registerPasskey(c: Client, auth: SoftAuthenticator): Promise<string> {
    const o = await c.post('/api/authn/passkeys/registration/options');
    expect(o.status, JSON.stringify(o.body)).toBe(200);
    const { response } = auth.create(o.body as unknown as CreationOptionsJSON);
    const res = await c.post('/api/authn/passkeys/registration', { response });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body['id'] as string;
  }

  async function passkeyLogin(c: Client, auth: SoftAuthenticator) {
    const o = await c.post('/api/authn/passkeys/login/options', {});
    return c.post('/api/authn/passkeys/login', {
      response: auth.get(o.body as unknown as RequestOptionsJSON),
    });
  }

  async function bindCard(r: Resident): Promise<string> {
    const res = await r.client.post(
      '/api/authn/card/binding',
      await cardProof(r.card, r.client, '/api/authn/card/binding/options'),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body['id'] as string;
  }

  /** A resident with a passkey and the card bound, signed in with the passkey. */
  async function resident() {
    const r = await enrolResident(p, sim);
    const auth = new SoftAuthenticator(ORIGIN);
    const passkeyId = await registerPasskey(r.client, auth);
    const cardId = await bindCard(r);
    const c = new Client(p.url);
    expect((await passkeyLogin(c, auth)).status).toBe(200);
    return { ...r, client: c, auth, passkeyId, cardId };
  }

  describe('re-proofing', () => {
    it('ok-signed-in-resident-who-moved-completes-an-enrolment-on-the-same-account', async () => {
      const r = await resident();
      await sim.s.sim.lifeEvent(r.card.residentId, { type: 'move' });
      await publish(p);
      // Signed out, the new certificate (other address) only names a candidate: refused as before.
      const anonymous = await signDocument(new Client(p.url), r.card, false);
      expect(anonymous.status).toBe(409);
      expect(anonymous.body['code']).toBe('enrolment_person_unconfirmed');
      // Signed in to that very account, the same signature confirms it (README "Same person", 4).
      const done = await signDocument(r.client, r.card, false);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body).toMatchObject({ accountId: r.accountId, created: false, proofingLevel: 3 });
      const audit = await t.db
        .selectFrom('audit_log')
        .select('payload')
        .where('account_id', '=', r.accountId)
        .where('type', '=', 'account.reproofed')
        .executeTakeFirstOrThrow();
      expect(audit.payload).toMatchObject({ confirmedBy: 'session' });
      // No second account was made for the same person.
      const { person_key } = await t.db
        .selectFrom('accounts')
        .select('person_key')
        .where('id', '=', r.accountId)
        .executeTakeFirstOrThrow();
      const same = await t.db
        .selectFrom('accounts')
        .select('id')
        .where('person_key', '=', person_key)
        .execute();
      expect(same).toHaveLength(1);
    });

    it('fail-signed-in-to-another-account-does-not-confirm-the-candidate', async () => {
      const r = await resident();
      const someoneElse = await enrolResident(p, sim);
      await sim.s.sim.lifeEvent(r.card.residentId, { type: 'move' });
      await publish(p);
      const res = await signDocument(someoneElse.client, r.card, false);
      expect(res.status).toBe(409);
      expect(res.body['code']).toBe('enrolment_person_unconfirmed');
    });

    it('ok-move-sweep-notice-then-re-proof-in-one-step-keeps-the-account-and-session', async () => {
      const r = await resident();
      const before = await r.client.req('GET', '/api/me');
      expect(before.status).toBe(200);
      await sim.s.sim.lifeEvent(r.card.residentId, { type: 'move' });
      await publish(p);
      expect((await runSweep(p.deps)).status).toBe('completed');
      const notices = await r.client.req('GET', '/api/me/notices');
      const notice = (notices.body['notices'] as Array<Record<string, unknown>>)[0];
      expect(notice).toMatchObject({ kind: 'reproofing_required', action: 'reproof' });
      expect((notice!['title'] as { ja: string }).ja).toMatch(
        /^引っ越しまたは氏名の変更により、カードの署名用電子証明書が失効しました。/,
      );
      const moved = await r.client.req('GET', '/api/me');
      expect(moved.body['identityProofing']).toMatchObject({ reproofingWouldHelp: true });
      expect((moved.body['identityProofing'] as { level: number }).level).toBeLessThan(3);
      // A minute later, the one step: sign the re-proofing document with the card's new signing
      // certificate.
      sim.clock.advance(60_000);
      p.setNow(sim.clock.now());
      const done = await signDocument(r.client, r.card, true);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body).toMatchObject({ accountId: r.accountId, created: false, proofingLevel: 3 });
      const account = await t.db
        .selectFrom('accounts')
        .select('status')
        .where('id', '=', r.accountId)
        .executeTakeFirstOrThrow();
      expect(account.status).toBe('live');
      // The same session goes on, now meeting what it did not.
      const after = await r.client.req('GET', '/api/me');
      expect(after.body['identityProofing']).toMatchObject({ level: 3, reproofingWouldHelp: false });
      const kinds = (
        (await r.client.req('GET', '/api/me/notices')).body['notices'] as Array<{ kind: string }>
      ).map((n) => n.kind);
      expect(kinds[0]).toBe('reproofed');
    });
  });

  describe('recovery', () => {
    it('ok-every-passkey-lost-card-sign-in-then-a-new-passkey', async () => {
      const r = await resident();
      // The phone is lost: the resident revokes its passkey (the last one) from this session.
      const revoked = await r.client.post(`/api/authn/authenticators/${r.passkeyId}/revoke`, { force: true });
      expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
      expect((await passkeyLogin(new Client(p.url), r.auth)).body['code']).toBe(
        'authn_authenticator_revoked',
      );
      // Card sign-in: the card's anchor (the bound user-authentication key) finds the account.
      const c = new Client(p.url);
      const login = await c.post(
        '/api/authn/card/login',
        await cardProof(r.card, c, '/api/authn/card/login/options'),
      );
      expect(login.status, JSON.stringify(login.body)).toBe(200);
      expect(login.body).toMatchObject({ accountId: r.accountId, aal: 2, ial: 3 });
      expect(login.body['amr']).toEqual(expect.arrayContaining(['hwk', 'pin', 'sc']));
      // A new passkey on the new phone, then sign in with it.
      const phone = new SoftAuthenticator(ORIGIN);
      await registerPasskey(c, phone);
      const again = await passkeyLogin(new Client(p.url), phone);
      expect(again.status).toBe(200);
      expect(again.body['accountId']).toBe(r.accountId);
    });
  });
});
