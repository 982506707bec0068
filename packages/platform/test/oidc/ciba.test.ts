// OpenID Connect CIBA end to end on both engines over real HTTP (issue 19): a stock client
// (openid-client) starts back-channel requests in poll and ping modes, the resident approves on
// the wallet's approvals API with a device key (a real Watashi device certificate), and the test
// verifies the approval evidence as an RP would, with jose and the published Watashi CA root.
// Every CIBA error the OP gives is exercised (CIBA Core §13, §11). The same stack tests the
// cross-device sign-in's rules (docs/cross-device.md): a computer's login approved on the phone.
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { sql } from 'kysely';
import { compactVerify, decodeJwt, exportJWK, generateKeyPair as joseKeyPair, importX509 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificationRequest } from '@watashi/ca';
import { generateKeyPair, toBase64, webCryptoSigner } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import { CIBA_MAX_PENDING } from '../../src/oidc/ciba.ts';
import { pairwiseSubject } from '../../src/oidc/pairwise.ts';
import { addRelyingParty } from '../../src/oidc/registry.ts';
import { sessionContext } from '../../src/oidc/assurance.ts';
import { lookupSession } from '../../src/server/sessions.ts';
import { forEachEngine } from '../db/harness.ts';
import { simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import type { Client as ApiClient, TestPlatform } from '../authn/support.ts';
import {
  answerConsent,
  authorizationUrl,
  Browser,
  browserJson,
  client,
  exchange,
  follow,
  login,
  oauthError,
  passkeyResident,
  registerRp,
  freePort,
  startOidcPlatform,
  type PasskeyResident,
  type TestRp,
} from './support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;
/** The CIBA RPs' published keys (private_key_jwt with jwks_uri, as oidc-provider requires of them). */
let jwksServer: Server;
let jwksUrl: string;
const published: Array<Record<string, unknown>> = [];
/**
 * The ping RP's notification endpoint: CIBA ping needs https (oidc-provider refuses anything
 * else), so a self-signed loopback server, trusted by this test process only.
 */
let pingServer: Server;
let pingUrl: string;
const pings: Array<{ authorization: string | undefined; body: string }> = [];

beforeAll(async () => {
  sim = await startSim('oidc-ciba', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
  const port = await freePort();
  jwksServer = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published })),
  );
  await new Promise<void>((r) => jwksServer.listen(port, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${port}/jwks`;
  const dir = mkdtempSync(join(tmpdir(), 'ciba-ping-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  setDefaultCACertificates([...getCACertificates('default'), cert]);
  const pingPort = await freePort();
  pingServer = createHttpsServer({ cert, key }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      pings.push({ authorization: req.headers.authorization, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => pingServer.listen(pingPort, '127.0.0.1', r));
  pingUrl = `https://127.0.0.1:${pingPort}/ciba`;
});
afterAll(async () => {
  await new Promise((r) => pingServer?.close(r));
  await new Promise((r) => jwksServer?.close(r));
  await sim?.close();
});

/** Registers a CIBA RP (poll mode) and discovers the issuer with openid-client. */
async function registerCibaRp(
  p: TestPlatform & { issuer: string },
  name: string,
  ping?: string,
): Promise<TestRp> {
  const kid = `k${published.length}`;
  const { privateKey, publicKey } = await joseKeyPair('ES256', { extractable: true });
  published.push({ ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid });
  const redirectUri = `http://127.0.0.1:9/cb/${kid}`;
  const added = await addRelyingParty(p.deps, {
    name,
    purpose: 'テストのため / testing',
    redirectUris: [redirectUri],
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwksUri: jwksUrl,
    ...(ping === undefined
      ? { cibaDeliveryMode: 'poll' as const }
      : { cibaDeliveryMode: 'ping' as const, cibaNotificationEndpoint: ping }),
  });
  const config = await client.discovery(
    new URL(p.issuer),
    added.relyingParty.clientId,
    { id_token_signed_response_alg: 'ES256' },
    client.PrivateKeyJwt({ key: privateKey, kid }),
    { execute: [client.allowInsecureRequests] },
  );
  return { clientId: added.relyingParty.clientId, redirectUri, config };
}

const TRANSFER = [
  {
    type: 'watashi_transaction',
    text: '振込 50,000円 → 山田酒店',
    amount: { value: '50000', currency: 'JPY' },
    creditor: '山田酒店',
  },
];

