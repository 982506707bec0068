import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { lockDataDir } from './data-dir-lock.ts';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import type { Transaction } from 'kysely';
import pg from 'pg';
import { isWatashiError } from '@watashi/pki';
import { storeError } from './errors.ts';
import { pglitePool, type PoolStats } from './pglite-pool.ts';
import type { Schema } from './schema.ts';

/**
 * Where the platform keeps its data (docs/architecture.md §7): an embedded PGlite for `npm start` and tests,
 * PostgreSQL (`DATABASE_URL`) in production. Give `url`, or `dataDir` / `loadDataDir`, not both.
 */
export interface DatabaseConfig {
  /** `postgres://…` or `postgresql://…`: PostgreSQL through a `pg.Pool`. */
  url?: string;
  /** PGlite data directory; `'memory://'` (the default with `loadDataDir`) keeps it in memory. */
  dataDir?: string;
  /** A PGlite data-directory tarball (`dumpDataDir()`) to start from, e.g. a migrated snapshot. */
  loadDataDir?: Blob | File;
  /** PostgreSQL pool settings; ignored for PGlite. */
  pool?: {
    /** Connections per process (default 10). Stateless platform instances multiply this. */
    max?: number;
    /** `statement_timeout` per session (default 30 s): no query may hold locks forever. */
    statementTimeoutMs?: number;
    /** `idle_in_transaction_session_timeout` (default 60 s): a stuck caller frees its locks. */
    idleInTransactionTimeoutMs?: number;
    /** How long to wait for a connection (default 10 s). */
    connectionTimeoutMs?: number;
    /**
     * `application_name` of every connection (default `watashi`): what `pg_stat_activity` shows,
     * so that an operator can tell (and terminate) the platform's sessions.
     */
    applicationName?: string;
    /**
     * Called with the error of a connection the server dropped (restart, failover,
     * `pg_terminate_backend`), idle or lent out. The process stays up either way; the request
     * using that connection fails with `store_unavailable`. Default: a process warning.
     */
    onConnectionError?: (error: unknown) => void;
    /**
     * Run statements marked {@link PREPARED} as named prepared statements (default true). false:
     * every statement is sent with the unnamed statement of the extended protocol, which a
     * transaction-mode pooler (PgBouncer before 1.21, e.g. Debian's 1.18) requires: the next
     * transaction of a client may run on another server connection, where a named statement does
     * not exist (docs/scaling.md).
     */
    preparedStatements?: boolean;
    /**
     * Send `statement_timeout` and `idle_in_transaction_session_timeout` as startup parameters
     * (default true). false: they are not sent — PgBouncer refuses a connection whose startup packet
     * carries a parameter it does not know — and the operator sets them on the role instead
     * (`ALTER ROLE … SET statement_timeout = '30s'`, docs/scaling.md).
     */
    startupParameters?: boolean;
  };
  /** PGlite only: how long a caller may wait for the single session (default 30 s). */
  acquireTimeoutMs?: number;
}

/** Fields common to both engines. */
interface DatabaseBase {
  /** The typed query builder. */
  readonly db: Kysely<Schema>;
  /** Run `fn` in a transaction with retries; see {@link withTransaction}. */
  transaction<T>(fn: TransactionBody<T>, options?: TransactionOptions): Promise<T>;
  /** Close the pool (PostgreSQL) or the instance (PGlite) after in-flight work finishes. */
  close(): Promise<void>;
  /** The pool's connections by state, now (metrics: pool saturation). */
  poolStats(): PoolStats;
}

/** An embedded PGlite database. */
export interface PgliteDatabase extends DatabaseBase {
  readonly engine: 'pglite';
  /** Tarball of the data directory, for `loadDataDir` (snapshots in tests, backups in dev). */
  dumpDataDir(): Promise<Blob>;
}

/** A PostgreSQL database. */
export interface PostgresDatabase extends DatabaseBase {
  readonly engine: 'postgres';
  /**
   * The URL it was opened with, for components that open their own connections to the same
   * database (the pg-boss job queue, jobs/pgboss-job-queue.ts). May hold a password: never
   * log it.
   */
  readonly url: string;
}

/** An open store: the Kysely handle, which engine is behind it, transactions, close. */
export type Database = PgliteDatabase | PostgresDatabase;

