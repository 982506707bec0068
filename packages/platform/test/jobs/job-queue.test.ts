// The JobQueue implementations against the same contract: the in-process queue and pg-boss on
// PostgreSQL (with real short times: pg-boss uses the database's clock; the in-process queue gets an
// injected clock instead).
import { randomUUID } from 'node:crypto';
import { PgBoss } from 'pg-boss';
import PgBoss10 from 'pg-boss-10';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MemoryJobQueue,
  jobIdOf,
  PgBossJobQueue,
  type JobQueue,
  type PgBossJobQueueOptions,
} from '../../src/jobs/index.ts';
import { forEachEngine, testPostgresAdminUrl } from '../db/harness.ts';
import { adminQuery } from '../db/postgres.ts';

/**
 * The contract every implementation keeps; `retryWaitMs`: how long the first retry may wait;
 * `pass`: lets that much time pass on the queue's clock (default: really wait, for pg-boss, which
 * reads the database's clock).
 */
function contract(
  make: () => JobQueue,
  {
    retryWaitMs = 1100,
    pass = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms)),
  }: { retryWaitMs?: number; pass?: (ms: number) => Promise<void> } = {},
): void {
  it('ok-enqueue-is-idempotent-by-key', async () => {
    const q = make();
    const name = `q-${randomUUID()}`;
    const a = await q.enqueue(name, { n: 1 }, { key: 'k' });
    const b = await q.enqueue(name, { n: 2 }, { key: 'k' });
    expect(a.created).toBe(true);
    expect(b).toEqual({ id: a.id, created: false });
    const seen: number[] = [];
    await q.drain(name, (job) => {
      seen.push(job.payload['n'] as number);
      return Promise.resolve();
    });
    // Enqueueing a finished key again does not run it again.
    expect((await q.enqueue(name, { n: 3 }, { key: 'k' })).created).toBe(false);
    await q.drain(name, () => Promise.reject(new Error('must not run')));
    expect(seen).toEqual([1]);
    expect(await q.counts(name)).toEqual({ queued: 0, running: 0, done: 1, failed: 0 });
  });

  it('ok-concurrent-workers-run-each-job-once', async () => {
    const q = make();
    const name = `q-${randomUUID()}`;
    for (let i = 0; i < 20; i++) await q.enqueue(name, { i }, { key: String(i) });
    const runs: number[] = [];
    const handler = async (job: { payload: { i: number } }): Promise<void> => {
      runs.push(job.payload.i);
      // Yield, so the two workers' claims interleave.
      await new Promise((r) => setImmediate(r));
    };
    const [a, b] = await Promise.all([
      q.drain(name, handler, { concurrency: 3, workerId: 'a' }),
      q.drain(name, handler, { concurrency: 3, workerId: 'b' }),
    ]);
    expect(a.completed + b.completed).toBe(20);
    expect([...runs].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('fail-a-failing-job-is-retried-then-failed', async () => {
    const q = make();
    const name = `q-${randomUUID()}`;
    await q.enqueue(name, {}, { key: 'x', maxAttempts: 2, runAt: new Date(0) });
    const attempts: number[] = [];
    const failing = (job: { attempt: number }): Promise<void> => {
      attempts.push(job.attempt);
      return Promise.reject(new Error('boom'));
    };
    expect(await q.drain(name, failing)).toEqual({ completed: 0, errors: 1 });
    expect((await q.counts(name)).queued).toBe(1);
    // Not due before its backoff; due after it.
    expect(await q.drain(name, failing)).toEqual({ completed: 0, errors: 0 });
    await pass(retryWaitMs); // the first retry waits 1 s (pg-boss: 1–2 s)
    expect(await q.drain(name, failing)).toEqual({ completed: 0, errors: 1 });
    expect(attempts).toEqual([1, 2]);
    expect(await q.counts(name)).toEqual({ queued: 0, running: 0, done: 0, failed: 1 });
  });
}

describe('memory', () => {
  // An injected clock (docs/conventions.md §8): the retry's backoff passes by moving it, not by sleeping.
  let skew = 0;
  contract(() => new MemoryJobQueue({ now: () => new Date(Date.now() + skew) }), {
    pass: (ms) => {
      skew += ms;
      return Promise.resolve();
    },
  });
});

forEachEngine(
  (t) => {
    const url = (): string => {
      if (t.database.engine !== 'postgres') throw new TypeError('pg-boss runs on PostgreSQL');
      return t.database.url;
    };
    const opened: PgBossJobQueue[] = [];
    /** What the queues reported through onError (maintenance failures, lost connections). */
    const reported: unknown[] = [];
    /** A "platform instance": its own pg-boss and pool; short expiry and maintenance for tests. */
    const boss = (options: Partial<PgBossJobQueueOptions> = {}): PgBossJobQueue => {
      const q = new PgBossJobQueue({
        url: url(),
        expireInSeconds: 1,
        maintenanceIntervalSeconds: 1,
        onError: (e) => reported.push(e),
        ...options,
      });
      opened.push(q);
      return q;
    };
    afterAll(async () => {
      // Nothing went wrong behind the tests' backs while the queues ran.
      expect(reported).toEqual([]);
      await Promise.all(opened.map((q) => q.close()));
    });

    describe('pg-boss', () => {
      contract(() => boss(), { retryWaitMs: 2100 });

      it('ok-a-crashed-workers-job-is-run-by-another-after-expiry', async () => {
        const q = boss();
        const name = `q-${randomUUID()}`;
        const { id } = await q.enqueue(name, { shard: 0 }, { key: 'shard-0' });
        // A worker that claims the job and dies: nobody completes it or renews its claim.
        const dead = new PgBoss({
          connectionString: url(),
          supervise: false,
          schedule: false,
          registerInstance: false,
          max: 1,
        });
        await dead.start();
        try {
          expect((await dead.fetch(name)).map((j) => j.id)).toEqual([id]);
        } finally {
          await dead.stop({ graceful: false });
        }
        const taken: Array<{ attempt: number; key: string; shard: unknown }> = [];
        const handler = (job: {
          attempt: number;
          key: string;
          payload: Record<string, unknown>;
        }): Promise<void> => {
          taken.push({ attempt: job.attempt, key: job.key, shard: job.payload['shard'] });
          return Promise.resolve();
        };
        // While its claim runs nobody else may take it …
        expect(await q.drain(name, handler)).toEqual({ completed: 0, errors: 0 });
        expect(await q.counts(name)).toMatchObject({ running: 1 });
        // … once it has expired (maintenance every second here), another worker does: a new attempt.
        const deadline = Date.now() + 8000;
        while (taken.length === 0 && Date.now() < deadline) {
          await q.drain(name, handler);
          if (taken.length === 0) await new Promise((r) => setTimeout(r, 200));
        }
        expect(taken).toEqual([{ attempt: 2, key: 'shard-0', shard: 0 }]);
        expect(await q.counts(name)).toEqual({ queued: 0, running: 0, done: 1, failed: 0 });
      });

      it('ok-two-instances-draining-one-queue-run-each-job-exactly-once', async () => {
        const [a, b] = [boss(), boss()];
        const name = `q-${randomUUID()}`;
        for (let i = 0; i < 20; i++) await (i % 2 ? a : b).enqueue(name, { i }, { key: String(i) });
        const runs: number[] = [];
        const handler = async (job: { payload: { i: number } }): Promise<void> => {
          runs.push(job.payload.i);
          await new Promise((r) => setTimeout(r, 5));
        };
        const [ra, rb] = await Promise.all([
          a.drain(name, handler, { concurrency: 3 }),
          b.drain(name, handler, { concurrency: 3 }),
        ]);
        expect(ra.completed + rb.completed).toBe(20);
        expect(ra.errors + rb.errors).toBe(0);
        expect([...runs].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
        expect(await a.counts(name)).toEqual({ queued: 0, running: 0, done: 20, failed: 0 });
      });

      it('ok-a-long-job-keeps-its-claim-by-renewal', async () => {
        const [q, other] = [boss(), boss()];
        const name = `q-${randomUUID()}`;
        await q.enqueue(name, {}, { key: 'long' });
        const attempts: number[] = [];
        let stolen = -1;
        const r = await q.drain(name, async (job) => {
          attempts.push(job.attempt);
          // Three expiries long, with maintenance running; meanwhile another instance finds nothing.
          await new Promise((res) => setTimeout(res, 1800));
          stolen = (await other.drain(name, () => Promise.resolve())).completed;
          await new Promise((res) => setTimeout(res, 1500));
        });
        expect(r).toEqual({ completed: 1, errors: 0 });
        expect(stolen).toBe(0);
        expect(attempts).toEqual([1]);
        expect(await q.counts(name)).toEqual({ queued: 0, running: 0, done: 1, failed: 0 });
      });

      it('ok-a-finished-key-still-counts', async () => {
        const q = boss();
        const name = `q-${randomUUID()}`;
        const first = await q.enqueue(name, {}, { key: 'k' });
        await q.drain(name, () => Promise.resolve());
        expect(await q.enqueue(name, {}, { key: 'k' })).toEqual({ id: first.id, created: false });
        expect(await q.counts(name)).toEqual({ queued: 0, running: 0, done: 1, failed: 0 });
      });

      it('ok-a-pg-boss-10-schema-is-carried-over', async () => {
        // A database as Watashi 0.1 left it: pg-boss 10.4.2's schema (version 24), which pg-boss 12
        // cannot migrate; jobs queued, running (its instance stopped for the upgrade) and finished.
        const schema = `pgb_up_${randomUUID().slice(0, 8)}`;
        const name = `q-${randomUUID()}`;
        const old = new PgBoss10({
          connectionString: url(),
          schema,
          supervise: false,
          schedule: false,
          max: 1,
        });
        await old.start();
        const ids: Record<string, string> = {};
        try {
          await old.createQueue(name, { name, policy: 'standard' });
          for (const key of ['queued', 'running', 'done', 'archived']) {
            ids[key] = (await old.send(name, { key }, { id: jobIdOf(name, key), singletonKey: key }))!;
          }
          // 'done' and 'archived' ran and finished; 'running' is still running.
          await sql`UPDATE ${sql.id(schema, 'job')} SET state = 'active', started_on = now()
                    WHERE id IN (${ids['done']!}, ${ids['archived']!})`.execute(t.db);
          await old.complete(name, [ids['done']!, ids['archived']!]);
          await sql`UPDATE ${sql.id(schema, 'job')} SET state = 'active', started_on = now()
                    WHERE id = ${ids['running']!} AND state = 'created'`.execute(t.db);
          await sql`UPDATE ${sql.id(schema, 'job')} SET completed_on = now() - interval '13 hours'
                    WHERE id = ${ids['archived']!}`.execute(t.db);
          await old.archive();
        } finally {
          await old.stop({ graceful: false });
        }
        const archived =
          await sql`SELECT 1 FROM ${sql.id(schema, 'archive')} WHERE id = ${ids['archived']!}`.execute(t.db);
        expect(archived.rows).toHaveLength(1);

        const q = boss({ schema });
        // Finished keys still count, in the job table and in the old archive alike.
        expect(await q.enqueue(name, {}, { key: 'done' })).toEqual({ id: ids['done'], created: false });
        expect(await q.enqueue(name, {}, { key: 'archived' })).toEqual({
          id: ids['archived'],
          created: false,
        });
        expect(await q.counts(name)).toEqual({ queued: 2, running: 0, done: 2, failed: 0 });
        const runs: Array<{ key: string; attempt: number }> = [];
        const deadline = Date.now() + 8000;
        while (runs.length < 2 && Date.now() < deadline) {
          await q.drain(name, (job) => {
            runs.push({ key: job.key, attempt: job.attempt });
            return Promise.resolve();
          });
          if (runs.length < 2) await new Promise((r) => setTimeout(r, 200));
        }
        // The queued job runs as its first attempt; the one that was running, as its second.
        expect(runs.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
          { key: 'queued', attempt: 1 },
          { key: 'running', attempt: 2 },
        ]);
        const legacy = await sql`SELECT 1 FROM pg_namespace WHERE nspname = ${`${schema}_v10`}`.execute(t.db);
        expect(legacy.rows).toHaveLength(0);
        // A second instance starting on the upgraded schema finds nothing to do and the same jobs.
        const again = boss({ schema });
        expect(await again.counts(name)).toEqual({ queued: 0, running: 0, done: 4, failed: 0 });
      });

      it('ok-the-last-error-is-kept', async () => {
        const q = boss();
        const name = `q-${randomUUID()}`;
        await q.enqueue(name, {}, { key: 'x', maxAttempts: 1 });
        const e = Object.assign(new Error('no CRL'), { code: 'crl_missing' });
        expect(await q.drain(name, () => Promise.reject(e))).toEqual({ completed: 0, errors: 1 });
        expect(await q.counts(name)).toMatchObject({ failed: 1 });
        expect(await q.lastError(name, 'x')).toBe('crl_missing: no CRL');
      });

      it('ok-a-start-that-failed-is-tried-again-by-the-next-call', async () => {
        // A database that is not there yet: the first start fails, as when the connection is lost
        // in the middle of it; once the database is there, the next call starts the queue.
        const admin = await testPostgresAdminUrl();
        const name = `watashi_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
        const target = new URL(admin);
        target.pathname = `/${name}`;
        // Its own onError, not the suite's `reported`: this queue is meant to fail first.
        const q = new PgBossJobQueue({ url: target.toString(), onError: () => undefined });
        try {
          await expect(q.enqueue('q', {}, { key: 'a' })).rejects.toThrow(/does not exist/);
          await adminQuery(admin, `CREATE DATABASE ${name}`);
          expect(await q.enqueue('q', {}, { key: 'a' })).toMatchObject({ created: true });
          expect(await q.counts('q')).toMatchObject({ queued: 1 });
        } finally {
          await q.close();
          await adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        }
      });

      it('ok-close-aborts-running-handlers-and-refuses-further-use', async () => {
        const q = new PgBossJobQueue({ url: url() });
        const name = `q-${randomUUID()}`;
        await q.enqueue(name, {}, { key: 'k' });
        let started!: () => void;
        const running = new Promise<void>((r) => (started = r));
        const drained = q.drain(name, (_job, ctx) => {
          started();
          return new Promise((_, reject) =>
            ctx.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }),
          );
        });
        await running;
        await q.close();
        // The aborted handler's attempt was recorded as an error (a retry) before pg-boss stopped.
        expect(await drained).toEqual({ completed: 0, errors: 1 });
        await expect(q.enqueue(name, {}, { key: 'k2' })).rejects.toThrow(TypeError);
        await q.close(); // idempotent
        const check = boss();
        expect(await check.counts(name)).toEqual({ queued: 1, running: 0, done: 0, failed: 0 });
      });
    });
  },
  ['postgres'],
);