/** A device key as the wallet holds it (non-extractable WebCrypto P-256) with its certificate. */
interface Device {
  readonly serial: string;
  readonly certificate: string;
  sign(data: string): Promise<string>;
}

async function enrolDevice(c: ApiClient, slot = 'phone'): Promise<Device> {
  const pair = await generateKeyPair('ECDSA-SHA256');
  const raw = async (data: Uint8Array) =>
    new Uint8Array(
      await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new Uint8Array(data)),
    );
  const csr = await buildCertificationRequest(await webCryptoSigner(pair, 'ECDSA-SHA256'));
  const res = await c.post('/api/devices/certificates', {
    csr: toBase64(csr),
    profile: 'watashi-device-auth',
    slot,
    keyStorage: 'webcrypto',
  });
  if (res.status !== 201) throw new Error(`device: ${JSON.stringify(res.body)}`);
  const issued = res.body as {
    device: { serial: string; certificate: string };
    activation: { challenge: string; message: string };
  };
  const act = await c.post(`/api/devices/certificates/${issued.device.serial}/activate`, {
    challenge: issued.activation.challenge,
    signature: toBase64(await raw(new Uint8Array(Buffer.from(issued.activation.message, 'base64')))),
  });
  if (act.status !== 200) throw new Error(`activate: ${JSON.stringify(act.body)}`);
  return {
    serial: issued.device.serial,
    certificate: issued.device.certificate,
    sign: async (data) => toBase64(await raw(new TextEncoder().encode(data))),
  };
}

interface Pending {
  id: string;
  rp: { name: string; purpose: string };
  bindingMessage: string | null;
  authorizationDetails: Array<Record<string, unknown>> | null;
  signingInput: string;
}

