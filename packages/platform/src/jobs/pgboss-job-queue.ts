/**
 * The JobQueue on pg-boss 12, the platform's queue on PostgreSQL: every
 * platform instance on one database shares its jobs (docs/architecture.md §7). pg-boss keeps them in its own
 * schema (`pgboss` by default; created by `start()` on first use, which needs the CREATE privilege
 * on the database) and claims them with `FOR UPDATE SKIP LOCKED`, so N workers claim N different
 * jobs. The embedded PGlite default keeps the in-process `MemoryJobQueue` (docs/dependencies.md §5.5 allows it).
 *
 * How the port maps onto pg-boss:
 * - **enqueue, idempotent by (queue, key).** The job's id is derived from (queue, key) — a UUIDv8
 *   over SHA-256 (RFC 9562 §5.8, Appendix B.2) — so a second `send` of the key conflicts on
 *   pg-boss's primary key (name, id) and inserts nothing (`created: false`, the same id), whatever
 *   state the first job is in. pg-boss's `singletonKey` is no help here: its unique indexes only
 *   cover queued or active jobs of `short`/`singleton`/`stately` queues. Finished jobs stay in
 *   pg-boss's `job` table for `keyRetentionSeconds` (default 7 days; pg-boss 12 has no archive), so
 *   a key is remembered that long after its job finished. The platform's keys never come back after
 *   that long: shard jobs are keyed by their run, schedule jobs by a past slot. The key itself is the job's
 *   `singleton_key` (inert on a `standard` queue), read back with the job.
 * - **runAt → startAfter** (only when it is in the future: pg-boss deletes a job still queued past its
 *   retention, 14 days, so an old `runAt` would make it vanish). **maxAttempts → retryLimit**
 *   (attempts = retryLimit + 1), `retryDelay: 1, retryBackoff: true`: retry n waits 2^(n−1) to
 *   2^n s (1–2 s, 2–4 s, 4–8 s …, jittered, uncapped), close to `retryDelayMs`'s 1 s, 2 s, 4 s ….
 *   `Job.attempt` is pg-boss's `retryCount + 1`.
 * - **drain**: `concurrency` lanes, each fetching one due job (`fetch(queue, { batchSize: 1 })`)
 *   only when it can run it at once — a job fetched in a batch would wait with its expiry
 *   running — and completing or failing it; a lane stops when nothing is due or `signal` aborts
 *   (which also aborts the running handlers' signals). `workerId` is not recorded: pg-boss's
 *   job rows have no worker column (the claim is fenced by `retry_count`, below).
 * - **A crashed worker's job.** pg-boss fails an `active` job whose `started_on + expire_in` has
 *   passed (its supervisor, every `maintenanceIntervalSeconds` on whichever started instance gets
 *   there first; that counts an attempt) and it is then retried by any worker. So a crashed
 *   worker's job runs again after `expireInSeconds` + up to `maintenanceIntervalSeconds` + the
 *   retry delay: about 1½ minutes with the defaults (60 s, 30 s).
 * - **Long jobs.** A job running past its expiry is failed and
 *   retried under a worker that is still running it (pg-boss's own `work()` merely stops waiting
 *   for the handler). A sweep shard or a scheduled sweep can run for hours, and expiry is capped
 *   at 24 h, so a long fixed expiry would be both too short and far too slow to notice a crash.
 *   pg-boss 12's own heartbeat (`heartbeatSeconds`, `touch()`) cannot be shorter than 10 s, which
 *   would make a crashed claim wait at least that long; this queue therefore renews its claims
 *   itself, as the `jobs` table's leases did: every `expireInSeconds / 3` it sets the running job's
 *   `expire_seconds` to (time run so far + `expireInSeconds`). That is one UPDATE on pg-boss's
 *   `job` table, a column of the pinned 12.38 schema (re-check it when upgrading pg-boss). When a renewal finds the claim gone
 *   (expired by maintenance after renewals failed, and maybe taken by another worker), the
 *   handler's signal aborts.
 * - **Fencing.** A claim is (id, `retry_count`): every new claim of a job increments it. Complete
 *   and fail are given the attempt (`{ id, retryCount }`), which pg-boss 12 fences itself: a late
 *   worker never finishes another worker's attempt (`affected` is then 0).
 * - **counts** by SQL over `job`: created/retry → queued, active → running, completed → done,
 *   failed/cancelled → failed.
 * - **Upgrading from pg-boss 10.** pg-boss 12 migrates only schemas of version 25 (pg-boss 11) or
 *   later; a database left by Watashi ≤ 0.1 holds pg-boss 10's (version 24). On first start the
 *   queue moves it aside and carries its jobs over (`#carryOverV10`): queued and retrying jobs keep
 *   their id, key, payload, attempts and due time; a job that was active (its worker is gone:
 *   the upgrade stops every instance) becomes due again; finished jobs are copied so that their
 *   keys still count. Then the old schema is dropped. One instance does it, under an advisory lock.
 * - pg-boss runs on its own small `pg.Pool` (`poolMax`, default 2) opened from the platform's
 *   database URL; `close()` stops pg-boss and ends that pool, and the platform calls it before
 *   closing its database. pg-boss's supervisor timer keeps Node alive until then.
 *
 * pg-boss compares times with the database's clock (`now()`), not the platform's injected clock:
 * tests of this queue use short real times.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import type { Db } from 'pg-boss';
import type { JsonObject } from '../store/json.ts';
import {
  errorText,
  type DrainOptions,
  type DrainResult,
  type EnqueueOptions,
  type JobHandler,
  type JobQueue,
  type QueueCounts,
} from './job-queue.ts';

/** Options of {@link PgBossJobQueue}. */
export interface PgBossJobQueueOptions {
  /** `postgres://…` URL of the platform database (`PostgresDatabase.url`). */
  readonly url: string;
  /** pg-boss's schema (default `pgboss`). */
  readonly schema?: string;
  /** Connections of pg-boss's pool (default 2). */
  readonly poolMax?: number;
  /**
   * Seconds a claim lasts without renewal (default 60, at least 1); renewed every third of it
   * while the handler runs. A crashed worker's job is due again this long after its last renewal
   * (plus maintenance and retry delay).
   */
  readonly expireInSeconds?: number;
  /** Seconds between pg-boss supervisor runs: expiry of lapsed claims, deletion (default 30). */
  readonly maintenanceIntervalSeconds?: number;
  /** Seconds a finished job (and so its key) is kept (default 7 days). */
  readonly keyRetentionSeconds?: number;
  /** Errors of pg-boss's background work (maintenance) and of its pool's idle connections. */
  readonly onError?: (e: unknown) => void;
  /** The clock deciding whether `runAt` is in the future (default the system clock). */
  readonly now?: () => Date;
  /**
   * Send `idle_in_transaction_session_timeout` when connecting (default true); false behind
   * PgBouncer, which refuses startup parameters it does not know (`database.startupParameters`).
   */
  readonly startupParameters?: boolean;
}

