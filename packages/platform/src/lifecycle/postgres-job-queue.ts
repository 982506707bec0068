/**
 * The JobQueue on the `jobs` table (migration 0004), shared by every platform instance on one
 * database (docs/architecture.md §7). Runs unchanged on PostgreSQL and PGlite.
 *
 * - Claim: one statement — `UPDATE jobs … WHERE id = (SELECT id … ORDER BY run_at, id LIMIT 1
 *   FOR UPDATE SKIP LOCKED) RETURNING …` — takes the oldest due job: queued with run_at ≤ now, or
 *   running with a lease (`locked_until`) that has run out. SKIP LOCKED makes concurrent workers
 *   pass over each other's rows instead of queueing on them (PostgreSQL docs, SELECT "The Locking
 *   Clause"), so N workers claim N different jobs.
 * - Lease: `leaseMs` (default 60 s) from the claim, extended every `leaseMs / 3` while the handler
 *   runs. A worker that crashes stops extending it; once it lapses the job is due again and
 *   another worker claims it (a new attempt). If an extension finds the job no longer ours, the
 *   handler's signal aborts.
 * - Finish: `done`, or on error `queued` again after a backoff, or `failed` after `max_attempts`
 *   claims (a job that keeps killing its workers ends there too). Only the lease holder may
 *   finish a job (`WHERE locked_by = $worker`).
 *
 * Times come from the injected clock (`now`), not the server's, so that tests can move time and so
 * that every instance compares leases with the same kind of clock it wrote them with.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { jsonb, type JsonObject } from '../store/json.ts';
import type { Schema } from '../store/schema.ts';
import {
  errorText,
  retryDelayMs,
  type DrainOptions,
  type DrainResult,
  type EnqueueOptions,
  type JobHandler,
  type JobQueue,
  type QueueCounts,
} from './job-queue.ts';

/** Options of {@link PostgresJobQueue}. */
export interface PostgresJobQueueOptions {
  readonly now?: () => Date;
  /** Lease of a claimed job, in ms (default 60,000). */
  readonly leaseMs?: number;
}

interface ClaimedRow {
  id: string;
  key: string;
  payload: JsonObject;
  attempts: number;
  max_attempts: number;
}

/** The JobQueue on the `jobs` table (see the module comment). */
export class PostgresJobQueue implements JobQueue {
  readonly kind = 'postgres';
  readonly #db: Kysely<Schema>;
  readonly #now: () => Date;
  readonly #leaseMs: number;
  readonly #defaultWorker = `worker-${randomUUID()}`;

