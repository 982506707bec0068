// Verifiable credentials end to end on both engines over real HTTP (issue 19): OpenID4VCI 1.0
// issuance with a pre-authorized code and a key proof, the counter's OpenID4VP 1.0 request and
// direct_post response, and the Token Status List following the account. The holder side and
// every check of what the platform signs are written here by hand with jose — an SD-JWT
// implementation independent of the @sd-jwt library the platform uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compactVerify,
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JWK,
  type JSONWebKeySet,
} from 'jose';
import { inflateSync } from 'node:zlib';
import type { JpkiTrustStore } from '@watashi/jpki';
import { fromBase64 } from '@watashi/pki';
import { completeEnrolment, issueEnrolment } from '../../src/enrolment/index.ts';
import { changeAccountStatus } from '../../src/lifecycle/account-status.ts';
import { runSweep } from '../../src/lifecycle/index.ts';
import { forEachEngine } from '../db/harness.ts';
import { sha256b64u, verifySdJwt } from './sd-jwt-check.ts';
import { simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import {
  Client,
  enrolResident,
  PUBLIC_URL,
  sessionCookie,
  startPlatform,
  type TestPlatform,
} from '../authn/support.ts';

const HOUR = 3600_000;

let sim: TestSim;
let trust: JpkiTrustStore;
beforeAll(async () => {
  sim = await startSim('credentials', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
});

const PRE_AUTH = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';

/** A holder: a P-256 key pair as a wallet keeps it. */
async function holder() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, jwk: await exportJWK(publicKey) };
}
type Holder = Awaited<ReturnType<typeof holder>>;

