/**
 * Several platform instances on one PostgreSQL (issue 14, docs/architecture.md §7, docs/scaling.md): three
 * real `watashi serve` processes sharing a key directory and an in-test J-LIS simulator (over
 * HTTP), behind a real HAProxy (round-robin, health-checked on /health); once straight on
 * PostgreSQL and once through PgBouncer 1.18 in transaction mode with
 * `database.preparedStatements` and `database.startupParameters` off.
 *
 * It proves, through the balancer: enrolments and card logins go on while one instance is killed
 * with SIGKILL mid-burst (requests in flight on it fail and are retried by the client, as a browser
 * would); no account, anchor or fee row is duplicated or lost (the platform's fee ledger matches
 * the simulator's own meter); a session made on one instance works on another; a signing key added
 * with `watashi keys rotate` is published by every live instance within `keyStore.refreshSeconds`
 * and then signs everywhere; a sweep over the shared queue checks every anchor exactly once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64 } from '@watashi/pki';
import type { Schema } from '../../src/store/schema.ts';
import { createScratchDatabase, type ScratchDatabase } from '../db/postgres.ts';
import { testPostgresAdminUrl } from '../db/harness.ts';
import { newResident, startSim, type CardHolder, type TestSim } from '../enrolment/support.ts';
import { startHaproxy, type TestHaproxy } from './haproxy.ts';
import { startPgBouncer, type TestPgBouncer } from './pgbouncer.ts';
import { freePort, startChild, waitFor, type Child } from './processes.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../../cli/bin/watashi.mjs', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const SESSION_COOKIE = 'watashi_session';
const REFRESH_SECONDS = 1;
const OPERATOR = 'watashi-scale';

/** The fields of the platform's answers this test reads. */
interface Body {
  id?: string;
  document?: { bytes: string };
  accountId?: string;
  challenge?: string;
  message?: string;
  account?: { id: string };
  code?: string;
}

/** A login challenge as the options routes answer it. */
const challengeOf = (b: Body): { challenge: string; message: string } => ({
  challenge: b.challenge ?? '',
  message: b.message ?? '',
});

/** One browser: a cookie jar; answers of a killed instance (502/503, reset) are retried. */
class Browser {
  cookie: string | undefined;
  constructor(readonly base: string) {}

  /** One request; `undefined` when no instance answered it (connection reset, 502, 503). */
  async once(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Body } | undefined> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.cookie === undefined ? {} : { cookie: this.cookie }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      return undefined;
    }
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      await res.arrayBuffer();
      return undefined;
    }
    for (const c of res.headers.getSetCookie()) {
      const [name, value] = (c.split(';')[0] ?? '').split('=');
      if (name === SESSION_COOKIE) this.cookie = value === '' ? undefined : `${name}=${value}`;
    }
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Body) };
  }

  post(path: string, body: unknown = {}) {
    return this.once('POST', path, body);
  }
}

/** Retries `step` (a whole ceremony: new challenge, new signature) until an instance answers it. */
async function retried<T>(what: string, step: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 20; i++) {
    const r = await step();
    if (r !== undefined) return r;
  }
  throw new Error(`${what}: no instance answered 20 times`);
}

/** The card signs a challenge message with its user-authentication key. */
async function proof(card: CardHolder, ch: { challenge: string; message: string }) {
  const { signature, certificate } = await card.rawAuth(new Uint8Array(Buffer.from(ch.message, 'base64')));
  return { challenge: ch.challenge, certificate: toBase64(certificate), signature: toBase64(signature) };
}

