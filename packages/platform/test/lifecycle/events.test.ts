// Events to relying parties and notices to the resident, end to end on both engines: residents of
// a real in-process J-LIS simulator, life events applied there, the sweep run on its CRLs, and the
// outbox delivered over real HTTP to receivers on this machine. SETs and logout tokens are
// verified with jose against the platform's signing keys (the JWKS the OpenID Provider
// publishes), webhook signatures with node:crypto.
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { fromBase64 } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import { platformConfigSchema, type PlatformConfigInput } from '../../src/config.ts';
import { completeEnrolment, issueEnrolment } from '../../src/enrolment/index.ts';
import { createMemoryKeyStore } from '../../src/keys/index.ts';
import {
  CAEP,
  EventDeliverer,
  listDeliveries,
  listNotices,
  recordLifecycleFacts,
  retryDelivery,
  RISC,
  runSweep,
  BACKCHANNEL_LOGOUT_EVENT,
  isForbiddenAddress,
} from '../../src/lifecycle/index.ts';
import { recordConsent } from '../../src/oidc/consents.ts';
import { createOidcProvider } from '../../src/oidc/provider.ts';
import { addRelyingParty } from '../../src/oidc/registry.ts';
import { createPlatform } from '../../src/platform.ts';
import { buildServer } from '../../src/server/app.ts';
import { startSession } from '../../src/server/sessions.ts';
import { registerEventRoutes } from '../../src/lifecycle/events/routes.ts';
import { MemoryJobQueue } from '../../src/jobs/job-queue.ts';
import type { PlatformDeps } from '../../src/server/context.ts';
import { forEachEngine } from '../db/harness.ts';
import { newResident, simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import { enrol, lifecycleDeps, OPERATOR, type LifecycleDeps } from './support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;
const HOUR = 3600_000;
const ISSUER = 'https://watashi.example/oidc';
const ADMIN = 'b'.repeat(40);

/** What a receiver got. */
interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** One HTTP receiver for every RP of the file; answers by `respond` (default 202/200). */
let receiver: Server;
let base: string;
let received: Received[] = [];
let respond: (r: Received) => { status: number; body?: string; delayMs?: number } = (r) => ({
  status: r.path.endsWith('/events') ? 202 : 200,
});

beforeAll(async () => {
  sim = await startSim('events', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const a = respond(r);
      setTimeout(() => {
        res.statusCode = a.status;
        if (a.body !== undefined) res.setHeader('content-type', 'application/json');
        res.end(a.body ?? '');
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((ok) => receiver?.close(ok));
  await sim?.close();
});

/** The simulator moves on an hour and publishes every CRL. */
async function publish(): Promise<void> {
  sim.clock.advance(HOUR);
  await sim.s.sim.publishCrls();
  sim.s.sim.refreshOcsp();
}

const config = (
  events: PlatformConfigInput['events'] = {},
  mode: 'simulation' | 'production' = 'simulation',
) =>
  platformConfigSchema.parse({
    mode,
    jlis: { kind: 'simulator', url: sim.url, operatorId: OPERATOR },
    publicUrl: 'https://watashi.example',
    adminToken: ADMIN,
    events,
  });

forEachEngine((t) => {
  let deps: LifecycleDeps & PlatformDeps;
  beforeAll(() => {
    const d = lifecycleDeps(sim, trust, t.database);
    deps = { ...d, keys: createMemoryKeyStore({ now: d.now }), config: config(), jobs: new MemoryJobQueue() };
  });
  beforeEach(() => {
    deps.setOffset(0);
    received = [];
    respond = (r) => ({ status: r.path.endsWith('/events') ? 202 : 200 });
  });

  const deliverer = (
    events: PlatformConfigInput['events'] = {},
    o: { workerId?: string; batchSize?: number } = {},
  ) => new EventDeliverer({ ...deps, config: config(events) }, { random: () => 0.5, ...o });

  /** Registers an RP with the given channels, under its own path of the receiver. */
  async function rp(
    channels: { push?: boolean; webhook?: boolean; logout?: boolean; claims?: string[] } = {},
  ) {
    const clientId = `rp-${randomUUID().slice(0, 8)}`;
    const added = await addRelyingParty(deps, {
      clientId,
      name: clientId,
      purpose: 'testing events',
      redirectUris: ['https://rp.example/cb'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      allowedClaims: channels.claims ?? ['address', 'name', 'over_20'],
      ...(channels.push === false ? {} : { eventsEndpoint: `${base}/${clientId}/events` }),
      ...(channels.webhook === true ? { webhookUrl: `${base}/${clientId}/hook` } : {}),
      ...(channels.logout === true ? { backchannelLogoutUri: `${base}/${clientId}/logout` } : {}),
    });
    return { clientId, webhookSecret: added.webhookSecret };
  }
  const grant = (accountId: string, clientId: string) =>
    recordConsent(t.db, {
      accountId,
      clientId,
      grantId: randomUUID(),
      persona: null,
      claims: ['address'],
      residence: 'prefecture',
      scopes: ['openid', 'address'],
      at: deps.now(),
    });
  /** An RP registered with an https events endpoint (for the production SSRF guard); its id. */
  const httpsRp = async (eventsEndpoint: string): Promise<string> => {
    const clientId = `rp-${randomUUID().slice(0, 8)}`;
    await addRelyingParty(deps, {
      clientId,
      name: clientId,
      purpose: 'p',
      redirectUris: ['https://rp.example/cb'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      eventsEndpoint,
    });
    return clientId;
  };
  const jwks = async () =>
    createLocalJWKSet({
      keys: (await deps.keys.signingKeys!('oidc')).map((k) => ({ ...k.publicJwk, kid: k.keyId, alg: k.alg })),
    });
  /** The pairwise sub by OIDC Core §8.1 as provider.ts defines it, recomputed here. */
  const pairwise = async (sector: string, accountId: string) =>
    Buffer.from(
      (await deps.keys.mac('pairwise', new TextEncoder().encode(`${sector}\u0000${accountId}`))).mac,
    ).toString('base64url');
  const verifySet = async (jwt: string, aud: string): Promise<JWTPayload> => {
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'ES256', typ: 'secevent+jwt' });
    const { payload } = await jwtVerify(jwt, await jwks(), {
      issuer: ISSUER,
      audience: aud,
      typ: 'secevent+jwt',
      algorithms: ['ES256'],
    });
    return payload;
  };
  const deliveriesOf = (clientId: string) =>
    t.db.selectFrom('event_deliveries').selectAll().where('client_id', '=', clientId).execute();
  const sweep = () => runSweep(deps, { shards: 2 });

  it('ok-move-with-consent-pushes-a-verifiable-set-with-the-pairwise-sub-and-a-signed-webhook', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h, true);
    const a = await rp({ webhook: true });
    const b = await rp();
    const stranger = await rp();
    await grant(id, a.clientId);
    await grant(id, b.clientId);
    await sim.s.sim.lifeEvent(h.residentId, { type: 'move' });
    await publish();
    expect((await sweep()).status).toBe('completed');

    // Written by the sweep's transaction: A push + webhook, B push, nobody else.
    expect((await deliveriesOf(a.clientId)).map((d) => d.channel).sort()).toEqual(['push', 'webhook']);
    expect((await deliveriesOf(b.clientId)).map((d) => d.channel)).toEqual(['push']);
    expect(await deliveriesOf(stranger.clientId)).toEqual([]);

    const round = await deliverer().drain();
    expect(round.delivered).toBeGreaterThanOrEqual(3);
    const pushA = received.find((r) => r.path === `/${a.clientId}/events`)!;
    const pushB = received.find((r) => r.path === `/${b.clientId}/events`)!;
    expect(pushA.headers['content-type']).toBe('application/secevent+jwt');
    const setA = await verifySet(pushA.body, a.clientId);
    const setB = await verifySet(pushB.body, b.clientId);
    const subA = (setA['sub_id'] as { format: string; iss: string; sub: string }).sub;
    expect(setA['sub_id']).toEqual({ format: 'iss_sub', iss: ISSUER, sub: await pairwise(a.clientId, id) });
    expect((setB['sub_id'] as { sub: string }).sub).toBe(await pairwise(b.clientId, id));
    expect(subA).not.toBe((setB['sub_id'] as { sub: string }).sub);
    expect(setA.jti).not.toBe(setB.jti);
    const ev = (setA['events'] as Record<string, Record<string, unknown>>)[CAEP.tokenClaimsChange]!;
    expect(ev['claims']).toEqual({ address: null });
    // Nothing correlatable or personal: no account id, no address.
    const resident = sim.s.sim.resident(h.residentId);
    for (const r of [pushA, pushB]) {
      const json = Buffer.from(r.body.split('.')[1]!, 'base64url').toString('utf8');
      expect(json).not.toContain(id);
      expect(json).not.toContain(resident.address);
    }

    // The webhook: HMAC-SHA-256 over "<t>.<body>" with the secret shown once at registration.
    const hook = received.find((r) => r.path === `/${a.clientId}/hook`)!;
    const sig = String(hook.headers['watashi-signature']);
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig)!;
    expect(m).not.toBeNull();
    const expected = createHmac('sha256', a.webhookSecret!).update(`${m[1]}.${hook.body}`).digest('hex');
    expect(m[2]).toBe(expected);
    const tampered = createHmac('sha256', a.webhookSecret!).update(`${m[1]}.${hook.body} `).digest('hex');
    expect(m[2]).not.toBe(tampered);
    const body = JSON.parse(hook.body) as Record<string, unknown>;
    expect(body).toMatchObject({ sub: subA, aud: a.clientId, iss: ISSUER, type: CAEP.tokenClaimsChange });
    expect(body['id']).toBe(setA.jti);
    expect(hook.body).not.toContain(id);

    const deliveries = await deliveriesOf(a.clientId);
    expect(deliveries.every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);

    // The resident's notice, composed at read time; the audit log still has ids only.
    const notices = await listNotices(t.db, id);
    expect(notices[0]).toMatchObject({ kind: 'attributes_updated', actionRequired: false });
    expect(notices[0]!.items).toContain('address');
    expect(notices[0]!.title.en).toMatch(/address .*updated from J-LIS/);
  });

  it('fail-failing-receiver-is-retried-with-backoff-then-dead-lettered-and-an-operator-retries-it', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    const a = await rp();
    await grant(id, a.clientId);
    await sim.s.sim.lifeEvent(h.residentId, { type: 'lose' });
    await publish();
    await sweep();
    respond = () => ({ status: 503 });
    const d = deliverer({ maxAttempts: 3, retryBaseSeconds: 10 });
    const due: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await d.runOnce();
      expect(r.claimed).toBeGreaterThanOrEqual(1);
      const [row] = await deliveriesOf(a.clientId);
      due.push(row!.next_attempt_at.getTime() - deps.now().getTime());
      // Not due again before its time.
      if (row!.status === 'pending') expect((await d.runOnce()).claimed).toBe(0);
      deps.setOffset((i + 1) * HOUR);
    }
    const [row] = await deliveriesOf(a.clientId);
    expect(row).toMatchObject({ status: 'dead', attempts: 3, last_error: 'http_503', last_status: 503 });
    // Exponential: 10 s · 2^0, 10 s · 2^1 with jitter 0.5 → 7.5 s, 15 s.
    expect(due.slice(0, 2)).toEqual([7500, 15000]);
    expect(received.filter((r) => r.path === `/${a.clientId}/events`)).toHaveLength(3);
    const dead = await listDeliveries(t.db, { status: 'dead' });
    expect(dead.map((x) => x.id)).toContain(row!.id);
    expect(
      (await t.db.selectFrom('audit_log').select('type').where('type', '=', 'event.delivery_dead').execute())
        .length,
    ).toBeGreaterThanOrEqual(1);

    // The operator retries it once the receiver is back.
    respond = () => ({ status: 202 });
    await retryDelivery(deps, row!.id);
    await expect(retryDelivery(deps, row!.id)).rejects.toMatchObject({
      code: 'event_delivery_retry_refused',
    });
    await expect(retryDelivery(deps, randomUUID())).rejects.toMatchObject({
      code: 'event_delivery_not_found',
    });
    await d.drain();
    const [after] = await deliveriesOf(a.clientId);
    expect(after).toMatchObject({ status: 'delivered', attempts: 1 });
    const set = await verifySet(received.at(-1)!.body, a.clientId);
    expect(Object.keys(set['events'] as object)).toEqual([RISC.accountDisabled]);

    // The card is found: account-enabled.
    deps.setOffset(0);
    await sim.s.sim.lifeEvent(h.residentId, { type: 'found' });
    await publish();
    await sweep();
    await deliverer().drain();
    const last = await verifySet(received.at(-1)!.body, a.clientId);
    expect(Object.keys(last['events'] as object)).toEqual([RISC.accountEnabled]);
    expect((await listNotices(t.db, id)).map((n) => n.kind)).toEqual(['released', 'suspended']);
  });

  it('fail-rfc8935-400-with-err-is-dead-at-once', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    const a = await rp();
    await grant(id, a.clientId);
    await t.database.transaction((trx) =>
      recordLifecycleFacts(deps, trx, [
        { accountId: id, kind: 'suspended', reason: 'certificateHold', at: deps.now() },
      ]),
    );
    respond = () => ({ status: 400, body: JSON.stringify({ err: 'invalid_audience', description: 'no' }) });
    await deliverer().drain();
    const [row] = await deliveriesOf(a.clientId);
    expect(row).toMatchObject({ status: 'dead', attempts: 1, last_error: 'push_invalid_audience' });
  });

  it('ok-two-instances-delivering-at-once-deliver-each-event-once', async () => {
    const a = await rp({ webhook: true });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = await enrol(deps, await newResident(sim));
      await grant(id, a.clientId);
      ids.push(id);
    }
    await t.database.transaction((trx) =>
      recordLifecycleFacts(
        deps,
        trx,
        ids.flatMap((accountId) => [
          { accountId, kind: 'suspended' as const, reason: 'certificateHold', at: deps.now() },
          { accountId, kind: 'released' as const, at: deps.now() },
        ]),
      ),
    );
    const rows = await deliveriesOf(a.clientId);
    expect(rows).toHaveLength(16);
    respond = (r) => ({ status: r.path.endsWith('/events') ? 202 : 200, delayMs: 15 });
    const [r1, r2] = await Promise.all([
      deliverer({}, { workerId: 'one', batchSize: 2 }).drain(),
      deliverer({}, { workerId: 'two', batchSize: 2 }).drain(),
    ]);
    expect(r1.delivered + r2.delivered).toBe(16);
    const mine = received.filter((r) => r.path.startsWith(`/${a.clientId}/`));
    expect(mine).toHaveLength(16);
    const keys = mine.map(
      (r) =>
        `${r.path}:${r.path.endsWith('/hook') ? String(r.headers['watashi-event-id']) : decodeJti(r.body)}`,
    );
    expect(new Set(keys).size).toBe(16);
    expect((await deliveriesOf(a.clientId)).every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(
      true,
    );
  });

  it('ok-a-crashed-workers-lease-runs-out-and-another-takes-the-row', async () => {
    const id = await enrol(deps, await newResident(sim));
    const a = await rp();
    await grant(id, a.clientId);
    await t.database.transaction((trx) =>
      recordLifecycleFacts(deps, trx, [{ accountId: id, kind: 'released', at: deps.now() }]),
    );
    // A worker claimed it and died: the lease (60 s) holds it, then it is free.
    await t.db
      .updateTable('event_deliveries')
      .set({ locked_by: 'dead-worker', locked_until: new Date(deps.now().getTime() + 60_000), attempts: 1 })
      .where('client_id', '=', a.clientId)
      .execute();
    expect((await deliverer().runOnce()).claimed).toBe(0);
    deps.setOffset(61_000);
    await deliverer().drain();
    expect((await deliveriesOf(a.clientId))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('ok-death-sends-account-purged-and-a-back-channel-logout-token', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    const a = await rp({ logout: true });
    await grant(id, a.clientId);
    await sim.s.sim.lifeEvent(h.residentId, { type: 'death' });
    await publish();
    await sweep();
    await deliverer().drain();
    const set = await verifySet(received.find((r) => r.path === `/${a.clientId}/events`)!.body, a.clientId);
    expect(Object.keys(set['events'] as object)).toEqual([RISC.accountPurged]);
    const logout = received.find((r) => r.path === `/${a.clientId}/logout`)!;
    expect(logout.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const token = new URLSearchParams(logout.body).get('logout_token')!;
    const { payload, protectedHeader } = await jwtVerify(token, await jwks(), {
      issuer: ISSUER,
      audience: a.clientId,
      typ: 'logout+jwt',
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.sub).toBe(await pairwise(a.clientId, id));
    expect(payload['events']).toEqual({ [BACKCHANNEL_LOGOUT_EVENT]: {} });
    expect(payload['nonce']).toBeUndefined();
    expect((await listNotices(t.db, id))[0]!.kind).toBe('closed');
    // The RP was told through its grant, then the grant ended with the account.
    const consents = await t.db
      .selectFrom('oidc_consents')
      .select('withdrawn_at')
      .where('account_id', '=', id)
      .execute();
    expect(consents).toHaveLength(1);
    expect(consents[0]!.withdrawn_at).not.toBeNull();
  });

  it('ok-reproofing-needed-then-done-notices-and-credential-change-events', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    const a = await rp();
    await grant(id, a.clientId);
    await sim.s.sim.lifeEvent(h.residentId, { type: 'move' });
    await publish();
    await sweep();
    const notices = await listNotices(t.db, id);
    expect(notices[0]).toMatchObject({
      kind: 'reproofing_required',
      reason: 'affiliationChanged',
      actionRequired: true,
      action: 'reproof',
    });
    // The notice says what happened in words, and what to do (issue 17).
    expect(notices[0]!.title.ja).toMatch(
      /^引っ越しまたは氏名の変更により、カードの署名用電子証明書が失効しました。/,
    );
    expect(notices[0]!.title.en).toMatch(/because you moved or changed your name/);
    deps.setOffset(60_000);
    const rp1 = await issueEnrolment(deps, { purpose: 'reproofing', accountId: id });
    await completeEnrolment(deps, {
      id: rp1.id,
      signature: { cms: await h.cms(fromBase64(rp1.document.bytes)) },
      session: { accountId: id },
    });
    expect((await listNotices(t.db, id))[0]!.kind).toBe('reproofed');
    await deliverer().drain();
    const events = await Promise.all(
      received.filter((r) => r.path === `/${a.clientId}/events`).map((r) => verifySet(r.body, a.clientId)),
    );
    const changes = events.map(
      (e) => (e['events'] as Record<string, { change_type?: string }>)[CAEP.credentialChange],
    );
    expect(changes.map((c) => c?.change_type).sort()).toEqual(['create', 'revoke']);
  });

  it('fail-production-refuses-loopback-and-private-targets', async () => {
    expect(isForbiddenAddress('127.0.0.1')).toBe(true);
    expect(isForbiddenAddress('10.1.2.3')).toBe(true);
    expect(isForbiddenAddress('::1')).toBe(true);
    expect(isForbiddenAddress('fd00::1')).toBe(true);
    expect(isForbiddenAddress('::ffff:127.0.0.1')).toBe(true);
    expect(isForbiddenAddress('8.8.8.8')).toBe(false);
    expect(isForbiddenAddress('2001:4860:4860::8888')).toBe(false);
    const id = await enrol(deps, await newResident(sim));
    const a = await rp(); // http://127.0.0.1 — fine in simulation, refused in production
    const b = await httpsRp('https://internal.rp.example/events');
    await grant(id, a.clientId);
    await grant(id, b);
    await t.database.transaction((trx) =>
      recordLifecycleFacts(deps, trx, [{ accountId: id, kind: 'released', at: deps.now() }]),
    );
    const prod = new EventDeliverer(
      { ...deps, config: config({}, 'production') },
      {
        resolve: () => Promise.resolve(['192.168.1.10']),
      },
    );
    await prod.drain();
    expect((await deliveriesOf(a.clientId))[0]).toMatchObject({
      status: 'dead',
      last_error: 'event_target_forbidden:not_https',
    });
    expect((await deliveriesOf(b))[0]).toMatchObject({
      status: 'dead',
      last_error: 'event_target_forbidden:forbidden_address',
    });
    expect(received.filter((r) => r.path.startsWith(`/${a.clientId}/`))).toEqual([]);
  });

  it('fail-production-a-rebinding-name-never-reaches-the-address-it-rebinds-to', async () => {
    // A listener on loopback counting TCP connections, and an RP whose events endpoint names it as
    // `localhost` (which the system resolver answers 127.0.0.1). The injected resolver answers a
    // public address (TEST-NET-1, RFC 5737: nothing there answers) on its first call and
    // 127.0.0.1 afterwards. A client that resolved the name again after the guard — fetch did —
    // would connect here; the pinned request connects only to what the guard vetted.
    let connections = 0;
    const listener = createTcpServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((ok) => listener.listen(0, '127.0.0.1', ok));
    try {
      const port = (listener.address() as AddressInfo).port;
      const id = await enrol(deps, await newResident(sim));
      const b = await httpsRp(`https://localhost:${port}/events`);
      await grant(id, b);
      await t.database.transaction((trx) =>
        recordLifecycleFacts(deps, trx, [{ accountId: id, kind: 'released', at: deps.now() }]),
      );
      const asked: string[] = [];
      const prod = new EventDeliverer(
        { ...deps, config: config({ timeoutSeconds: 1 }, 'production') },
        {
          random: () => 0.5,
          resolve: (host) => {
            asked.push(host);
            // A public address (documentation ranges are refused by the guard) that answers nothing here.
            return Promise.resolve(asked.length === 1 ? ['1.2.3.4'] : ['127.0.0.1']);
          },
        },
      );
      // Attempt 1: vetted 1.2.3.4, sent there (and failed), never to 127.0.0.1.
      await prod.drain();
      expect(asked).toEqual(['localhost']);
      const [first] = await deliveriesOf(b);
      expect(first).toMatchObject({ status: 'pending', attempts: 1 });
      expect(['network_error', 'timeout']).toContain(first!.last_error);
      expect(connections).toBe(0);
      // Attempt 2: the resolver is asked again and now answers loopback: refused by the guard.
      deps.setOffset(HOUR);
      await prod.drain();
      expect(asked).toEqual(['localhost', 'localhost']);
      expect((await deliveriesOf(b))[0]).toMatchObject({
        status: 'dead',
        attempts: 2,
        last_error: 'event_target_forbidden:forbidden_address',
      });
      expect(connections).toBe(0);
    } finally {
      await new Promise((ok) => listener.close(ok));
    }
  });

  it('fail-production-oidc-provider-requests-to-rp-urls-refuse-loopback-at-connect', async () => {
    // oidc-provider's own outgoing requests to RP-supplied URLs (back-channel logout, jwks_uri) do
    // not go through deliver.ts. In production they keep its dispatcher, which checks the address
    // the socket actually connected to and destroys it before anything is sent: rebinding cannot
    // get past a check of the connected address. The name `localhost` makes the system resolver
    // answer 127.0.0.1; simulation mode (its check lifted) shows the same call would deliver.
    const a = `rp-${randomUUID().slice(0, 8)}`;
    const path = `/${a}/logout`;
    await addRelyingParty(deps, {
      clientId: a,
      name: a,
      purpose: 'p',
      redirectUris: ['https://rp.example/cb'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      backchannelLogoutUri: `${base.replace('127.0.0.1', 'localhost')}${path}`,
    });
    const logoutBy = async (mode: 'simulation' | 'production') => {
      const provider = await createOidcProvider({ ...deps, config: config({}, mode) });
      const client = await provider.Client.find(a);
      // Client#backchannelLogout is what oidc-provider calls at logout (untyped in its types).
      return (
        client as unknown as { backchannelLogout(sub: string, sid: string): Promise<void> }
      ).backchannelLogout('pairwise-sub', 'sid-1');
    };
    await expect(logoutBy('production')).rejects.toMatchObject({
      cause: { message: 'hostname resolves to a special-use IP address' },
    });
    expect(received.filter((r) => r.path === path)).toEqual([]);
    await logoutBy('simulation');
    expect(received.filter((r) => r.path === path)).toHaveLength(1);
  });

  it('ok-createPlatform-delivers-on-its-schedule-and-stops-on-close', async () => {
    const p = await createPlatform(
      {
        mode: 'simulation',
        jlis: { kind: 'simulator', url: sim.url, operatorId: OPERATOR },
        publicUrl: 'https://watashi.example',
        keyStore: { kind: 'memory' },
        logLevel: 'silent',
        housekeepingIntervalSeconds: 0,
        events: { deliveryIntervalSeconds: 1 },
      },
      { database: t.database },
    );
    try {
      const id = await enrol(deps, await newResident(sim));
      const a = await rp();
      await grant(id, a.clientId);
      await t.database.transaction((trx) =>
        recordLifecycleFacts(p.deps, trx, [{ accountId: id, kind: 'released', at: p.deps.now() }]),
      );
      const until = Date.now() + 20_000;
      while (Date.now() < until && (await deliveriesOf(a.clientId))[0]?.status !== 'delivered')
        await new Promise((ok) => setTimeout(ok, 200));
      expect((await deliveriesOf(a.clientId))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
      const set = received.find((r) => r.path === `/${a.clientId}/events`)!;
      // Signed with this platform's key store, published at its JWKS.
      const keys = await p.deps.keys.signingKeys!('oidc');
      const local = createLocalJWKSet({
        keys: keys.map((k) => ({ ...k.publicJwk, kid: k.keyId, alg: k.alg })),
      });
      await expect(
        jwtVerify(set.body, local, { issuer: ISSUER, audience: a.clientId }),
      ).resolves.toBeDefined();
    } finally {
      await p.close();
    }
  });

  it('ok-admin-lists-deliveries-by-status-and-the-resident-reads-notices', async () => {
    const id = await enrol(deps, await newResident(sim));
    await t.database.transaction((trx) =>
      recordLifecycleFacts(deps, trx, [
        { accountId: id, kind: 'reproofing_required', reason: 'keyCompromise', at: deps.now() },
      ]),
    );
    const app = await buildServer(deps);
    registerEventRoutes(app, deps);
    app.post('/t/login', { config: { auth: 'public' } }, async (_req, reply) => {
      await startSession(deps, reply, { accountId: id, acr: 'urn:x', amr: ['hwk'] });
      return {};
    });
    await app.ready();
    try {
      const noAuth = await app.inject({ method: 'GET', url: '/api/admin/events/deliveries' });
      expect(noAuth.statusCode).toBe(401);
      const auth = { authorization: `Bearer ${ADMIN}` };
      const bad = await app.inject({
        method: 'GET',
        url: '/api/admin/events/deliveries?status=lost',
        headers: auth,
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ code: 'request_invalid' });
      const dead = await app.inject({
        method: 'GET',
        url: '/api/admin/events/deliveries?status=dead',
        headers: auth,
      });
      expect(dead.statusCode).toBe(200);
      const list = dead.json<{ deliveries: Array<{ status: string; id: string }> }>();
      expect(list.deliveries.length).toBeGreaterThanOrEqual(1);
      expect(list.deliveries.every((d) => d.status === 'dead')).toBe(true);
      expect(JSON.stringify(list)).not.toMatch(/subject|sub_id/);
      const notFound = await app.inject({
        method: 'POST',
        url: `/api/admin/events/deliveries/${randomUUID()}/retry`,
        headers: auth,
      });
      expect(notFound.statusCode).toBe(404);
      expect(notFound.json()).toMatchObject({ code: 'event_delivery_not_found' });
      const retried = await app.inject({
        method: 'POST',
        url: `/api/admin/events/deliveries/${list.deliveries[0]!.id}/retry`,
        headers: auth,
      });
      expect(retried.statusCode).toBe(204);

      expect((await app.inject({ method: 'GET', url: '/api/me/notices' })).statusCode).toBe(401);
      const login = await app.inject({ method: 'POST', url: '/t/login' });
      const cookie = login.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      const res = await app.inject({ method: 'GET', url: '/api/me/notices', headers: { cookie } });
      expect(res.statusCode).toBe(200);
      const notices = res.json<{ notices: Array<Record<string, unknown>> }>().notices;
      expect(notices[0]).toMatchObject({
        kind: 'reproofing_required',
        reason: 'keyCompromise',
        actionRequired: true,
      });
    } finally {
      await app.close();
    }
  });
});

/** The jti of a compact SET (for counting; verification is done elsewhere). */
function decodeJti(jwt: string): string {
  return String(
    (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { jti: unknown }).jti,
  );
}