/** Transaction isolation levels (PostgreSQL names). */
export type Isolation = 'read committed' | 'repeatable read' | 'serializable';

/** The body of a transaction: gets the transaction handle and the attempt number (1-based). */
export type TransactionBody<T> = (trx: Transaction<Schema>, attempt: number) => Promise<T>;

/** Options of {@link withTransaction}. */
export interface TransactionOptions {
  /** Isolation level (default: the server's, `read committed`). */
  isolation?: Isolation;
  /** `read only` transaction. */
  readOnly?: boolean;
  /** How many times to retry after a serialization failure, deadlock or lost connection (default 5). */
  retries?: number;
  /** Delay before retry `attempt` (1-based), in ms; default 5·2^(attempt−1) ms plus jitter, ≤ 250 ms. */
  backoffMs?: (attempt: number) => number;
  /** Called before each retry (e.g. to log or count conflicts). */
  onRetry?: (error: unknown, attempt: number) => void;
}

const PG_INT8 = 20;
const PG_BYTEA = 17;

/**
 * Open the store. Does not migrate; call `migrateToLatest(database.db)` (store/migrate.ts).
 *
 * Both engines return the same JavaScript types, so code and tests do not branch on the engine:
 * `bigint`/`bigserial` → `bigint` (pg's default is a string, PGlite's a lossy number), `bytea` →
 * a plain `Uint8Array` (pg's default is a Buffer), `numeric` → string, `timestamptz` → Date,
 * `jsonb` → parsed JSON (write it with `jsonb()` from store/json.ts).
 */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  const embedded = config.dataDir !== undefined || config.loadDataDir !== undefined;
  if (config.url !== undefined && embedded) {
    throw new TypeError(
      'openDatabase: give either url (PostgreSQL) or dataDir/loadDataDir (PGlite), not both',
    );
  }
  if (config.url !== undefined) return openPostgres(config.url, config.pool ?? {});
  if (!embedded) throw new TypeError('openDatabase: url or dataDir/loadDataDir is required');
  return openPglite(config);
}

async function openPglite(config: DatabaseConfig): Promise<PgliteDatabase> {
  // PGlite creates only the last directory of its path; a fresh data directory needs its parents.
  // One process at a time: PGlite is a single-user PostgreSQL and two instances writing the same
  // files corrupt them, so a second opener (`watashi rp add` while `npm start` runs) is refused.
  let unlock = (): void => undefined;
  if (config.dataDir !== undefined && !/^[a-z]+:\/\//.test(config.dataDir)) {
    mkdirSync(config.dataDir, { recursive: true });
    unlock = lockDataDir(config.dataDir);
  }
  let session: PGlite;
  try {
    session = await PGlite.create({
      dataDir: config.dataDir ?? 'memory://',
      ...(config.loadDataDir === undefined ? {} : { loadDataDir: config.loadDataDir }),
      parsers: { [PG_INT8]: (v: string) => BigInt(v) },
    });
  } catch (error) {
    unlock();
    throw error;
  }
  const pool = pglitePool(session, { acquireTimeoutMs: config.acquireTimeoutMs ?? 30_000 });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    engine: 'pglite',
    db,
    transaction: (fn, options) => withTransaction(db, fn, options),
    poolStats: () => pool.stats(),
    // Kysely ends the pool only if it ever ran a query; an unclosed PGlite keeps Node from
    // exiting, so end it ourselves as well (`end()` is idempotent).
    close: async () => {
      try {
        await db.destroy();
        await pool.end();
      } finally {
        unlock();
      }
    },
    // Take the session through Kysely so no transaction is in flight while the files are read.
    dumpDataDir: () => db.connection().execute(() => session.dumpDataDir('none')),
  };
}

/**
 * Marks a statement to be prepared: on PostgreSQL, a statement whose text starts with this
 * comment is parsed once per connection (a named prepared statement, named after its text) and
 * from then on only bound and executed — no parse, and no planning once PostgreSQL settles on a
 * generic plan (after five executions, `plan_cache_mode = auto`). For the hot statements of the
 * token endpoint, whose text is the same whatever their arguments (arrays, not lists of
 * placeholders). PGlite runs them as any other statement: the marker is a comment.
 */
export const PREPARED = '/* prepared */ ';

const preparedNames = new Map<string, string>();

