// The JobQueue implementations against the same contract: the `jobs` table on both engines, and
// the in-process queue.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryJobQueue, PostgresJobQueue, type JobQueue } from '../../src/lifecycle/index.ts';
import { jsonb } from '../../src/store/json.ts';
import { forEachEngine } from '../db/harness.ts';

/** The contract both implementations keep. */
function contract(make: () => JobQueue): void {
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
      await new Promise((r) => setTimeout(r, 2));
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
    await new Promise((r) => setTimeout(r, 1100)); // the first retry waits 1 s
    expect(await q.drain(name, failing)).toEqual({ completed: 0, errors: 1 });
    expect(attempts).toEqual([1, 2]);
    expect(await q.counts(name)).toEqual({ queued: 0, running: 0, done: 0, failed: 1 });
  });
}

describe('memory', () => {
  contract(() => new MemoryJobQueue());
});

forEachEngine((t) => {
  contract(() => new PostgresJobQueue(t.db, { leaseMs: 1000 }));

  it('ok-a-crashed-workers-job-is-taken-over-when-its-lease-lapses', async () => {
    let now = new Date('2026-06-01T00:00:00Z');
    const q = new PostgresJobQueue(t.db, { leaseMs: 60_000, now: () => now });
    const name = `q-${randomUUID()}`;
    // What a worker that died mid-job leaves behind: running, its lease still in force.
    await t.db
      .insertInto('jobs')
      .values({
        queue: name,
        key: 'shard-0',
        payload: jsonb({ shard: 0 }),
        state: 'running',
        attempts: 1,
        run_at: now,
        locked_by: 'dead-worker',
        locked_until: new Date(now.getTime() + 60_000),
        created_at: now,
        updated_at: now,
      })
      .execute();
    const taken: Array<{ attempt: number; shard: unknown }> = [];
    const handler = (job: { attempt: number; payload: Record<string, unknown> }): Promise<void> => {
      taken.push({ attempt: job.attempt, shard: job.payload['shard'] });
      return Promise.resolve();
    };
    // While the lease runs nobody else may take it …
    expect(await q.drain(name, handler, { workerId: 'live-worker' })).toEqual({ completed: 0, errors: 0 });
    // … once it has lapsed, another worker does (a new attempt).
    now = new Date(now.getTime() + 61_000);
    expect(await q.drain(name, handler, { workerId: 'live-worker' })).toEqual({ completed: 1, errors: 0 });
    expect(taken).toEqual([{ attempt: 2, shard: 0 }]);
    const row = await t.db.selectFrom('jobs').selectAll().where('queue', '=', name).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'done', locked_by: null, locked_until: null, attempts: 2 });
    // The dead worker cannot finish it any more (only the lease holder may).
    await t.db
      .updateTable('jobs')
      .set({ state: 'failed' })
      .where('id', '=', row.id)
      .where('locked_by', '=', 'dead-worker')
      .execute();
    expect(
      (await t.db.selectFrom('jobs').select('state').where('id', '=', row.id).executeTakeFirstOrThrow())
        .state,
    ).toBe('done');
  });

  it('ok-a-long-job-keeps-its-lease-by-heartbeat', async () => {
    const q = new PostgresJobQueue(t.db, { leaseMs: 300 });
    const name = `q-${randomUUID()}`;
    await q.enqueue(name, {}, { key: 'long' });
    let other = -1;
    await q.drain(
      name,
      async () => {
        // Three leases long; meanwhile another worker finds nothing to take.
        await new Promise((r) => setTimeout(r, 400));
        other = (await q.drain(name, () => Promise.resolve(), { workerId: 'other' })).completed;
        await new Promise((r) => setTimeout(r, 500));
      },
      { workerId: 'first' },
    );
    expect(other).toBe(0);
    expect(await q.counts(name)).toMatchObject({ done: 1 });
  });
});