forEachEngine((t) => {
  let p: TestPlatform;
  let jwks: JSONWebKeySet;
  beforeAll(async () => {
    p = await startPlatform(t, sim, trust);
    jwks = ((await new Client(p.url).req('GET', '/.well-known/jwt-vc-issuer')).body.jwks ??
      {}) as JSONWebKeySet;
  });
  afterAll(async () => {
    await p?.close();
  });

  const form = async (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${p.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  /** The OpenID4VCI 1.0 pre-authorized code flow as a wallet runs it. */
  async function receive(c: Client, h: Holder, proofKey: Holder = h) {
    const offer = await c.post('/api/credentials/offer');
    expect(offer.status).toBe(200);
    const o = offer.body.credential_offer as { grants: Record<string, { 'pre-authorized_code': string }> };
    const code = o.grants[PRE_AUTH]!['pre-authorized_code'];
    const token = await form('/credentials/token', { grant_type: PRE_AUTH, 'pre-authorized_code': code });
    expect(token.status).toBe(200);
    const again = await form('/credentials/token', { grant_type: PRE_AUTH, 'pre-authorized_code': code });
    expect(again.body.code, 'a pre-authorized code is single-use').toBe('credential_grant_invalid');
    const nonce = (await new Client(p.url).post('/credentials/nonce')).body.c_nonce as string;
    const proof = await new SignJWT({ nonce })
      .setProtectedHeader({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk: proofKey.jwk })
      .setAudience(PUBLIC_URL)
      .setIssuedAt(Math.floor(p.deps.now().getTime() / 1000))
      .sign(proofKey.privateKey);
    const res = await fetch(`${p.url}/credentials/credential`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token.body.access_token as string}`,
      },
      body: JSON.stringify({
        credential_configuration_id: 'watashi_resident_attributes',
        proofs: { jwt: [proof] },
      }),
    });
    const body = (await res.json()) as { credentials?: Array<{ credential: string }>; code?: string };
    return { status: res.status, body, credential: body.credentials?.[0]?.credential };
  }

  /** A presentation of `over_20` only with a key-binding JWT signed by `signer` (RFC 9901 §4.3). */
  async function present(credential: string, nonce: string, aud: string, signer: Holder) {
    const parts = credential.split('~');
    const over20 = parts
      .slice(1)
      .filter((d) => d !== '')
      .filter((d) => (JSON.parse(Buffer.from(d, 'base64url').toString()) as unknown[])[1] === 'over_20');
    const prefix = `${[parts[0], ...over20].join('~')}~`;
    const kb = await new SignJWT({ nonce, aud, sd_hash: sha256b64u(prefix) })
      .setProtectedHeader({ alg: 'ES256', typ: 'kb+jwt' })
      .setIssuedAt(Math.floor(p.deps.now().getTime() / 1000))
      .sign(signer.privateKey);
    return prefix + kb;
  }

  /** The counter: a request, the QR's OpenID4VP parameters, and a direct_post of `presentation`. */
  async function counter() {
    const req = await new Client(p.url).post('/api/counter/requests');
    expect(req.status).toBe(200);
    const uri = new URL(req.body.uri as string);
    expect(uri.protocol).toBe('openid4vp:');
    const q = Object.fromEntries(uri.searchParams);
    expect(q.response_mode).toBe('direct_post');
    expect(JSON.parse(q.dcql_query!)).toMatchObject({
      credentials: [{ format: 'dc+sd-jwt', claims: [{ path: ['over_20'] }] }],
    });
    expect(
      (JSON.parse(q.dcql_query!) as { credentials: [{ claims: unknown[] }] }).credentials[0].claims,
    ).toHaveLength(1);
    expect(req.body.svg).toMatch(/^<svg/);
    return {
      q: q as Record<string, string>,
      pollId: req.body.pollId as string,
      post: (presentation: string) =>
        form('/counter/response', {
          state: q.state!,
          vp_token: JSON.stringify({ watashi_over_20: [presentation] }),
        }),
      poll: async () =>
        (await new Client(p.url).req('GET', `/api/counter/requests/${req.body.pollId as string}`)).body,
    };
  }

  /** The entry at `idx` of the status list the platform publishes, its signature checked. */
  async function published(idx: number): Promise<number> {
    const res = await fetch(`${p.url}/credentials/status/1`);
    const { payload } = await jwtVerify(await res.text(), createLocalJWKSet(jwks), { typ: 'statuslist+jwt' });
    const bytes = inflateSync(Buffer.from((payload.status_list as { lst: string }).lst, 'base64url'));
    return (bytes[idx >> 2]! >> ((idx & 3) * 2)) & 3;
  }
  const indexOf = (credential: string): number =>
    (
      JSON.parse(Buffer.from(credential.split('.')[1]!, 'base64url').toString()) as {
        status: { status_list: { idx: number } };
      }
    ).status.status_list.idx;
  /** What the counter answers to `credential` presented by `h`. */
  async function atCounter(credential: string, h: Holder) {
    const c = await counter();
    return (await c.post(await present(credential, c.q.nonce!, c.q.client_id!, h))).body;
  }
  /** A signed-in visit now (the platform's clock may have moved past an earlier session). */
  async function visit(accountId: string): Promise<Client> {
    const c = new Client(p.url);
    c.cookie = await sessionCookie(p.deps, accountId);
    return c;
  }
  /** J-LIS publishes what happened in the last hour; the platform's real sweep reads it. */
  async function sweepAfterAnHour() {
    sim.clock.advance(HOUR);
    await sim.s.sim.publishCrls();
    sim.s.sim.refreshOcsp();
    p.setNow(sim.clock.now());
    const result = await runSweep(p.deps, { shards: 2 });
    expect(result.status).toBe('completed');
    return result;
  }

  describe('issuance and presentation', () => {
    it('issues an SD-JWT VC bound to the holder key with every claim disclosable; the counter learns only over_20', async () => {
      const r = await enrolResident(p, sim);
      const h = await holder();
      const got = await receive(r.client, h);
      expect(got.status, JSON.stringify(got.body)).toBe(200);
      const v = await verifySdJwt(got.credential!, jwks, PUBLIC_URL);
      expect(v.protectedHeader.typ).toBe('dc+sd-jwt');
      expect(v.payload.vct).toBe(`${PUBLIC_URL}/credentials/types/resident-attributes`);
      expect((v.payload.cnf as { jwk: JWK }).jwk).toEqual({
        kty: 'EC',
        crv: 'P-256',
        x: h.jwk.x,
        y: h.jwk.y,
      });
      expect(Object.keys(v.claims).sort()).toEqual(
        expect.arrayContaining([
          'address',
          'age_bracket',
          'birthdate',
          'name',
          'over_18',
          'over_20',
          'resident_of',
        ]),
      );
      expect(typeof v.claims.over_20).toBe('boolean');
      const status = (v.payload.status as { status_list: { idx: number; uri: string } }).status_list;
      expect(status.uri).toBe(`${PUBLIC_URL}/credentials/status/1`);
      const row = await p.deps.db
        .selectFrom('credentials')
        .selectAll()
        .where('account_id', '=', r.accountId)
        .executeTakeFirstOrThrow();
      expect(row.status_index).toBe(status.idx);

      // The status list, checked by hand (draft-ietf-oauth-status-list §4.1: zlib, 2 bits, LSB first).
      const listRes = await fetch(`${p.url}/credentials/status/1`);
      expect(listRes.headers.get('content-type')).toMatch(/application\/statuslist\+jwt/);
      const listJwt = await listRes.text();
      const { payload: lp } = await jwtVerify(listJwt, createLocalJWKSet(jwks), { typ: 'statuslist+jwt' });
      const entry = (i: number) => {
        const bytes = inflateSync(Buffer.from((lp.status_list as { lst: string }).lst, 'base64url'));
        return (bytes[i >> 2]! >> ((i & 3) * 2)) & 3;
      };
      expect(entry(status.idx)).toBe(0);

      // The counter.
      const c = await counter();
      const presentation = await present(got.credential!, c.q.nonce!, c.q.client_id!, h);
      // What the wallet sends, checked independently: only over_20 disclosed, the key binding valid.
      const pv = await verifySdJwt(presentation, jwks, PUBLIC_URL);
      expect(Object.keys(pv.claims)).toEqual(['over_20']);
      const kb = await compactVerify(pv.kb, await import('jose').then((j) => j.importJWK(h.jwk, 'ES256')));
      const kbPayload = JSON.parse(new TextDecoder().decode(kb.payload)) as Record<string, unknown>;
      expect(kbPayload.sd_hash).toBe(sha256b64u(presentation.slice(0, presentation.lastIndexOf('~') + 1)));
      expect(decodeProtectedHeader(pv.kb).typ).toBe('kb+jwt');

      expect((await c.poll()).status).toBe('pending');
      const answer = await c.post(presentation);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const shown = await c.poll();
      expect(shown).toMatchObject({
        status: 'done',
        outcome: 'verified',
        over20: v.claims.over_20,
        issuer: PUBLIC_URL,
      });
      // Nothing beyond what was asked reaches the counter.
      expect(Object.keys(shown).sort()).toEqual([
        'checkedAt',
        'issuedAt',
        'issuer',
        'outcome',
        'over20',
        'status',
      ]);

      // Replayed: the same presentation to the same request, and to a fresh request.
      expect((await c.post(presentation)).body.code).toBe('presentation_replayed');
      const c2 = await counter();
      expect((await c2.post(presentation)).body.code).toBe('presentation_invalid');

      // Bound to another key: a key-binding JWT signed by a key that is not in cnf.
      const other = await holder();
      const c3 = await counter();
      const forged = await present(got.credential!, c3.q.nonce!, c3.q.client_id!, other);
      expect((await c3.post(forged)).body.code).toBe('presentation_invalid');
      expect(await c3.poll()).toMatchObject({
        status: 'done',
        outcome: 'refused',
        reason: 'presentation_invalid',
      });

      // Another audience (a presentation made for someone else) is refused too.
      const c4 = await counter();
      expect(
        (
          await c4.post(
            await present(got.credential!, c4.q.nonce!, 'redirect_uri:https://elsewhere.example/cb', h),
          )
        ).body.code,
      ).toBe('presentation_invalid');
    });

    it('refuses a key proof of another key than the one that signs it, a reused c_nonce and a bad token', async () => {
      const r = await enrolResident(p, sim);
      const h = await holder();
      // A proof whose embedded jwk is not the signing key does not verify.
      const liar = { privateKey: (await holder()).privateKey, jwk: h.jwk };
      expect((await receive(r.client, h, liar)).body.code).toBe('credential_proof_invalid');
      const res = await fetch(`${p.url}/credentials/credential`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-real-token-value-000' },
        body: JSON.stringify({
          credential_configuration_id: 'watashi_resident_attributes',
          proofs: { jwt: ['x'] },
        }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('credential_proof_invalid');
      const noBody = await form('/credentials/token', { grant_type: 'authorization_code' });
      expect(noBody.body.code).toBe('credential_request_invalid');
    });
  });

  describe('the credential follows the account', () => {
    it('suspended → refused as suspended, resumed → accepted, closed → revoked', async () => {
      const r = await enrolResident(p, sim);
      const h = await holder();
      const { credential } = await receive(r.client, h);
      const tryAt = async () => {
        const c = await counter();
        return (await c.post(await present(credential!, c.q.nonce!, c.q.client_id!, h))).body;
      };
      expect((await tryAt()).outcome).toBe('verified');
      const listed = await r.client.req('GET', '/api/credentials');
      expect(listed.body.credentials).toMatchObject([{ status: 'valid' }]);
      await changeAccountStatus(p.deps, {
        action: 'suspend',
        by: 'operator',
        accountId: r.accountId,
        reason: 'test',
      });
      expect((await tryAt()).code).toBe('presentation_credential_revoked');
      // The published list says suspended (0x02), not revoked: it may come back.
      expect(await published(indexOf(credential!))).toBe(2);
      await changeAccountStatus(p.deps, {
        action: 'resume',
        by: 'operator',
        accountId: r.accountId,
        reason: 'test',
      });
      expect((await tryAt()).outcome).toBe('verified');
      expect(await published(indexOf(credential!))).toBe(0);
      await changeAccountStatus(p.deps, { action: 'close', by: 'resident', accountId: r.accountId });
      expect((await tryAt()).code).toBe('presentation_credential_revoked');
      expect(await published(indexOf(credential!))).toBe(1);
      const row = await p.deps.db
        .selectFrom('credentials')
        .selectAll()
        .where('account_id', '=', r.accountId)
        .executeTakeFirstOrThrow();
      // The row holds no claim value and the anchor link is gone with the erased anchor.
      expect(Object.keys(row).sort()).toEqual(
        [
          'account_id',
          'anchor_id',
          'expires_at',
          'holder_jkt',
          'id',
          'issued_at',
          'status',
          'status_index',
          'vct',
        ].sort(),
      );
    });

    it(
      'a lost card (J-LIS certificateHold) → suspended in the list after one sweep',
      { timeout: 120_000 },
      async () => {
        const r = await enrolResident(p, sim);
        const h = await holder();
        const { credential } = await receive(r.client, h);
        expect(await published(indexOf(credential!))).toBe(0);
        await sim.s.sim.lifeEvent(r.card.residentId, { type: 'lose' });
        expect((await sweepAfterAnHour()).revokedFound).toBeGreaterThanOrEqual(1);
        expect(await published(indexOf(credential!))).toBe(2);
        expect((await atCounter(credential!, h)).code).toBe('presentation_credential_revoked');
        const listed = await (await visit(r.accountId)).req('GET', '/api/credentials');
        expect(listed.body.credentials).toMatchObject([{ status: 'suspended' }]);
      },
    );

    it(
      'move → revoked by J-LIS → revoked after one sweep; re-proofed → a fresh credential, the old stays revoked',
      { timeout: 120_000 },
      async () => {
        const r = await enrolResident(p, sim);
        const h = await holder();
        const old = (await receive(r.client, h)).credential!;
        expect((await atCounter(old, h)).outcome).toBe('verified');

        // The resident moves; J-LIS revokes the card's signing certificate (affiliationChanged).
        await sim.s.sim.lifeEvent(r.card.residentId, { type: 'move' });
        expect((await sweepAfterAnHour()).revokedFound).toBeGreaterThanOrEqual(1);
        expect(await published(indexOf(old))).toBe(1);
        expect((await atCounter(old, h)).code).toBe('presentation_credential_revoked');
        let c = await visit(r.accountId);
        expect((await c.req('GET', '/api/credentials')).body.credentials).toMatchObject([
          { status: 'revoked' },
        ]);
        // No new credential until the identity is confirmed again (the account needs re-proofing).
        const early = await receive(c, h);
        expect(early.body.code).toBe('credential_account_unavailable');

        // Re-proofing with the card's new signing certificate re-anchors the account.
        const rp = await issueEnrolment(p.deps, { purpose: 'reproofing', accountId: r.accountId });
        await completeEnrolment(p.deps, {
          id: rp.id,
          signature: { cms: await r.card.cms(fromBase64(rp.document.bytes)) },
          session: { accountId: r.accountId },
        });
        c = await visit(r.accountId);
        // The old credential stays revoked; the wallet is offered a new one, from the new anchor.
        expect(await published(indexOf(old))).toBe(1);
        const fresh = await receive(c, h);
        expect(fresh.status, JSON.stringify(fresh.body)).toBe(200);
        expect(indexOf(fresh.credential!)).not.toBe(indexOf(old));
        expect(await published(indexOf(fresh.credential!))).toBe(0);
        expect((await c.req('GET', '/api/credentials')).body.credentials).toMatchObject([
          { status: 'valid' },
          { status: 'revoked' },
        ]);
        const rows = await p.deps.db
          .selectFrom('credentials')
          .innerJoin('anchors', 'anchors.id', 'credentials.anchor_id')
          .select(['credentials.status_index', 'anchors.status', 'anchors.superseded_by'])
          .where('credentials.account_id', '=', r.accountId)
          .execute();
        expect(Object.fromEntries(rows.map((x) => [x.status_index, x.status]))).toEqual({
          [indexOf(old)]: 'revoked',
          [indexOf(fresh.credential!)]: 'good',
        });
        expect((await atCounter(fresh.credential!, h)).outcome).toBe('verified');
        expect((await atCounter(old, h)).code).toBe('presentation_credential_revoked');
      },
    );
  });
});