  constructor(db: Kysely<Schema>, options: PostgresJobQueueOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
    this.#leaseMs = options.leaseMs ?? 60_000;
    if (!(this.#leaseMs >= 100)) throw new RangeError('leaseMs must be at least 100');
  }

  async enqueue<P extends JsonObject>(
    queue: string,
    payload: P,
    options: EnqueueOptions,
  ): Promise<{ id: string; created: boolean }> {
    const now = this.#now();
    const inserted = await this.#db
      .insertInto('jobs')
      .values({
        queue,
        key: options.key,
        payload: jsonb(payload),
        max_attempts: options.maxAttempts ?? 5,
        run_at: options.runAt ?? now,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['queue', 'key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted !== undefined) return { id: inserted.id, created: true };
    const existing = await this.#db
      .selectFrom('jobs')
      .select('id')
      .where('queue', '=', queue)
      .where('key', '=', options.key)
      .executeTakeFirstOrThrow();
    return { id: existing.id, created: false };
  }

  async #claim(queue: string, worker: string): Promise<ClaimedRow | undefined> {
    const now = this.#now();
    const until = new Date(now.getTime() + this.#leaseMs);
    const { rows } = await sql<ClaimedRow>`
      UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = ${worker},
        locked_until = ${until}, updated_at = ${now}
      WHERE id = (
        SELECT id FROM jobs
        WHERE queue = ${queue}
          AND ((state = 'queued' AND run_at <= ${now}) OR (state = 'running' AND locked_until < ${now}))
        ORDER BY run_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED)
      RETURNING id, key, payload, attempts, max_attempts`.execute(this.#db);
    return rows[0];
  }

  async #finish(
    id: string,
    worker: string,
    outcome:
      | { state: 'done' }
      | { state: 'queued'; runAt: Date; error: string }
      | { state: 'failed'; error: string },
  ): Promise<void> {
    const now = this.#now();
    await this.#db
      .updateTable('jobs')
      .set({
        state: outcome.state,
        locked_by: null,
        locked_until: null,
        updated_at: now,
        ...(outcome.state === 'done' || outcome.state === 'failed' ? { finished_at: now } : {}),
        ...(outcome.state === 'queued' ? { run_at: outcome.runAt } : {}),
        ...(outcome.state === 'done' ? {} : { last_error: outcome.error }),
      })
      .where('id', '=', id)
      .where('locked_by', '=', worker)
      .where('state', '=', 'running')
      .execute();
  }

  /** Extends the lease; false when the job is no longer ours (lapsed and taken, or finished). */
  async #extend(id: string, worker: string): Promise<boolean> {
    const now = this.#now();
    const r = await this.#db
      .updateTable('jobs')
      .set({ locked_until: new Date(now.getTime() + this.#leaseMs), updated_at: now })
      .where('id', '=', id)
      .where('locked_by', '=', worker)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async drain<P extends JsonObject>(
    queue: string,
    handler: JobHandler<P>,
    options: DrainOptions = {},
  ): Promise<DrainResult> {
    const worker = options.workerId ?? this.#defaultWorker;
    let completed = 0;
    let errors = 0;
    const lane = async (): Promise<void> => {
      for (;;) {
        if (options.signal?.aborted) return;
        const row = await this.#claim(queue, worker);
        if (row === undefined) return;
        if (row.attempts > row.max_attempts) {
          // Claimed again after its last attempt's lease lapsed: the worker died every time.
          await this.#finish(row.id, worker, { state: 'failed', error: 'lease lapsed on the last attempt' });
          errors++;
          continue;
        }
        const controller = new AbortController();
        const onAbort = (): void => controller.abort(options.signal?.reason);
        options.signal?.addEventListener('abort', onAbort, { once: true });
        const heartbeat = setInterval(
          () => {
            this.#extend(row.id, worker).then(
              (ours) => {
                if (!ours) controller.abort(new Error('the job lease was lost'));
              },
              // A failed extension is retried at the next beat; the lease still runs meanwhile.
              () => undefined,
            );
          },
          Math.max(50, Math.floor(this.#leaseMs / 3)),
        );
        try {
          await handler(
            { id: row.id, queue, key: row.key, payload: row.payload as P, attempt: row.attempts },
            { signal: controller.signal },
          );
          clearInterval(heartbeat);
          await this.#finish(row.id, worker, { state: 'done' });
          completed++;
        } catch (e) {
          clearInterval(heartbeat);
          errors++;
          const error = errorText(e);
          await this.#finish(
            row.id,
            worker,
            row.attempts >= row.max_attempts
              ? { state: 'failed', error }
              : {
                  state: 'queued',
                  error,
                  runAt: new Date(this.#now().getTime() + retryDelayMs(row.attempts)),
                },
          );
        } finally {
          options.signal?.removeEventListener('abort', onAbort);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, lane));
    return { completed, errors };
  }

  async counts(queue: string): Promise<QueueCounts> {
    const rows = await this.#db
      .selectFrom('jobs')
      .select(['state', (eb) => eb.fn.countAll<bigint>().as('n')])
      .where('queue', '=', queue)
      .groupBy('state')
      .execute();
    const c = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows) c[r.state] = Number(r.n);
    return c;
  }
}
