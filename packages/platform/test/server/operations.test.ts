/**
 * Operations (issue 14): /healthz, /readyz (each check, the database going away and coming back),
 * /metrics (protected; counters move), request ids in logs and audit records, graceful close with
 * the drain timeout. On both engines: PostgreSQL is reached through a TCP proxy this test cuts;
 * the embedded database is made unreachable by holding its single session.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSimulator, type RunningSimulator } from '@watashi/jlis-sim';
import { forEachEngine } from '../db/harness.ts';
import { createPlatform, type Platform } from '../../src/platform.ts';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { verifyAuditChain } from '../../src/store/audit.ts';
import { SESSION_COOKIE } from '../../src/server/sessions.ts';
import { readiness } from '../../src/server/health.ts';
import { platformLogger } from '../../src/server/app.ts';
import { runInRequest } from '../../src/server/request-context.ts';
import { createAccount, testDeps } from './support.ts';

const METRICS_TOKEN = 'm'.repeat(40);
const dirs: string[] = [];
let sim: RunningSimulator;
let simUrl: string;
beforeAll(async () => {
  const d = mkdtempSync(join(tmpdir(), 'watashi-ops-'));
  dirs.push(d);
  sim = await createSimulator({ dataDir: d, port: 0, seed: 'ops', schedule: false, logLevel: 'silent' });
  simUrl = await sim.listen();
});
afterAll(async () => {
  await sim.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A TCP proxy to `target` that can be cut (connections refused, open ones reset) and restored. */
class CuttableProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;
  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }
  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    const a = server.address();
    if (a !== null && typeof a === 'object') this.port = a.port;
    this.#server = server;
  }
  async down(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    for (const sock of this.#sockets) sock.destroy();
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

interface ReadyBody {
  status: string;
  draining: boolean;
  checks: Record<string, { status: string; required: boolean; latencyMs: number; reason?: string }>;
}

/** The value of the sample `name{labels}` in exposition `text` (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got = Object.fromEntries(
      [...(m[3] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1] ?? '', x[2] ?? '']),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return 0;
}

forEachEngine((t) => {
  let p: Platform;
  let url: string;
  let database: Database;
  let proxy: CuttableProxy | undefined;
  const logLines: Array<Record<string, unknown>> = [];
  const rawLines: string[] = [];
  /** Makes the database unreachable until the returned function is called. */
  let cutDatabase: () => Promise<() => Promise<void>>;

  beforeAll(async () => {
    if (t.database.engine === 'postgres') {
      const target = new URL(t.database.url);
      proxy = new CuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
      await proxy.up();
      const via = new URL(t.database.url);
      via.hostname = '127.0.0.1';
      via.port = String(proxy.port);
      database = await openDatabase({ url: via.href, pool: { connectionTimeoutMs: 2000 } });
      const px = proxy;
      cutDatabase = async () => {
        await px.down();
        return () => px.up();
      };
    } else {
      database = t.database;
      cutDatabase = async () => {
        // PGlite has one session: a caller holding it makes the database unreachable for others.
        let release = (): void => undefined;
        const held = new Promise<void>((r) => (release = r));
        let taken = (): void => undefined;
        const isTaken = new Promise<void>((r) => (taken = r));
        const done = database.db.connection().execute(async () => {
          taken();
          await held;
        });
        await isTaken;
        return async () => {
          release();
          await done;
        };
      };
    }
    const logger = platformLogger(
      'info',
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          for (const l of chunk.toString().split('\n'))
            if (l !== '') {
              rawLines.push(l);
              logLines.push(JSON.parse(l) as Record<string, unknown>);
            }
          cb();
        },
      }),
    );
    p = await createPlatform(
      {
        mode: 'simulation',
        port: 0,
        keyStore: { kind: 'memory' },
        jlis: { kind: 'simulator', url: simUrl },
        rateLimits: { enabled: true, default: { max: 3, windowSeconds: 60 } },
        operations: { metricsToken: METRICS_TOKEN, readinessTimeoutMs: 400, drainTimeoutSeconds: 1 },
        events: { deliveryIntervalSeconds: 0 },
        sweep: { intervalHours: 0 },
        housekeepingIntervalSeconds: 0,
      },
      { database, logger },
    );
    url = await p.listen();
  });
  afterAll(async () => {
    await p.close();
    if (database !== t.database) await database.close();
    await proxy?.down();
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  it('ok-healthz-answers-and-is-not-rate-limited', async () => {
    // The default bucket allows 3 requests a minute here; probes are never limited.
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('ok-readyz-names-each-check-and-no-secret', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${url}/readyz`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as ReadyBody;
      expect(body.status).toBe('ready');
      expect(body.draining).toBe(false);
      expect(Object.keys(body.checks).sort()).toEqual(['database', 'jlis', 'keyStore']);
      expect(body.checks['database']).toMatchObject({ status: 'up', required: true });
      expect(body.checks['keyStore']).toMatchObject({ status: 'up', required: true });
      expect(body.checks['jlis']).toMatchObject({ status: 'up', required: false });
      const text = JSON.stringify(body);
      expect(text).not.toContain('127.0.0.1');
      expect(text).not.toContain('postgres');
    }
  });

  it('ok-readyz-503-while-the-database-is-unreachable-then-recovers', async () => {
    const restore = await cutDatabase();
    try {
      const res = await fetch(`${url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as ReadyBody;
      expect(body.status).toBe('not_ready');
      expect(body.checks['database']).toMatchObject({ status: 'down', required: true });
      expect(body.checks['keyStore']?.status).toBe('up');
      // Liveness does not depend on the database.
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await restore();
    }
    // The pool reconnects by itself (PostgreSQL) / the session is free again (PGlite).
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) status = (await fetch(`${url}/readyz`)).status;
    expect(status).toBe(200);
  });

  it('ok-jlis-down-is-reported-and-fails-readiness-only-when-required', async () => {
    // testDeps points J-LIS at 127.0.0.1:9, where nothing listens.
    const optional = await testDeps(t, { operations: { readinessTimeoutMs: 400 } });
    const a = await readiness(optional, { draining: () => false });
    expect(a.checks.jlis).toMatchObject({ status: 'down', required: false, reason: 'error' });
    expect(a.status).toBe('ready');
    const required = await testDeps(t, { operations: { readinessTimeoutMs: 400, jlisRequired: true } });
    const b = await readiness(required, { draining: () => false });
    expect(b.checks.jlis).toMatchObject({ status: 'down', required: true });
    expect(b.status).toBe('not_ready');
    // Shutting down: not ready whatever the checks say.
    const c = await readiness(optional, { draining: () => true });
    expect(c).toMatchObject({ status: 'not_ready', draining: true });
  });

  it('fail-metrics-without-or-with-a-wrong-token', async () => {
    const none = await fetch(`${url}/metrics`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: string }).code).toBe('metrics_token_required');
    const wrong = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${'x'.repeat(40)}` } });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { code: string }).code).toBe('metrics_token_forbidden');
  });

  it('ok-metrics-counters-move', async () => {
    const before = await scrape();
    const route = { method: 'GET', route: '/healthz', status_class: '2xx' };
    const h0 = sample(before, 'watashi_http_request_duration_seconds_count', route);
    await fetch(`${url}/healthz`);
    await fetch(`${url}/healthz`);
    // A passkey sign-in with a malformed body: counted as a login refused for that reason.
    const l0 = sample(before, 'watashi_logins_total', {
      method: 'passkey',
      outcome: 'authn_request_invalid',
    });
    const bad = await fetch(`${url}/api/authn/passkeys/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"nope":1}',
    });
    expect(bad.status).toBe(400);
    // An enrolment completion with a malformed body, and a URL no route matches.
    const e0 = sample(before, 'watashi_enrolments_total', { kind: 'enrolment' });
    const enrol = await fetch(`${url}/api/enrolments/${randomUUID()}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"nope":1}',
    });
    expect(enrol.status).toBeGreaterThanOrEqual(400);
    expect((await fetch(`${url}/no/such/page-4711`)).status).toBe(404);
    // A J-LIS query through the platform's backend (fee ledger): a CRL download.
    const q0 = sample(before, 'watashi_jlis_queries_total', { method: 'crl', outcome: 'ok' });
    const signCa = p.deps.trust.list().find((a) => a.purpose === 'sign');
    if (signCa === undefined) throw new Error('no signing CA');
    await p.deps.backend.fetchCrl(signCa.certificate);
    const ledger = await p.deps.db
      .selectFrom('fee_ledger')
      .select(['method', 'outcome'])
      .where('method', '=', 'crl')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    // State in the database: a dead letter, a completed sweep.
    const finished = new Date(Math.floor(Date.now() / 1000) * 1000);
    await p.deps.db
      .insertInto('sweep_runs')
      .values({
        status: 'completed',
        started_at: finished,
        finished_at: finished,
        shard_count: 1,
        actor: 'test',
      })
      .execute();
    const d0 = sample(before, 'watashi_event_deliveries', { status: 'dead' });
    await p.deps.db
      .insertInto('event_deliveries')
      .values({
        event_id: randomUUID(),
        client_id: 'ops-test',
        channel: 'webhook',
        target: 'https://rp.example/hook',
        event_type: 'account.closed',
        subject: 's',
        payload: '{}' as never,
        occurred_at: new Date(),
        status: 'dead',
        next_attempt_at: new Date(),
        created_at: new Date(),
        updated_at: new Date(),
      })
      .execute();

    const after = await scrape();
    expect(sample(after, 'watashi_http_request_duration_seconds_count', route)).toBe(h0 + 2);
    expect(after).not.toContain('route="/api/authn/passkeys/login?');
    expect(
      sample(after, 'watashi_logins_total', { method: 'passkey', outcome: 'authn_request_invalid' }),
    ).toBe(l0 + 1);
    const enrolOutcome = /^watashi_enrolments_total\{kind="enrolment",outcome="([a-z_0-9]+)"\}/m.exec(
      after,
    )?.[1];
    expect(enrolOutcome).toBeDefined();
    expect(enrolOutcome).not.toBe('success');
    expect(sample(after, 'watashi_enrolments_total', { kind: 'enrolment' })).toBe(e0 + 1);
    expect(
      sample(after, 'watashi_http_request_duration_seconds_count', {
        route: 'unmatched',
        status_class: '4xx',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(after).not.toContain('page-4711');
    expect(
      sample(after, 'watashi_jlis_queries_total', { method: 'crl', outcome: ledger.outcome }),
    ).toBeGreaterThan(ledger.outcome === 'ok' ? q0 : 0);
    expect(sample(after, 'watashi_sweep_last_success_timestamp_seconds')).toBe(finished.getTime() / 1000);
    expect(sample(after, 'watashi_event_deliveries', { status: 'dead' })).toBe(d0 + 1);
    expect(sample(after, 'watashi_metrics_database_up')).toBe(1);
    expect(sample(after, 'watashi_db_pool_max')).toBeGreaterThanOrEqual(1);
    expect(after).toMatch(/^watashi_db_pool_connections\{state="waiting"\} \d+$/m);
  });

  it('ok-request-id-in-logs-and-in-audit-records', async () => {
    const accountId = await createAccount(t);
    const token = randomBytes(32).toString('base64url');
    await p.deps.db
      .insertInto('sessions')
      .values({
        token_hash: new Uint8Array(createHash('sha256').update(token).digest()),
        account_id: accountId,
        auth_time: new Date(),
        acr: null,
        amr: ['pop'],
        expires_at: new Date(Date.now() + 3600_000),
      })
      .execute();
    const rid = `ops-audit-${t.engine}`;
    const res = await fetch(`${url}/api/me`, {
      method: 'DELETE',
      headers: {
        cookie: `${SESSION_COOKIE}=${token}`,
        'content-type': 'application/json',
        'x-request-id': rid,
      },
      body: JSON.stringify({ confirm: 'close' }),
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('x-request-id')).toBe(rid);
    const records = await p.deps.db
      .selectFrom('audit_log')
      .select(['type', 'payload'])
      .where('account_id', '=', accountId)
      .execute();
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) expect((r.payload as { requestId?: string }).requestId).toBe(rid);
    expect((await verifyAuditChain(p.deps.db)).ok).toBe(true);
    // Every line the server logged for the request names it, once.
    expect(rawLines.filter((l) => l.includes(rid)).every((l) => l.split('"reqId"').length === 2)).toBe(true);
    const mine = logLines.filter((l) => l['reqId'] === rid);
    expect(mine.map((l) => l['msg'])).toEqual(['incoming request', 'request completed']);
    // A malformed id is replaced, never echoed.
    const bad = await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'a b\u00e9' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

forEachEngine(
  (t) => {
    /** Starts a request whose body is sent only when `finish` is called; resolves with its status. */
    function slowRequest(base: string): { finish: () => void; status: Promise<number> } {
      const body = JSON.stringify({ confirm: 'nothing' });
      const req = httpRequest(`${base}/api/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      });
      const status = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
      });
      req.write(body.slice(0, 5));
      return { finish: () => req.end(body.slice(5)), status };
    }

    const start = async (drainTimeoutSeconds: number): Promise<{ p: Platform; url: string }> => {
      const p = await createPlatform(
        {
          mode: 'simulation',
          port: 0,
          logLevel: 'silent',
          keyStore: { kind: 'memory' },
          jlis: { kind: 'simulator', url: simUrl },
          operations: { drainTimeoutSeconds },
        },
        { database: t.database },
      );
      return { p, url: await p.listen() };
    };

    it('ok-in-flight-request-finishes-and-new-connections-are-refused', async () => {
      const { p, url } = await start(30);
      const slow = slowRequest(url);
      await new Promise((r) => setTimeout(r, 200)); // let the request reach the server
      const closed = p.close();
      // Not ready any more, and no new connection is accepted.
      const port = Number(new URL(url).port);
      let refused = false;
      for (let i = 0; i < 50 && !refused; i++) {
        refused = await new Promise<boolean>((resolve) => {
          const s = connect({ host: '127.0.0.1', port });
          s.once('connect', () => {
            s.destroy();
            resolve(false);
          });
          s.once('error', () => resolve(true));
        });
        if (!refused) await new Promise((r) => setTimeout(r, 20));
      }
      expect(refused).toBe(true);
      slow.finish();
      expect(await slow.status).toBe(204);
      await closed;
    });

    it('ok-drain-timeout-cuts-a-request-that-never-ends', async () => {
      const { p, url } = await start(0.3);
      const slow = slowRequest(url);
      await new Promise((r) => setTimeout(r, 200));
      await p.close(); // resolves although the request never finishes
      await expect(slow.status).rejects.toThrow();
    });
  },
  ['pglite'],
);

it('ok-app-logger-lines-written-during-a-request-name-it', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((l) => l !== ''),
      );
      cb();
    },
  });
  const log = platformLogger('info', sink);
  log.info('outside');
  runInRequest({ requestId: 'req-77' }, () => {
    log.info('inside, through the app logger');
    log.child({ reqId: 'req-77' }).info('inside, through req.log');
  });
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(parsed.map((l) => [l['msg'], l['reqId']])).toEqual([
    ['outside', undefined],
    ['inside, through the app logger', 'req-77'],
    ['inside, through req.log', 'req-77'],
  ]);
  // No line names it twice.
  for (const l of lines) expect(l.split('"reqId"').length).toBeLessThanOrEqual(2);
});