for (const variant of ['postgres', 'pgbouncer'] as const) {
  describe(`three instances behind HAProxy (${variant})`, () => {
    let sim: TestSim;
    let scratch: ScratchDatabase;
    let bouncer: TestPgBouncer | undefined;
    let lb: TestHaproxy;
    let dir: string;
    let configFile: string;
    let check: Kysely<Schema>;
    const instances: Array<{ port: number; child: Child }> = [];
    const residents: Array<{ card: CardHolder; accountId: string }> = [];

    beforeAll(async () => {
      sim = await startSim(`scale-${variant}`, new Date());
      scratch = await createScratchDatabase(await testPostgresAdminUrl());
      let url = scratch.url;
      if (variant === 'pgbouncer') {
        bouncer = await startPgBouncer(scratch.url, { defaultPoolSize: 6 });
        url = bouncer.url(new URL(scratch.url).pathname.slice(1));
      }
      check = new Kysely<Schema>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url, max: 2 }) }),
      });
      dir = mkdtempSync(join(tmpdir(), 'watashi-scale-'));
      const lbPort = await freePort();
      const ports = [await freePort(), await freePort(), await freePort()];
      configFile = join(dir, 'config.json');
      writeFileSync(
        configFile,
        JSON.stringify({
          mode: 'simulation',
          host: '127.0.0.1',
          publicUrl: `http://127.0.0.1:${lbPort}`,
          logLevel: 'warn',
          databaseUrl: url,
          ...(variant === 'pgbouncer'
            ? { database: { preparedStatements: false, startupParameters: false, poolMax: 4 } }
            : { database: { poolMax: 4 } }),
          jlis: { kind: 'simulator', url: sim.url, operatorId: OPERATOR },
          keyStore: { kind: 'local', dir: join(dir, 'keys'), refreshSeconds: REFRESH_SECONDS },
          rateLimits: { enabled: false },
          trustProxy: true,
          sweep: { intervalHours: 0 },
          dataDir: join(dir, 'data'),
        }),
      );
      // All three start together on an empty database and an empty key directory: migrations and
      // first keys are created once, under their locks.
      for (const port of ports)
        instances.push({
          port,
          child: startChild(
            process.execPath,
            [BIN, 'serve', '--config', configFile, '--port', String(port)],
            {},
            REPO,
          ),
        });
      await Promise.all(
        instances.map(({ port, child }) =>
          waitFor(
            `instance on ${port}`,
            async () => {
              if (child.process.exitCode !== null) throw new Error(`instance exited: ${child.output()}`);
              try {
                return (await fetch(`http://127.0.0.1:${port}/health`)).status === 200;
              } catch {
                return false;
              }
            },
            150_000,
            () =>
              [
                `its output: ${child.output().slice(-4000)}`,
                ...(bouncer === undefined ? [] : [`PgBouncer's log: ${bouncer.log().slice(-4000)}`]),
              ].join('\n'),
          ),
        ),
      );
      lb = await startHaproxy(ports, lbPort);
    }, 240_000);

    afterAll(async () => {
      await lb?.stop();
      for (const i of instances) await i.child.stop();
      await check?.destroy();
      await bouncer?.stop();
      await scratch?.drop();
      await sim?.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    /** Enrols a new resident through the balancer and binds the card's authentication key. */
    async function enrol(): Promise<{ card: CardHolder; accountId: string }> {
      const card = await newResident(sim);
      return retried('enrolment', async () => {
        const b = new Browser(lb.url);
        const issued = await b.post('/api/enrolments');
        if (issued === undefined) return undefined;
        expect(issued.status, JSON.stringify(issued.body)).toBe(201);
        sim.clock.set(new Date());
        const cms = await card.cms(new Uint8Array(Buffer.from(issued.body.document?.bytes ?? '', 'base64')));
        const done = await b.post(`/api/enrolments/${issued.body.id ?? ''}/complete`, { cms: toBase64(cms) });
        if (done === undefined) return undefined;
        expect(done.status, JSON.stringify(done.body)).toBe(200);
        const bound = await retried('binding', async () => {
          const ch = await b.post('/api/authn/card/binding/options');
          if (ch === undefined) return undefined;
          const res = await b.post('/api/authn/card/binding', await proof(card, challengeOf(ch.body)));
          if (res === undefined) return undefined;
          // A binding whose answer was lost may have been stored: the retry then meets it.
          if (res.status === 409) return res;
          expect(res.status, JSON.stringify(res.body)).toBe(201);
          return res;
        });
        expect(bound.status === 201 || bound.status === 409).toBe(true);
        return { card, accountId: done.body.accountId ?? '' };
      });
    }

    /** A card login through the balancer; returns the signed-in browser. */
    async function cardLogin(card: CardHolder, base = lb.url): Promise<Browser> {
      return retried('card login', async () => {
        const b = new Browser(base);
        const ch = await b.post('/api/authn/card/login/options');
        if (ch === undefined) return undefined;
        const res = await b.post('/api/authn/card/login', await proof(card, challengeOf(ch.body)));
        if (res === undefined) return undefined;
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        return b;
      });
    }

    it('ok-enrolments-and-logins-survive-an-instance-killed-mid-burst', async () => {
      for (const r of await Promise.all([enrol(), enrol(), enrol(), enrol()])) residents.push(r);
      // A burst of logins (each a challenge then a signature, often on two instances), and
      // enrolments, while instance 2 is killed once the burst is under way.
      const victim = instances[2]!;
      let started = 0;
      const killed = waitFor('the burst to start', () => started >= 3).then(() =>
        victim.child.stop('SIGKILL'),
      );
      const burst = await Promise.all([
        // A card holds one session at a time: each resident's logins follow one another.
        ...residents.map(async (r) => {
          for (let i = 0; i < 3; i++) {
            started++;
            await cardLogin(r.card);
          }
          return undefined;
        }),
        ...[1, 2].map(async () => {
          started++;
          return enrol();
        }),
      ]);
      await killed;
      expect(victim.child.process.signalCode).toBe('SIGKILL');
      for (const r of burst.slice(residents.length) as Array<{ card: CardHolder; accountId: string }>)
        residents.push(r);

      // Nothing duplicated, nothing lost.
      const accounts = await check.selectFrom('accounts').select('id').execute();
      expect(accounts.map((a) => a.id).sort()).toEqual(residents.map((r) => r.accountId).sort());
      const anchors = await check
        .selectFrom('anchors')
        .select(['account_id', 'purpose'])
        .where('superseded_by', 'is', null)
        .execute();
      for (const r of residents) {
        expect(anchors.filter((a) => a.account_id === r.accountId && a.purpose === 'sign')).toHaveLength(1);
        expect(anchors.filter((a) => a.account_id === r.accountId && a.purpose === 'auth')).toHaveLength(1);
      }
      // The platform's ledger against J-LIS's meter: one row per OCSP query J-LIS answered.
      const metered = sim.s.sim
        .fees({ operatorId: OPERATOR })
        .rows.filter((f) => f.item.startsWith('ocsp'))
        .reduce((n, f) => n + f.count, 0);
      await waitFor(
        'the fee ledger to settle',
        async () => {
          const { n } = await check
            .selectFrom('fee_ledger')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('method', '=', 'ocsp')
            .where('outcome', '=', 'ok')
            .executeTakeFirstOrThrow();
          return Number(n) >= metered;
        },
        10_000,
      ).catch(() => undefined);
      const { n } = await check
        .selectFrom('fee_ledger')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('method', '=', 'ocsp')
        .executeTakeFirstOrThrow();
      expect(metered).toBeGreaterThan(0);
      expect(Number(n)).toBe(metered);
    }, 120_000);

    it('ok-a-session-made-on-one-instance-works-on-another', async () => {
      const [a, b] = instances.filter(
        (i) => i.child.process.exitCode === null && i.child.process.signalCode === null,
      );
      const r = residents[0]!;
      const on = await cardLogin(r.card, `http://127.0.0.1:${a!.port}`);
      const other = new Browser(`http://127.0.0.1:${b!.port}`);
      other.cookie = on.cookie;
      const me = await other.once('GET', '/api/me');
      expect(me?.status).toBe(200);
      expect(me?.body.account?.id).toBe(r.accountId);
      // Logging out on the second ends it on the first as well.
      expect((await other.post('/api/logout'))?.status).toBe(204);
      const after = await on.once('GET', '/api/me');
      expect(after?.status).toBe(401);
    }, 60_000);

    it('ok-a-rotated-signing-key-is-published-then-signs-on-every-instance', async () => {
      const live = instances.filter((i) => i.child.process.signalCode === null);
      const jwks = async (port: number): Promise<string[]> => {
        const res = await fetch(`http://127.0.0.1:${port}/oidc/jwks`);
        expect(res.status).toBe(200);
        return ((await res.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
      };
      const before = await Promise.all(live.map((i) => jwks(i.port)));
      // One key, the same everywhere: the instances made their first key once, together.
      expect(new Set(before.map((k) => k.join(' '))).size).toBe(1);
      expect(before[0]).toHaveLength(1);
      const { stdout } = await run(
        process.execPath,
        [BIN, 'keys', 'rotate', '--config', configFile, '--json'],
        {
          cwd: REPO,
          timeout: 60_000,
        },
      );
      const added = (JSON.parse(stdout) as { added: string }).added;
      // Published by every live instance (each reads the store again within refreshSeconds of a
      // request), the old key still signing (listed first) until the new one is 2 × refresh old.
      await Promise.all(
        live.map((i) =>
          waitFor(
            `instance ${i.port} to publish ${added}`,
            async () => (await jwks(i.port)).includes(added),
            30_000,
          ),
        ),
      );
      await Promise.all(
        live.map((i) =>
          waitFor(
            `instance ${i.port} to sign with ${added}`,
            async () => (await jwks(i.port))[0] === added,
            30_000,
          ),
        ),
      );
      for (const i of live) expect(await jwks(i.port)).toEqual([added, before[0]![0]]);
    }, 90_000);

    it('ok-a-sweep-over-the-shared-queue-checks-every-anchor-once', async () => {
      const { stdout } = await run(
        process.execPath,
        [BIN, 'sweep', '--config', configFile, '--shards', '4', '--json'],
        { cwd: REPO, timeout: 90_000 },
      );
      const result = JSON.parse(stdout) as { status: string; anchorsChecked: number; runId: string };
      expect(result.status).toBe('completed');
      const { n } = await check
        .selectFrom('anchors')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('superseded_by', 'is', null)
        .executeTakeFirstOrThrow();
      expect(result.anchorsChecked).toBe(Number(n));
      const shards = await check
        .selectFrom('sweep_shards')
        .select(['state', 'anchors_checked'])
        .where('run_id', '=', result.runId as never)
        .execute();
      expect(shards.every((s) => s.state === 'done')).toBe(true);
      expect(shards.reduce((t, s) => t + Number(s.anchors_checked), 0)).toBe(Number(n));
      const runs = await sql<{ n: string }>`SELECT count(*) AS n FROM sweep_runs`.execute(check);
      expect(Number(runs.rows[0]?.n)).toBe(1);
    }, 120_000);
  });
}