forEachEngine((t) => {
  let p: TestPlatform & { issuer: string };
  let resident: PasskeyResident;
  let device: Device;
  let pollRp: TestRp;
  let otherRp: TestRp;
  let pingRp: TestRp;
  let plainRp: TestRp;
  /** The resident's pairwise sub at each RP (from a front-channel login: the consent records it). */
  const sub = new Map<TestRp, string>();

  beforeAll(async () => {
    p = await startOidcPlatform(t, sim, trust);
    resident = await passkeyResident(p, sim);
    device = await enrolDevice(resident.client);
    pollRp = await registerCibaRp(p, '山田銀行');
    otherRp = await registerCibaRp(p, '別のサービス');
    pingRp = await registerCibaRp(p, 'Ping RP', pingUrl);
    plainRp = await registerRp(p);
    const b = new Browser(resident.client.cookie);
    for (const rp of [pollRp, otherRp, pingRp, plainRp])
      sub.set(rp, (await login(b, rp)).tokens.claims()!.sub);
  });
  afterAll(async () => {
    await p?.close();
  });

  const start = (rp: TestRp, params: Record<string, string> = {}) =>
    client.initiateBackchannelAuthentication(rp.config, {
      scope: 'openid',
      login_hint: sub.get(rp)!,
      ...params,
    });

  const pending = async (): Promise<Pending[]> => {
    const res = await resident.client.req('GET', '/api/approvals');
    expect(res.status).toBe(200);
    return res.body['requests'] as Pending[];
  };
  const pendingFor = async (authReqId: string): Promise<Pending> => {
    const found = (await pending()).find(
      (r) =>
        (JSON.parse(Buffer.from(r.signingInput.split('.')[1]!, 'base64url').toString()) as { txn: string })
          .txn === authReqId,
    );
    if (found === undefined) throw new Error('request not shown in the wallet');
    return found;
  };
  const approve = async (r: Pending, signingInput = r.signingInput) =>
    resident.client.post(`/api/approvals/${r.id}/approve`, {
      certificate: device.certificate,
      signature: await device.sign(signingInput),
    });

  /** One raw token request of the CIBA grant (to see each polling answer, CIBA §11). */
  const poll = async (rp: TestRp, authReqId: string): Promise<{ status: number; error?: string }> => {
    const res = await client
      .genericGrantRequest(rp.config, 'urn:openid:params:grant-type:ciba', {
        auth_req_id: authReqId,
      })
      .then(
        () => ({ status: 200 }),
        (e: { status?: number; error?: string; cause?: { status?: number } }) => ({
          status: e.status ?? e.cause?.status ?? 0,
          ...(e.error === undefined ? {} : { error: e.error }),
        }),
      );
    return res;
  };

  describe('poll mode', () => {
    it('ok-poll-approve-exact-text-evidence-verifies-as-an-rp-would', async () => {
      const m = pollRp.config.serverMetadata();
      expect(m.backchannel_authentication_endpoint).toBe(`${p.issuer}/backchannel`);
      expect(m.backchannel_token_delivery_modes_supported).toEqual(['poll', 'ping']);
      expect(m.grant_types_supported).toContain('urn:openid:params:grant-type:ciba');

      const started = await start(pollRp, {
        binding_message: 'A7-振込',
        authorization_details: JSON.stringify(TRANSFER),
      });
      expect(await poll(pollRp, started.auth_req_id)).toMatchObject({ error: 'authorization_pending' });

      // The wallet shows the RP, its purpose and the exact text.
      const shown = await pendingFor(started.auth_req_id);
      expect(shown.rp).toEqual({ name: '山田銀行', purpose: 'テストのため / testing' });
      expect(shown.bindingMessage).toBe('A7-振込');
      expect(shown.authorizationDetails).toEqual(TRANSFER);

      // A signature over other bytes (another text) is refused and changes nothing.
      const forged = await approve(shown, shown.signingInput.replace(/.$/, 'A'));
      expect(forged.status).toBe(401);
      expect(forged.body['code']).toBe('approval_signature_invalid');

      expect((await approve(shown)).status).toBe(200);
      // A replayed approval is refused.
      const replay = await approve(shown);
      expect(replay.status).toBe(409);
      expect(replay.body['code']).toBe('approval_decided');

      const tokens = await client.pollBackchannelAuthenticationGrant(pollRp.config, started);
      const id = tokens.claims()!;
      expect(id.sub).toBe(sub.get(pollRp));
      expect(id.acr).toMatch(/^urn:watashi:ac:jp:/);

      // The RP verifies the evidence: the device certificate chains to the published Watashi CA
      // root, its key signed the JWS, and the JWS says exactly what the RP asked to be approved.
      const evidence = id['watashi_approval'] as { jws: string; x5c: string[] };
      const root = new X509Certificate(
        Buffer.from(await (await fetch(`${p.url}/ca/root.crt`)).arrayBuffer()),
      );
      const [leaf, issuing] = evidence.x5c.map((c) => new X509Certificate(Buffer.from(c, 'base64')));
      expect(issuing!.verify(root.publicKey)).toBe(true);
      expect(leaf!.verify(issuing!.publicKey)).toBe(true);
      expect(root.verify(root.publicKey)).toBe(true);
      const key = await importX509(leaf!.toString(), 'ES256');
      const { payload, protectedHeader } = await compactVerify(evidence.jws, key);
      expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'watashi-approval+jwt' });
      const approved = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      expect(approved).toMatchObject({
        iss: p.issuer,
        aud: pollRp.clientId,
        sub: id.sub,
        txn: started.auth_req_id,
        client_name: '山田銀行',
        binding_message: 'A7-振込',
        authorization_details: TRANSFER,
      });
      expect(decodeJwt(evidence.jws).txn).toBe(started.auth_req_id);
      // A tampered text does not verify.
      const [h, , s] = evidence.jws.split('.');
      const tampered = Buffer.from(
        JSON.stringify({
          ...approved,
          authorization_details: [{ ...TRANSFER[0], text: '振込 500,000円 → 山田酒店' }],
        }),
      ).toString('base64url');
      await expect(compactVerify(`${h}.${tampered}.${s}`, key)).rejects.toThrow();

      // The auth_req_id is used up: a second token request is invalid_grant.
      expect(await poll(pollRp, started.auth_req_id)).toMatchObject({ error: 'invalid_grant' });
      // An ordinary login's ID token carries no approval.
      const b = new Browser(resident.client.cookie);
      expect((await login(b, plainRp)).tokens.claims()!['watashi_approval']).toBeUndefined();
    });

    it('err-polling-faster-than-the-interval-is-slow-down-and-the-interval-grows-by-5-s', async () => {
      const started = await start(pollRp, { binding_message: 'SLOW-1' });
      // CIBA §7.3: the response states the interval (openid-client waits it between polls).
      expect(started.interval).toBe(5);
      const polled = async () =>
        (
          await p.deps.db
            .selectFrom('ciba_requests')
            .select(['polled_at', 'poll_interval'])
            .where('auth_req_id', '=', started.auth_req_id)
            .executeTakeFirstOrThrow()
        ).polled_at!.getTime();
      // The first poll may come at once; the next one, at once too, is too soon (CIBA §11).
      expect(await poll(pollRp, started.auth_req_id)).toMatchObject({ error: 'authorization_pending' });
      expect(await poll(pollRp, started.auth_req_id)).toEqual({ status: 400, error: 'slow_down' });
      // From then on the interval is 10 s (RFC 8628 §3.5: +5 s for this and all later requests):
      // 5 s later is too soon again, and makes it 15 s …
      p.setNow(new Date((await polled()) + 5_000));
      expect(await poll(pollRp, started.auth_req_id)).toMatchObject({ error: 'slow_down' });
      // … which is then enough.
      p.setNow(new Date((await polled()) + 15_000));
      expect(await poll(pollRp, started.auth_req_id)).toMatchObject({ error: 'authorization_pending' });
      const row = await p.deps.db
        .selectFrom('ciba_requests')
        .select('poll_interval')
        .where('auth_req_id', '=', started.auth_req_id)
        .executeTakeFirstOrThrow();
      expect(row.poll_interval).toBe(15);
      // Only a pending answer is paced: once approved, the tokens come at once.
      expect((await approve(await pendingFor(started.auth_req_id))).status).toBe(200);
      const tokens = await client.genericGrantRequest(pollRp.config, 'urn:openid:params:grant-type:ciba', {
        auth_req_id: started.auth_req_id,
      });
      expect(tokens.claims()!.sub).toBe(sub.get(pollRp));
    });

    it('err-denied-is-access-denied', async () => {
      const started = await start(pollRp, { binding_message: 'DENY-1' });
      const shown = await pendingFor(started.auth_req_id);
      const res = await resident.client.post(`/api/approvals/${shown.id}/deny`);
      expect(res.status).toBe(200);
      expect(await poll(pollRp, started.auth_req_id)).toMatchObject({ error: 'access_denied' });
      // Denied stays denied: an approval afterwards is refused.
      expect((await approve(shown)).body['code']).toBe('approval_decided');
    });

    it('err-expired-is-expired-token-and-cannot-be-approved', async () => {
      const started = await start(pollRp, { binding_message: 'EXP-1', requested_expiry: '60' });
      const shown = await pendingFor(started.auth_req_id);
      // Time passes for the platform's records (the wallet API) …
      await sql`UPDATE ciba_requests SET expires_at = now() - interval '1 second' WHERE id = ${shown.id}`.execute(
        p.deps.db,
      );
      expect((await approve(shown)).body['code']).toBe('approval_expired');
      expect((await pending()).some((r) => r.id === shown.id)).toBe(false);
      // … and for oidc-provider's stored request (CIBA §11: expired_token).
      await sql`UPDATE oidc_models SET payload = jsonb_set(payload, '{exp}', to_jsonb(extract(epoch from now())::bigint - 1))
        WHERE model = 'BackchannelAuthenticationRequest' AND id = ${started.auth_req_id}`.execute(p.deps.db);
      expect(await poll(pollRp, started.auth_req_id)).toMatchObject({ error: 'expired_token' });
    });
  });

  describe('ping mode', () => {
    it('ok-ping-notifies-the-rp-then-tokens-with-evidence', async () => {
      const started = await start(pingRp, {
        client_notification_token: 'ping-token-1234567890',
        authorization_details: JSON.stringify(TRANSFER),
      });
      const before = pings.length;
      expect((await approve(await pendingFor(started.auth_req_id))).status).toBe(200);
      // CIBA §10.2: the OP POSTs { auth_req_id } with the client_notification_token as bearer
      // (oidc-provider's backchannelResult awaits the notification).
      expect(pings.slice(before)).toEqual([
        {
          authorization: 'Bearer ping-token-1234567890',
          body: JSON.stringify({ auth_req_id: started.auth_req_id }),
        },
      ]);
      // Notified, the RP fetches the tokens at once (CIBA §10.2).
      const tokens = await client.genericGrantRequest(pingRp.config, 'urn:openid:params:grant-type:ciba', {
        auth_req_id: started.auth_req_id,
      });
      expect(tokens.claims()!.sub).toBe(sub.get(pingRp));
      const evidence = tokens.claims()!['watashi_approval'] as { jws: string };
      expect(decodeJwt(evidence.jws)).toMatchObject({
        aud: pingRp.clientId,
        authorization_details: TRANSFER,
      });
    });
  });

  describe('request errors (CIBA §13)', () => {
    it('err-unknown-user-id-for-a-foreign-sub-an-account-id-or-a-resident-without-device', async () => {
      // The resident's sub at another RP, and the global account id, name nobody here.
      expect(await oauthError(start(pollRp, { login_hint: sub.get(otherRp)! }))).toBe('unknown_user_id');
      expect(await oauthError(start(pollRp, { login_hint: resident.accountId }))).toBe('unknown_user_id');
      expect(await oauthError(start(pollRp, { login_hint: 'x'.repeat(43) }))).toBe('unknown_user_id');
      // A resident known to the RP but with no device to approve with.
      const other = await passkeyResident(p, sim);
      const otherSub = (await login(new Browser(other.client.cookie), pollRp)).tokens.claims()!.sub;
      expect(await oauthError(start(pollRp, { login_hint: otherSub }))).toBe('unknown_user_id');
    });

    it('ok-a-consent-without-a-pairwise-record-is-found-after-the-rps-next-token-request', async () => {
      // A resident with a device who consented to the RP …
      const r = await passkeyResident(p, sim);
      await enrolDevice(r.client);
      const b = new Browser(r.client.cookie);
      const started = await authorizationUrl(pollRp);
      let stop = await follow(b, started.url.href, pollRp.redirectUri);
      if (stop.kind === 'consent') stop = await answerConsent(b, stop, 'approve', pollRp.redirectUri);
      if (stop.kind !== 'callback') throw new Error(`login stopped at ${stop.kind}`);
      // … before pairwise_subjects existed (migration 0018): no record, so the sub the RP holds
      // names nobody to CIBA.
      await p.deps.db.deleteFrom('pairwise_subjects').where('account_id', '=', r.accountId).execute();
      const known = await pairwiseSubject(p.deps.keys, pollRp.clientId, r.accountId);
      expect(await oauthError(start(pollRp, { login_hint: known }))).toBe('unknown_user_id');
      // The RP's next token request (here the code exchange; a refresh or userinfo alike) records it.
      const tokens = await exchange(pollRp, started, stop.url);
      expect(tokens.claims()!.sub).toBe(known);
      const rows = await p.deps.db
        .selectFrom('pairwise_subjects')
        .select(['sector', 'subject'])
        .where('account_id', '=', r.accountId)
        .execute();
      expect(rows).toEqual([{ sector: pollRp.clientId, subject: known }]);
      const asked = await start(pollRp, { login_hint: known, binding_message: 'LATE-1' });
      expect(asked.auth_req_id).toMatch(/.{16,}/);
      // Still only in the RP's own sector.
      expect(await oauthError(start(otherRp, { login_hint: known }))).toBe('unknown_user_id');
    });

    it('err-an-rp-not-registered-for-ciba-is-unauthorized-client', async () => {
      // CIBA §13 at the back-channel endpoint (oidc-provider alone says invalid_request) …
      expect(await oauthError(start(plainRp))).toBe('unauthorized_client');
      // … and RFC 6749 §5.2 at the token endpoint, with a real auth_req_id of another RP.
      const started = await start(pollRp, { binding_message: 'NOT-YOURS' });
      expect(await poll(plainRp, started.auth_req_id)).toMatchObject({
        status: 400,
        error: 'unauthorized_client',
      });
      // A CIBA RP with a malformed request still gets invalid_request.
      expect(
        await oauthError(
          client.initiateBackchannelAuthentication(pollRp.config, {
            scope: 'openid',
            login_hint: sub.get(pollRp)!,
            login_hint_token: 'x.y.z',
          }),
        ),
      ).toBe('invalid_request');
    });

    it('err-bad-binding-message-authorization-details-and-hints', async () => {
      expect(await oauthError(start(pollRp, { binding_message: 'あ'.repeat(41) }))).toBe(
        'invalid_binding_message',
      );
      expect(await oauthError(start(pollRp, { binding_message: '振込\u202e円' }))).toBe(
        'invalid_binding_message',
      );
      expect(
        await oauthError(
          start(pollRp, { authorization_details: JSON.stringify([{ type: 'payment', text: 'x' }]) }),
        ),
      ).toBe('invalid_authorization_details');
      expect(await oauthError(start(pollRp, { authorization_details: '{not json' }))).toBe(
        'invalid_authorization_details',
      );
      expect(
        await oauthError(
          client.initiateBackchannelAuthentication(pollRp.config, {
            scope: 'openid',
            login_hint_token: 'x.y.z',
          }),
        ),
      ).toBe('invalid_request');
    });

    it('err-too-many-pending-is-access-denied', async () => {
      const already = (await pending()).length;
      for (let i = already; i < CIBA_MAX_PENDING; i++) await start(pollRp, { binding_message: `P-${i}` });
      expect((await pending()).length).toBe(CIBA_MAX_PENDING);
      expect(await oauthError(start(pollRp, { binding_message: 'ONE-TOO-MANY' }))).toBe('access_denied');
      expect((await pending()).length).toBe(CIBA_MAX_PENDING);
    });
  });

  describe('cross-device sign-in (a computer approved on the phone)', () => {
    /** A JSON request from `b` that keeps the cookies it is given (as a browser's fetch does). */
    const json = async (b: Browser, path: string, method = 'GET', body?: unknown) => {
      const res = await browserJson(b, `${p.url}${path}`, {
        method,
        ...(body === undefined ? {} : { body }),
      });
      return res;
    };
    /** Starts a login at `rp` on a computer without a session: the interaction's uid. */
    const computerAt = async (rp: TestRp) => {
      const b = new Browser();
      const started = await authorizationUrl(rp);
      const stop = await follow(b, started.url.href, rp.redirectUri);
      expect(stop.kind).toBe('wallet');
      const uid = /\/oidc\/interaction\/([A-Za-z0-9_-]+)$/.exec(stop.url.searchParams.get('return_to')!)![1]!;
      return { b, uid, started };
    };
    interface Shown {
      id: string;
      number: number;
      qr: { uri: string; svg: string };
    }
    /** Shows a QR on the computer (the response's cookie is kept by `b`). */
    const showQr = async (b: Browser, uid: string): Promise<Shown & { token: string }> => {
      const res = await fetch(`${p.url}/oidc/interaction/${uid}/cross-device`, {
        method: 'POST',
        headers: {
          cookie: [...b.jar.entries()].map(([n, c]) => `${n}=${c.value}`).join('; '),
          'content-type': 'application/json',
          'user-agent':
            'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36',
        },
        body: '{}',
      });
      expect(res.status).toBe(200);
      for (const c of res.headers.getSetCookie()) {
        const [pair, ...attrs] = c.split(';').map((x) => x.trim());
        const path = attrs.find((a) => a.toLowerCase().startsWith('path='))!.slice(5);
        expect(attrs.map((a) => a.toLowerCase())).toEqual(
          expect.arrayContaining(['httponly', 'samesite=strict', 'max-age=120']),
        );
        b.jar.set(pair!.slice(0, pair!.indexOf('=')), { value: pair!.slice(pair!.indexOf('=') + 1), path });
      }
      const body = (await res.json()) as Shown;
      expect(body.qr.svg).toMatch(/^<svg/);
      return { ...body, token: new URL(body.qr.uri).hash.slice(3) };
    };
    interface View {
      id: string;
      rp: { name: string };
      origin: { network: string; sameNetworkAsThisPhone: boolean; device: Record<string, string> };
      choices: Array<{ number: number; signingInput: string }>;
    }
    const lookup = (token: string) => resident.client.post('/api/cross-device/lookup', { token });
    const approveWith = async (token: string, choice: { number: number; signingInput: string }, d = device) =>
      resident.client.post('/api/cross-device/approve', {
        token,
        number: choice.number,
        certificate: d.certificate,
        signature: await d.sign(choice.signingInput),
      });
    const status = async (b: Browser, uid: string, id: string) =>
      (await json(b, `/oidc/interaction/${uid}/cross-device/${id}`)).body['status'];

    it('ok-scan-pick-approve-and-the-computer-signs-in-once', async () => {
      const { b, uid, started } = await computerAt(plainRp);
      const qr = await showQr(b, uid);
      expect(qr.number).toBeGreaterThanOrEqual(10);
      expect(qr.number).toBeLessThanOrEqual(99);
      expect(qr.qr.uri).toBe(`${p.url}/wallet/cross-device#t=${qr.token}`);
      // Only the token's hash is stored.
      const stored = await p.deps.db
        .selectFrom('cross_device_requests')
        .selectAll()
        .where('id', '=', qr.id)
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(stored)).not.toContain(qr.token);
      expect(await status(b, uid, qr.id)).toBe('waiting');

      const shown = await lookup(qr.token);
      expect(shown.status).toBe(200);
      const view = shown.body as unknown as View;
      expect(view.rp.name).toBe('Test RP');
      expect(view.origin).toMatchObject({
        network: '127.0.0.0/24',
        sameNetworkAsThisPhone: true,
        device: { browser: 'chrome', system: 'windows', kind: 'computer' },
      });
      expect(view.choices.map((c) => c.number)).toContain(qr.number);
      expect(new Set(view.choices.map((c) => c.number)).size).toBe(3);
      expect(await status(b, uid, qr.id)).toBe('scanned');

      const right = view.choices.find((c) => c.number === qr.number)!;
      expect(right.signingInput).toBe(
        `watashi-cross-device-login/1\nrequest=${qr.id}\nrp=${plainRp.clientId}\nnumber=${qr.number}\nnonce=${stored.nonce}`,
      );
      expect((await approveWith(qr.token, right)).status).toBe(200);
      expect(await status(b, uid, qr.id)).toBe('approved');
      // Approved once: a replay is refused.
      expect((await approveWith(qr.token, right)).body['code']).toBe('xdevice_used');

      // Another browser — even one with its own QR — cannot read or collect this one.
      const attacker = await computerAt(plainRp);
      await showQr(attacker.b, attacker.uid);
      const foreign = await json(
        attacker.b,
        `/oidc/interaction/${uid}/cross-device/${qr.id}/complete`,
        'POST',
        {},
      );
      expect(foreign.body['code']).toBe('xdevice_other_browser');
      expect((await json(attacker.b, `/oidc/interaction/${uid}/cross-device/${qr.id}`)).status).toBe(403);
      // Its own interaction with the victim's request id: not its request either.
      const swapped = await json(
        attacker.b,
        `/oidc/interaction/${attacker.uid}/cross-device/${qr.id}/complete`,
        'POST',
        {},
      );
      expect(swapped.body['code']).toBe('xdevice_not_found');
      expect(attacker.b.jar.has('watashi_session')).toBe(false);

      // The computer collects: a session, and the login continues to consent and the RP.
      const done = await fetch(`${p.url}/oidc/interaction/${uid}/cross-device/${qr.id}/complete`, {
        method: 'POST',
        headers: {
          cookie: [...b.jar.entries()].map(([n, c]) => `${n}=${c.value}`).join('; '),
          'content-type': 'application/json',
        },
        body: '{}',
      });
      expect(done.status).toBe(200);
      const session = done.headers.getSetCookie().find((c) => c.startsWith('watashi_session='))!;
      b.setWatashi(session.split(';')[0]!);
      // The computer's session is judged as its sign-in was, also when a later login reuses it:
      // the device key, not phishing resistant (a QR can be relayed).
      const reused = await lookupSession(p.deps, session.split(';')[0]!.slice('watashi_session='.length));
      expect(reused?.crossDevice).toBe(true);
      const reuse = await sessionContext(p.deps, reused!);
      expect(reuse.aal).toBeGreaterThan(0);
      expect(reuse.phishingResistant).toBe(false);
      const location = ((await done.json()) as { location: string }).location;
      let stop = await follow(b, new URL(location, p.url).href, plainRp.redirectUri);
      if (stop.kind === 'consent') stop = await answerConsent(b, stop, 'approve', plainRp.redirectUri);
      expect(stop.kind).toBe('callback');
      const tokens = await exchange(plainRp, started, (stop as { url: URL }).url);
      const id = tokens.claims()!;
      expect(id.sub).toBe(sub.get(plainRp));
      // The device key, but not phishing resistant: amr has pop and swk, acr is AAL2 at most.
      expect(id.amr).toEqual(expect.arrayContaining(['pop', 'swk']));
      expect(id.acr).toMatch(/^urn:watashi:ac:jp:/);

      // Used once.
      const again = await json(b, `/oidc/interaction/${uid}/cross-device/${qr.id}/complete`, 'POST', {});
      expect(again.status).toBeGreaterThanOrEqual(400);
      expect(
        (
          await p.deps.db
            .selectFrom('cross_device_requests')
            .select('state')
            .where('id', '=', qr.id)
            .executeTakeFirstOrThrow()
        ).state,
      ).toBe('used');
      const audit = await p.deps.db
        .selectFrom('audit_log')
        .select('type')
        .where('type', 'like', 'oidc.cross_device.%')
        .execute();
      expect(audit.map((a) => a.type)).toEqual(
        expect.arrayContaining(['oidc.cross_device.approved', 'oidc.cross_device.completed']),
      );
    });

    it('err-a-wrong-number-kills-the-request-no-second-guess', async () => {
      const { b, uid } = await computerAt(plainRp);
      const qr = await showQr(b, uid);
      const view = (await lookup(qr.token)).body as unknown as View;
      const wrong = view.choices.find((c) => c.number !== qr.number)!;
      const res = await approveWith(qr.token, wrong);
      expect(res.status).toBe(409);
      expect(res.body['code']).toBe('xdevice_number_mismatch');
      const right = view.choices.find((c) => c.number === qr.number)!;
      expect((await approveWith(qr.token, right)).body['code']).toBe('xdevice_closed');
      expect(await status(b, uid, qr.id)).toBe('refused');
      const collect = await json(b, `/oidc/interaction/${uid}/cross-device/${qr.id}/complete`, 'POST', {});
      expect(collect.body['code']).toBe('xdevice_closed');
      expect(b.jar.has('watashi_session')).toBe(false);
    });

    it('err-expired-after-two-minutes-and-not-collectable-before-approval', async () => {
      const { b, uid } = await computerAt(plainRp);
      const qr = await showQr(b, uid);
      const early = await json(b, `/oidc/interaction/${uid}/cross-device/${qr.id}/complete`, 'POST', {});
      expect(early.body['code']).toBe('xdevice_not_approved');
      const view = (await lookup(qr.token)).body as unknown as View;
      const stored = await p.deps.db
        .selectFrom('cross_device_requests')
        .select(['created_at', 'expires_at'])
        .where('id', '=', qr.id)
        .executeTakeFirstOrThrow();
      expect(stored.expires_at.getTime() - stored.created_at.getTime()).toBe(120_000);
      await sql`UPDATE cross_device_requests SET expires_at = now() - interval '1 second', created_at = now() - interval '121 seconds' WHERE id = ${qr.id}`.execute(
        p.deps.db,
      );
      const right = view.choices.find((c) => c.number === qr.number)!;
      expect((await approveWith(qr.token, right)).body['code']).toBe('xdevice_expired');
      expect((await lookup(qr.token)).body['code']).toBe('xdevice_expired');
      expect(await status(b, uid, qr.id)).toBe('expired');
    });

    it('err-a-signature-for-another-request-or-by-a-revoked-device-is-refused', async () => {
      const one = await computerAt(plainRp);
      const two = await computerAt(plainRp);
      const a = await showQr(one.b, one.uid);
      const bq = await showQr(two.b, two.uid);
      const viewA = (await lookup(a.token)).body as unknown as View;
      const viewB = (await lookup(bq.token)).body as unknown as View;
      // The right number of A, but the bytes signed are B's request.
      const forB = viewB.choices.find((c) => c.number === bq.number)!;
      const rightA = viewA.choices.find((c) => c.number === a.number)!;
      const crossed = await resident.client.post('/api/cross-device/approve', {
        token: a.token,
        number: a.number,
        certificate: device.certificate,
        signature: await device.sign(forB.signingInput),
      });
      expect(crossed.status).toBe(401);
      expect(crossed.body['code']).toBe('xdevice_signature_invalid');
      expect(await status(one.b, one.uid, a.id)).toBe('scanned');

      // A device revoked after approving: the computer cannot collect (checked before it is spent).
      const tablet = await enrolDevice(resident.client, 'tablet');
      expect((await approveWith(a.token, rightA, tablet)).status).toBe(200);
      const revoke = (d: Device) => resident.client.post(`/api/devices/certificates/${d.serial}/revoke`, {});
      expect((await revoke(tablet)).status).toBe(200);
      const collect = await json(
        one.b,
        `/oidc/interaction/${one.uid}/cross-device/${a.id}/complete`,
        'POST',
        {},
      );
      expect(collect.status).toBe(403);
      expect(collect.body['code']).toBe('xdevice_device_unusable');
      expect(await status(one.b, one.uid, a.id)).toBe('approved');

      // A revoked device cannot approve either; the resident's own device still does.
      const rightB = viewB.choices.find((c) => c.number === bq.number)!;
      const revoked = await approveWith(bq.token, rightB, tablet);
      expect(revoked.status).toBe(403);
      expect(revoked.body['code']).toBe('xdevice_device_unusable');
      expect(await status(two.b, two.uid, bq.id)).toBe('scanned');
      expect((await approveWith(bq.token, rightB)).status).toBe(200);
    });
  });
});
