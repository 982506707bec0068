/**
 * The JobQueue port (docs/architecture.md §3.4, §7; docs/dependencies.md §5.5): background work that several
 * platform instances share — the revocation sweep's shards first. Implementations:
 *
 * - `PgBossJobQueue` (pgboss-job-queue.ts): pg-boss on PostgreSQL, what the platform uses
 *   there (`PlatformDeps.jobs`); claims renewed while a handler runs, expired after a crash.
 * - {@link MemoryJobQueue}: in-process, for the embedded default (`npm start`, one process). Jobs
 *   live in memory and die with the process; work that must survive a crash keeps its own
 *   checkpoint in the database (the sweep does) and is re-enqueued on restart.
 *
 * Contract, for all:
 * - `enqueue` is idempotent by (queue, key): enqueueing a key again returns the existing job,
 *   whatever its state, and does not run it twice (pg-boss: for as long as it keeps the finished
 *   job, about 7.5 days);
 * - a handler may run more than once for one job (a lease lapsed, a worker crashed after the work
 *   but before recording it): handlers are idempotent;
 * - a handler that throws is retried with exponential backoff until `maxAttempts`, then the job
 *   is `failed` with the error's code or message;
 * - `drain` processes due jobs until none is due and returns.
 */
import type { JsonObject } from '../store/json.ts';

/** A claimed job, as a handler sees it. */
export interface Job<P extends JsonObject = JsonObject> {
  readonly id: string;
  readonly queue: string;
  /** The idempotency key it was enqueued with. */
  readonly key: string;
  readonly payload: P;
  /** 1 for the first run, 2 after one retry or lapsed lease, … */
  readonly attempt: number;
}

/** What a handler gets besides the job. */
export interface JobContext {
  /** Aborted when the worker stops or the job's lease was lost to another worker. */
  readonly signal: AbortSignal;
}

/** Does the work of one job; throws to have it retried. */
export type JobHandler<P extends JsonObject = JsonObject> = (job: Job<P>, ctx: JobContext) => Promise<void>;

/** Options of {@link JobQueue.enqueue}. */
export interface EnqueueOptions {
  /** Idempotency key, unique within the queue. */
  readonly key: string;
  /** Not before (default now). */
  readonly runAt?: Date;
  /** Runs allowed before the job is `failed` (default 5). */
  readonly maxAttempts?: number;
}

/** Options of {@link JobQueue.drain}. */
export interface DrainOptions {
  /** Jobs run at once by this worker (default 1). */
  readonly concurrency?: number;
  /** Stops claiming (and aborts running handlers' signals) when aborted. */
  readonly signal?: AbortSignal;
  /** Worker name recorded with a claim (default a random one per queue object). */
  readonly workerId?: string;
}

/** What one {@link JobQueue.drain} did. */
export interface DrainResult {
  readonly completed: number;
  /** Handler errors (each either retried later or, after the last attempt, failed). */
  readonly errors: number;
}

/** Jobs of a queue by state. */
export interface QueueCounts {
  readonly queued: number;
  readonly running: number;
  readonly done: number;
  readonly failed: number;
}

/** The port. */
export interface JobQueue {
  /** `memory` or `pg-boss`. */
  readonly kind: string;
  /** Adds a job unless (queue, key) exists; `created` says which. */
  enqueue<P extends JsonObject>(
    queue: string,
    payload: P,
    options: EnqueueOptions,
  ): Promise<{ readonly id: string; readonly created: boolean }>;
  /** Runs due jobs of `queue` with `handler` until none is due (or `signal` aborts). */
  drain<P extends JsonObject>(
    queue: string,
    handler: JobHandler<P>,
    options?: DrainOptions,
  ): Promise<DrainResult>;
  /** Counts the jobs of `queue` by state. */
  counts(queue: string): Promise<QueueCounts>;
}

/** Delay before retry `attempt` (1-based): 1 s, 2 s, 4 s … capped at 5 minutes. */
export function retryDelayMs(attempt: number): number {
  return Math.min(300_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

/** A short, non-personal description of an error for the job record. */
export function errorText(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  return (typeof code === 'string' ? `${code}: ${message}` : message).slice(0, 1000);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

interface MemoryJob {
  id: string;
  queue: string;
  key: string;
  payload: JsonObject;
  state: 'queued' | 'running' | 'done' | 'failed';
  attempts: number;
  maxAttempts: number;
  runAt: number;
  lastError?: string;
}

/**
 * In-process JobQueue for the embedded default. Same contract as pg-boss, without leases: a job is `running` exactly while a handler of this process runs it.
 */
export class MemoryJobQueue implements JobQueue {
  readonly kind = 'memory';
  readonly #jobs = new Map<string, MemoryJob>();
  readonly #now: () => Date;
  #seq = 0;

  constructor(options: { readonly now?: () => Date } = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  enqueue<P extends JsonObject>(
    queue: string,
    payload: P,
    options: EnqueueOptions,
  ): Promise<{ id: string; created: boolean }> {
    const k = `${queue}\u0000${options.key}`;
    const existing = this.#jobs.get(k);
    if (existing !== undefined) return Promise.resolve({ id: existing.id, created: false });
    const id = `mem-${++this.#seq}`;
    this.#jobs.set(k, {
      id,
      queue,
      key: options.key,
      // A copy, as a database would keep: later changes by the caller do not reach the job.
      payload: structuredClone(payload),
      state: 'queued',
      attempts: 0,
      maxAttempts: options.maxAttempts ?? 5,
      runAt: (options.runAt ?? this.#now()).getTime(),
    });
    return Promise.resolve({ id, created: true });
  }

  #claim(queue: string): MemoryJob | undefined {
    const now = this.#now().getTime();
    let best: MemoryJob | undefined;
    for (const j of this.#jobs.values())
      if (j.queue === queue && j.state === 'queued' && j.runAt <= now && (!best || j.runAt < best.runAt))
        best = j;
    if (best) {
      best.state = 'running';
      best.attempts++;
    }
    return best;
  }

  async drain<P extends JsonObject>(
    queue: string,
    handler: JobHandler<P>,
    options: DrainOptions = {},
  ): Promise<DrainResult> {
    let completed = 0;
    let errors = 0;
    const lane = async (): Promise<void> => {
      for (;;) {
        if (options.signal?.aborted) return;
        const job = this.#claim(queue);
        if (job === undefined) return;
        const controller = new AbortController();
        const onAbort = (): void => controller.abort(options.signal?.reason);
        options.signal?.addEventListener('abort', onAbort, { once: true });
        try {
          await handler(
            { id: job.id, queue, key: job.key, payload: job.payload as P, attempt: job.attempts },
            { signal: controller.signal },
          );
          job.state = 'done';
          completed++;
        } catch (e) {
          errors++;
          job.lastError = errorText(e);
          if (job.attempts >= job.maxAttempts) job.state = 'failed';
          else {
            job.state = 'queued';
            job.runAt = this.#now().getTime() + retryDelayMs(job.attempts);
          }
        } finally {
          options.signal?.removeEventListener('abort', onAbort);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, lane));
    return { completed, errors };
  }

  counts(queue: string): Promise<QueueCounts> {
    const c = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const j of this.#jobs.values()) if (j.queue === queue) c[j.state]++;
    return Promise.resolve(c);
  }

  /** The last error recorded for (queue, key), if any (for operators and tests). */
  lastError(queue: string, key: string): string | undefined {
    return this.#jobs.get(`${queue}\u0000${key}`)?.lastError;
  }
}