/** The prepared-statement name of `text`: a hash, the same on every connection and process. */
function preparedName(text: string): string {
  let name = preparedNames.get(text);
  if (name === undefined) {
    name = `w_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    if (preparedNames.size < 1000) preparedNames.set(text, name);
  }
  return name;
}

/**
 * Makes `client` run {@link PREPARED} statements as named prepared statements, and turn a lost
 * connection into `store_unavailable` (promise-style calls, which is how Kysely queries).
 */
function prepareMarked(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const mapped = (r: unknown): unknown =>
    r instanceof Promise
      ? r.catch((e: unknown) => {
          throw connectionError(e);
        })
      : r;
  client.query = ((...args: unknown[]) => {
    const [text, values] = args;
    if (args.length === 2 && typeof text === 'string' && text.startsWith(PREPARED))
      return mapped(query({ name: preparedName(text), text, values }));
    return mapped(query(...args));
  }) as typeof client.query;
}

/**
 * SQLSTATEs of a session the server ended or would not start: class 08 (connection exception) and
 * 57P01–57P03 (admin_shutdown: `pg_terminate_backend` or a fast shutdown; crash_shutdown;
 * cannot_connect_now: the server is starting or stopping). PostgreSQL Appendix A.
 */
const CONNECTION_LOST_STATES = /^(08...|57P0[123])$/;
/** Node socket errors of a server gone away or not (yet) listening. */
const CONNECTION_LOST_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/** node-postgres's own messages for a dead or unobtainable connection (they carry no code). */
const CONNECTION_LOST_MESSAGES =
  /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect)/;

/**
 * True when `error` says the connection to PostgreSQL was lost or could not be made, as opposed to
 * an error of the statement itself: the work may be retried on a new connection (if it is safe to
 * repeat) and the client sees 503 `store_unavailable`.
 */
export function isConnectionLost(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; message?: unknown };
  if (isWatashiError(error)) return error.code === 'store_unavailable';
  if (
    typeof e.code === 'string' &&
    (CONNECTION_LOST_STATES.test(e.code) || CONNECTION_LOST_ERRNOS.has(e.code))
  )
    return true;
  return typeof e.message === 'string' && CONNECTION_LOST_MESSAGES.test(e.message);
}

/** `error` as `store_unavailable` when the connection was lost, else unchanged. */
function connectionError(error: unknown): unknown {
  if (!isConnectionLost(error) || isWatashiError(error)) return error;
  return storeError('store_unavailable', 'the database connection was lost; try again', { cause: error });
}

function openPostgres(url: string, options: NonNullable<DatabaseConfig['pool']>): PostgresDatabase {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new TypeError('openDatabase: url must start with postgres://');
  const max = options.max ?? 10;
  const onConnectionError =
    options.onConnectionError ??
    ((e: unknown) =>
      process.emitWarning(`database connection lost: ${e instanceof Error ? e.message : String(e)}`, {
        code: 'WATASHI_STORE',
      }));
  const pool = new pg.Pool({
    connectionString: url,
    max,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 60_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    // Behind PgBouncer the two timeouts are the role's (docs/scaling.md): not sent at all.
    ...((options.startupParameters ?? true)
      ? {}
      : { statement_timeout: undefined, idle_in_transaction_session_timeout: undefined }),
    application_name: options.applicationName ?? 'watashi',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === PG_INT8) return (v: string) => BigInt(v);
        if (oid === PG_BYTEA) {
          const parse = pg.types.getTypeParser(PG_BYTEA, 'text') as (v: string) => Buffer;
          return (v: string) => {
            const b = parse(v);
            return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
          };
        }
        return pg.types.getTypeParser(oid, format ?? 'text') as (v: string) => unknown;
      }) as typeof pg.types.getTypeParser,
    },
  });
  // A client that loses its server (restart, failover, pg_terminate_backend) emits 'error'; an
  // EventEmitter without a listener throws it, which kills the process. The pool listens to its
  // idle clients only (and re-emits on itself), so every client gets its own listener from birth,
  // for the time it is lent out. The pool then discards the dead client (it is no longer
  // `_queryable`) when it is released, and connects anew for the next caller.
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => {
    client.on('error', onConnectionError);
    // Behind a transaction-mode pooler a named statement prepared in one transaction may be
    // missing (or another client's) in the next: the marker then stays a comment.
    if (options.preparedStatements !== false) prepareMarked(client);
  });
  // Kysely sees the pool through this: a connection that cannot be had becomes store_unavailable.
  const kyselyPool = {
    connect: () =>
      pool.connect().catch((e: unknown) => {
        throw connectionError(e);
      }),
    end: () => pool.end(),
    // Kysely 0.29 cancels a running query on a control connection made with these.
    options: pool.options,
    Client: pg.Client,
  };
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: kyselyPool }) });
  return {
    engine: 'postgres',
    url,
    db,
    transaction: (fn, options) => withTransaction(db, fn, options),
    poolStats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max,
    }),
    // As for PGlite: Kysely skips `pool.end()` when it never ran a query.
    close: async () => {
      await db.destroy();
      if (!pool.ended) await pool.end();
    },
  };
}

/** SQLSTATEs after which re-running the whole transaction is the documented remedy. */
const RETRYABLE = new Set([
  '40001', // serialization_failure (PostgreSQL §13.2.3, §13.4: "retry the whole transaction")
  '40P01', // deadlock_detected (one victim is aborted; its transaction can be retried)
]);

/** True when `error` is a serialization failure (40001) or deadlock (40P01) from the server. */
export function isRetryableTransactionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

/**
 * Run `fn` in a transaction and commit, retrying the whole transaction after a serialization
 * failure or a deadlock (both roll it back entirely, so a retry starts clean), and after losing the
 * connection before COMMIT (the server rolls back a session's open transaction when it ends); a
 * connection lost during COMMIT, or on the last attempt, fails with `store_unavailable`. Any other error
 * rolls back and propagates unchanged. After `retries` retries the last conflict is wrapped in
 * `store_transaction_conflict`.
 *
 * `fn` may run more than once: keep side effects outside the database (HTTP calls, e-mails) out of
 * it, or make them idempotent. Inside `fn` use `trx`, never the outer `db`: on PGlite the outer
 * handle waits for the session this transaction holds (and fails with `store_busy`).
 */
export async function withTransaction<T>(
  db: Kysely<Schema>,
  fn: TransactionBody<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const retries = options.retries ?? 5;
  if (!Number.isInteger(retries) || retries < 0) throw new RangeError('withTransaction: retries must be ≥ 0');
  if (db.isTransaction)
    throw new TypeError('withTransaction: already inside a transaction; pass trx along instead');
  const backoff = options.backoffMs ?? defaultBackoff;
  for (let attempt = 1; ; attempt++) {
    let builder = db.transaction();
    if (options.isolation !== undefined) builder = builder.setIsolationLevel(options.isolation);
    if (options.readOnly === true) builder = builder.setAccessMode('read only');
    // Whether the body ran to its end, i.e. whether COMMIT may have been sent.
    let bodyDone = false;
    try {
      return await builder.execute(async (trx) => {
        const result = await fn(trx, attempt);
        bodyDone = true;
        return result;
      });
    } catch (error) {
      if (isConnectionLost(error)) {
        // Lost before COMMIT was sent: the server rolled the transaction back when the session
        // ended, so running it again on a new connection is as safe as a serialization retry. Lost
        // during COMMIT, its outcome is unknown: repeating it could apply it twice, so the caller
        // gets store_unavailable (503) and decides (an idempotent request is simply resent).
        if (bodyDone || attempt > retries) throw connectionError(error);
        options.onRetry?.(error, attempt);
        // Longer than a conflict's backoff: a restarting server takes a second or two to accept
        // connections again (0.1 + 0.2 + 0.4 + 0.8 + 1.6 s over the default five retries).
        const delay = options.backoffMs?.(attempt) ?? Math.min(2000, 100 * 2 ** (attempt - 1));
        await new Promise((r) => setTimeout(r, delay));
        continue;
      }
      if (!isRetryableTransactionError(error)) throw error;
      if (attempt > retries) {
        throw storeError(
          'store_transaction_conflict',
          `transaction still conflicting after ${retries} retries`,
          {
            cause: error,
            detail: { attempts: attempt },
          },
        );
      }
      options.onRetry?.(error, attempt);
      await new Promise((r) => setTimeout(r, backoff(attempt)));
    }
  }
}

function defaultBackoff(attempt: number): number {
  // Jitter spreads the retries of transactions that collided at the same moment.
  return Math.min(250, 5 * 2 ** (attempt - 1) + Math.random() * 5 * attempt);
}