/** A fetched job with the metadata the queue needs. */
interface Claim {
  readonly id: string;
  readonly data: JsonObject | null;
  readonly singletonKey: string | null;
  readonly retryCount: number;
}

/**
 * The id of (queue, key): a UUIDv8 whose 122 free bits are the first bits of
 * SHA-256("watashi-job" ‖ 0 ‖ queue ‖ 0 ‖ key) (RFC 9562 §5.8; name-based like §5.5, without SHA-1).
 */
export function jobIdOf(queue: string, key: string): string {
  const b = createHash('sha256').update(`watashi-job\u0000${queue}\u0000${key}`).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80; // version 8
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The JobQueue on pg-boss (see the module comment). */
export class PgBossJobQueue implements JobQueue {
  readonly kind = 'pg-boss';
  readonly #pool: pg.Pool;
  readonly #boss: PgBoss;
  readonly #schema: string;
  readonly #expireInSeconds: number;
  readonly #keyRetentionSeconds: number;
  readonly #now: () => Date;
  readonly #queues = new Map<string, Promise<void>>();
  /** Aborted by `close()`: every drain stops claiming and aborts its handlers. */
  readonly #closing = new AbortController();
  readonly #drains = new Set<Promise<unknown>>();
  #started: Promise<unknown> | undefined;
  #closed: Promise<void> | undefined;
  /** Set when `close()` stopped waiting for handlers: their claims are no longer renewed. */
  #abandoned = false;

  constructor(options: PgBossJobQueueOptions) {
    if (!/^postgres(ql)?:\/\//.test(options.url))
      throw new TypeError('PgBossJobQueue: url must start with postgres://');
    this.#schema = options.schema ?? 'pgboss';
    if (!/^[a-z_][a-z0-9_]{0,49}$/.test(this.#schema))
      throw new TypeError('PgBossJobQueue: schema must be a lower-case SQL identifier');
    this.#expireInSeconds = options.expireInSeconds ?? 60;
    if (
      !Number.isInteger(this.#expireInSeconds) ||
      this.#expireInSeconds < 1 ||
      this.#expireInSeconds >= 86_400
    )
      throw new RangeError('PgBossJobQueue: expireInSeconds must be an integer from 1 to 86399');
    this.#keyRetentionSeconds = options.keyRetentionSeconds ?? 7 * 86_400;
    if (!Number.isInteger(this.#keyRetentionSeconds) || this.#keyRetentionSeconds < 60)
      throw new RangeError('PgBossJobQueue: keyRetentionSeconds must be an integer of at least 60');
    this.#now = options.now ?? (() => new Date());
    const onError =
      options.onError ??
      ((e: unknown) => process.emitWarning(`pg-boss: ${errorText(e)}`, { code: 'WATASHI_JOBS' }));
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolMax ?? 2,
      application_name: 'watashi-jobs',
      // As for the platform's pool: a stuck transaction frees its row locks (behind PgBouncer the
      // role's setting does, docs/scaling.md).
      ...((options.startupParameters ?? true) ? { idle_in_transaction_session_timeout: 60_000 } : {}),
      connectionTimeoutMillis: 10_000,
    });
    // An idle client that loses its server emits 'error' on the pool; unhandled it crashes Node.
    this.#pool.on('error', onError);
    // So does a client the pool is ending or has lent out (the pool listens to idle ones only):
    // e.g. the server terminating backends while close() ends the pool.
    this.#pool.on('connect', (client) => client.on('error', onError));
    const interval = options.maintenanceIntervalSeconds ?? 30;
    this.#boss = new PgBoss({
      // Our pool, not pg-boss's own: its errors are handled above, and close() ends it.
      db: this.#db(),
      schema: this.#schema,
      // No cron: the sweep schedule is lifecycle/schedule.ts. The supervisor expires lapsed claims.
      schedule: false,
      supervise: true,
      migrate: true,
      superviseIntervalSeconds: interval,
      monitorIntervalSeconds: interval,
      maintenanceIntervalSeconds: Math.max(interval, 3600),
      // Nothing reads pg-boss's instance registry; it would add a write every 30 s per instance.
      registerInstance: false,
    });
    // pg-boss emits supervisor failures as 'error'; an EventEmitter without a listener would throw.
    this.#boss.on('error', onError);
  }

  /** pg-boss's database port on this queue's pool; query errors are rethrown to the caller. */
  #db(): Db {
    const pool = this.#pool;
    return { executeSql: (text: string, values?: unknown[]) => pool.query(text, values) };
  }

  /**
   * Starts pg-boss once (installs or migrates its schema under its advisory lock). A start that
   * failed — the server not reachable yet, a connection lost mid-upgrade — is not remembered: the
   * next call tries again (every step is idempotent, and pg-boss's own start() may be called again
   * after a failure). Remembered, one lost connection failed every later sweep until a restart.
   */
  #start(): Promise<unknown> {
    if (this.#closed !== undefined) throw new TypeError('PgBossJobQueue: the queue is closed');
    this.#started ??= this.#upgradeAndStart().catch((e: unknown) => {
      this.#started = undefined;
      throw e;
    });
    return this.#started;
  }

  /**
   * Moves a pg-boss 10 schema aside, starts pg-boss 12 (which installs its own), then carries the
   * old jobs over. Each step is one transaction under a transaction-level advisory lock, so that
   * concurrent instances do it once — and so that it works behind a transaction-mode pooler
   * (PgBouncer), where a session-level lock could be taken on one server connection and released
   * on another. See "Upgrading from pg-boss 10" in the module comment.
   */
  async #upgradeAndStart(): Promise<void> {
    const legacy = `${this.#schema}_v10`;
    await this.#locked(async (client) => {
      const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
        `${this.#schema}.version`,
      ]);
      if (exists.rows[0]?.t == null) return;
      const v = Number(
        (await client.query<{ version: number }>(`SELECT version FROM ${this.#schema}.version`)).rows[0]
          ?.version,
      );
      if (v < 25) await client.query(`ALTER SCHEMA ${this.#schema} RENAME TO ${legacy}`);
    });
    await this.#boss.start();
    const left = await this.#pool.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [legacy]);
    if (left.rowCount === 1) await this.#carryOverV10(legacy);
  }

  /** Runs `work` in a transaction holding the upgrade's advisory lock. */
  async #locked(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `watashi-pgboss-upgrade:${this.#schema}`,
      ]);
      await work(client);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch((rollback: unknown) => {
        broken = rollback instanceof Error ? rollback : new Error(String(rollback));
      });
      throw e;
    } finally {
      client.release(broken);
    }
  }

  /** Copies a pg-boss 10 schema's jobs (`job` and `archive`) into pg-boss 12's, then drops it. */
  async #carryOverV10(legacy: string): Promise<void> {
    const names = await this.#pool.query<{ name: string }>(
      `SELECT DISTINCT name FROM ${legacy}.job UNION SELECT DISTINCT name FROM ${legacy}.archive`,
    );
    // Not #queue(): it awaits #start(), which is this very upgrade. Idempotent.
    for (const { name } of names.rows) await this.#boss.createQueue(name, this.#queueOptions());
    await this.#locked(async (client) => {
      // Another instance may have carried it over meanwhile.
      const still = await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [legacy]);
      if (still.rowCount !== 1) return;
      // An active job's worker is gone (every instance stopped for the upgrade): it becomes a
      // `retry`, due now, and its next claim counts a new attempt, as after an expired claim.
      await client.query(
        `INSERT INTO ${this.#schema}.job
           (id, name, priority, data, state, retry_limit, retry_count, retry_delay, retry_backoff,
            expire_seconds, deletion_seconds, singleton_key, start_after, created_on, started_on,
            completed_on, keep_until, output, policy)
         SELECT id, name, priority, data,
                (CASE WHEN state::text = 'active' THEN 'retry' ELSE state::text END)::${this.#schema}.job_state,
                retry_limit, retry_count,
                retry_delay, retry_backoff, $1::int, $2::int, singleton_key,
                CASE WHEN state::text = 'active' THEN now() ELSE start_after END,
                created_on, started_on, completed_on,
                GREATEST(keep_until, now() + $2::int * interval '1 second'), output, 'standard'
         FROM (SELECT id, name, priority, data, state, retry_limit, retry_count, retry_delay,
                      retry_backoff, singleton_key, start_after, created_on, started_on,
                      completed_on, keep_until, output FROM ${legacy}.job
               UNION ALL
               SELECT id, name, priority, data, state, retry_limit, retry_count, retry_delay,
                      retry_backoff, singleton_key, start_after, created_on, started_on,
                      completed_on, keep_until, output FROM ${legacy}.archive) old
         ON CONFLICT DO NOTHING`,
        [this.#expireInSeconds, this.#keyRetentionSeconds],
      );
      await client.query(`DROP SCHEMA ${legacy} CASCADE`);
    });
  }

  /** The options every queue of this JobQueue is created with. */
  #queueOptions(): { policy: 'standard'; expireInSeconds: number; deleteAfterSeconds: number } {
    return {
      policy: 'standard',
      expireInSeconds: this.#expireInSeconds,
      deleteAfterSeconds: this.#keyRetentionSeconds,
    };
  }

  /** `createQueue` before the first send or fetch of a queue; idempotent. */
  async #queue(name: string): Promise<void> {
    await this.#start();
    let created = this.#queues.get(name);
    if (created === undefined) {
      created = this.#boss.createQueue(name, this.#queueOptions());
      this.#queues.set(name, created);
      created.catch(() => this.#queues.delete(name));
    }
    await created;
  }

  async enqueue<P extends JsonObject>(
    queue: string,
    payload: P,
    options: EnqueueOptions,
  ): Promise<{ id: string; created: boolean }> {
    const maxAttempts = options.maxAttempts ?? 5;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
      throw new RangeError('maxAttempts must be a positive integer');
    await this.#queue(queue);
    const id = jobIdOf(queue, options.key);
    const runAt = options.runAt;
    const sent = await this.#boss.send(queue, payload, {
      id,
      singletonKey: options.key,
      retryLimit: maxAttempts - 1,
      retryDelay: 1,
      retryBackoff: true,
      expireInSeconds: this.#expireInSeconds,
      deleteAfterSeconds: this.#keyRetentionSeconds,
      ...(runAt !== undefined && runAt.getTime() > this.#now().getTime() ? { startAfter: runAt } : {}),
    });
    return { id, created: sent !== null };
  }

  /** Claims one due job, or none. */
  async #fetch(queue: string): Promise<Claim | undefined> {
    const jobs = await this.#boss.fetch<JsonObject | null>(queue, {
      batchSize: 1,
      includeMetadata: true,
    });
    const job = jobs[0];
    if (job === undefined) return undefined;
    return { id: job.id, data: job.data, singletonKey: job.singletonKey ?? null, retryCount: job.retryCount };
  }

  /** Renews the claim's expiry (see "Long jobs"); false when the claim is no longer ours. */
  async #renew(queue: string, claim: Claim): Promise<boolean> {
    const r = await this.#pool.query(
      `UPDATE ${this.#schema}.job
       SET expire_seconds = ceil(extract(epoch FROM ${this.#schema}.job_now() - started_on))::int + $4
       WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3`,
      [queue, claim.id, claim.retryCount, this.#expireInSeconds],
    );
    return r.rowCount === 1;
  }

  /** True when pg-boss settled the attempt (it was still this claim). */
  static #affected(r: unknown): boolean {
    return ((r as { affected?: number }).affected ?? 0) > 0;
  }

  async drain<P extends JsonObject>(
    queue: string,
    handler: JobHandler<P>,
    options: DrainOptions = {},
  ): Promise<DrainResult> {
    await this.#queue(queue);
    const signal =
      options.signal === undefined
        ? this.#closing.signal
        : AbortSignal.any([options.signal, this.#closing.signal]);
    let completed = 0;
    let errors = 0;
    const lane = async (): Promise<void> => {
      for (;;) {
        if (signal.aborted) return;
        const claim = await this.#fetch(queue);
        if (claim === undefined) return;
        const controller = new AbortController();
        const onAbort = (): void => controller.abort(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        const renewal = setInterval(
          () => {
            if (this.#abandoned) return clearInterval(renewal);
            this.#renew(queue, claim).then(
              (ours) => {
                if (!ours) controller.abort(new Error('the job claim was lost'));
              },
              // A failed renewal is retried at the next beat; the claim still runs meanwhile.
              () => undefined,
            );
          },
          Math.max(200, Math.floor((this.#expireInSeconds * 1000) / 3)),
        );
        let outcome: { ok: true } | { ok: false; error: string };
        try {
          await handler(
            {
              id: claim.id,
              queue,
              key: claim.singletonKey ?? claim.id,
              payload: (claim.data ?? {}) as P,
              attempt: claim.retryCount + 1,
            },
            { signal: controller.signal },
          );
          outcome = { ok: true };
        } catch (e) {
          outcome = { ok: false, error: errorText(e) };
        } finally {
          clearInterval(renewal);
          signal.removeEventListener('abort', onAbort);
        }
        const attempt = { id: claim.id, retryCount: claim.retryCount };
        const ours = PgBossJobQueue.#affected(
          outcome.ok
            ? await this.#boss.complete(queue, attempt)
            : // pg-boss decides: `retry` after the backoff, or `failed` after the last attempt.
              await this.#boss.fail(queue, attempt, { message: outcome.error }),
        );
        if (outcome.ok && ours) completed++;
        else errors++;
      }
    };
    const run = Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, lane));
    this.#drains.add(run);
    try {
      await run;
    } finally {
      this.#drains.delete(run);
    }
    return { completed, errors };
  }

  async counts(queue: string): Promise<QueueCounts> {
    await this.#start();
    const { rows } = await this.#pool.query<{ state: string; n: string }>(
      `SELECT state, count(*) AS n FROM ${this.#schema}.job WHERE name = $1 GROUP BY state`,
      [queue],
    );
    const c = { queued: 0, running: 0, done: 0, failed: 0 };
    const map: Record<string, keyof QueueCounts> = {
      created: 'queued',
      retry: 'queued',
      active: 'running',
      completed: 'done',
      failed: 'failed',
      cancelled: 'failed',
    };
    for (const r of rows) {
      const k = map[r.state];
      if (k !== undefined) c[k] += Number(r.n);
    }
    return c;
  }

  /** The error the job of (queue, key) last failed with, if any (for operators and tests). */
  async lastError(queue: string, key: string): Promise<string | undefined> {
    await this.#start();
    const { rows } = await this.#pool.query<{ message: string | null }>(
      `SELECT output->>'message' AS message FROM ${this.#schema}.job WHERE name = $1 AND id = $2`,
      [queue, jobIdOf(queue, key)],
    );
    return rows[0]?.message ?? undefined;
  }

  /**
   * Stops claiming (running drains stop and their handlers' signals abort), waits up to
   * `timeoutMs` (default 30 s) for running handlers, then stops pg-boss and ends its pool. A job
   * still running then is given up and expires like a crashed worker's. Idempotent.
   */
  close(timeoutMs = 30_000): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort(new Error('the job queue is closing'));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#drains]),
        new Promise((r) => (timer = setTimeout(r, timeoutMs))),
      ]);
      clearTimeout(timer);
      this.#abandoned = true;
      try {
        if (this.#started !== undefined) {
          await this.#started.catch(() => undefined);
          await this.#boss.stop({ graceful: true, close: false, timeout: 1000 });
        }
      } finally {
        await this.#pool.end();
      }
    })();
    return this.#closed;
  }
}
