import type { PGlite, Results } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { storeError } from './errors.ts';

/** The part of a PGlite instance the pool uses (a fake in unit tests, PGlite in production). */
export type PgliteSession = Pick<PGlite, 'query' | 'close' | 'isInTransaction'>;

/** Options of {@link pglitePool}. */
export interface PglitePoolOptions {
  /**
   * How long a caller may wait for the session before `store_busy` is thrown. The usual cause of
   * a long wait is a query issued on `db` instead of `trx` inside a transaction: on PostgreSQL it
   * takes a second connection, on PGlite it waits for the session its own transaction holds.
   * Failing after a bound turns that hang into an error that names the mistake.
   */
  acquireTimeoutMs: number;
}

/**
 * A `pg.Pool` look-alike over one PGlite session, for Kysely's own `PostgresDialect`.
 *
 * PGlite is a single PostgreSQL backend: there is one session, so one transaction at a time.
 * Handing two callers "connections" to it at once interleaves their statements inside one
 * transaction — the lost-update bug of kysely-pglite (docs/dependencies.md §5.4: 20 concurrent
 * read-modify-write transactions left 1). Here each `connect()` takes an exclusive lease, granted
 * in FIFO order; Kysely holds a lease for a whole transaction, or for one query outside one.
 *
 * Guarantees: a failed query never keeps the lease (Kysely releases in `finally`; the error only
 * propagates); a lease released while the session is still inside a transaction block (a raw
 * `BEGIN` without `COMMIT`) is rolled back before the next holder gets the session, so one
 * caller's half-done work never leaks into another's; `command` and `rowCount` follow `pg`, so
 * Kysely's `numAffectedRows` is right; `end()` waits for the current holders, then closes.
 */
/** What {@link pglitePool} returns: a pool, and how busy its one session is. */
export interface PglitePool extends PostgresPool {
  /** The session as a pool of one: total 1, idle 0 or 1, waiting = callers queued for it. */
  stats(): PoolStats;
}

/** Connections of a pool by state (metrics: pool saturation). */
export interface PoolStats {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
  readonly max: number;
}

export function pglitePool(session: PgliteSession, options: PglitePoolOptions): PglitePool {
  interface Waiter {
    grant(lease: PostgresPoolClient): void;
    fail(error: Error): void;
    timer: ReturnType<typeof setTimeout> | undefined;
  }
  const queue: Waiter[] = [];
  let held = false;
  let ending: Promise<void> | undefined;

  const handOff = (): void => {
    const next = queue.shift();
    if (next === undefined) {
      held = false;
      return;
    }
    if (next.timer !== undefined) clearTimeout(next.timer);
    next.grant(lease());
  };

  const lease = (): PostgresPoolClient => {
    let released = false;
    const client = {
      async query<R>(text: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>> {
        if (released) throw new TypeError('pglitePool: query on a released connection');
        const r: Results<R> = await session.query<R>(text, parameters as unknown[]);
        return { command: commandOf(r, text), rowCount: rowCountOf(r), rows: r.rows };
      },
      release(): void {
        if (released) throw new TypeError('pglitePool: connection released twice');
        released = true;
        if (!session.isInTransaction()) {
          handOff();
          return;
        }
        // Safety net for a raw BEGIN left open: never hand an open transaction to the next caller.
        session.query('ROLLBACK').then(handOff, (error: unknown) => {
          // The session is unusable if even ROLLBACK fails; fail everyone waiting rather than hang.
          for (const w of queue.splice(0)) {
            if (w.timer !== undefined) clearTimeout(w.timer);
            w.fail(new Error('pglitePool: could not roll back an abandoned transaction', { cause: error }));
          }
          held = false;
        });
      },
    };
    return client as PostgresPoolClient;
  };

  return {
    // Kysely reads `options` (and `Client`) only to cancel a running query on a new connection,
    // which a single in-process session cannot do: no Client, no options.
    options: {},
    connect(): Promise<PostgresPoolClient> {
      if (ending !== undefined) return Promise.reject(new TypeError('pglitePool: the database is closed'));
      if (!held) {
        held = true;
        return Promise.resolve(lease());
      }
      return new Promise<PostgresPoolClient>((resolve, reject) => {
        const waiter: Waiter = { grant: resolve, fail: reject, timer: undefined };
        waiter.timer = setTimeout(() => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          reject(
            storeError(
              'store_busy',
              `waited ${options.acquireTimeoutMs} ms for the PGlite session; is a query using db instead of trx inside a transaction?`,
            ),
          );
        }, options.acquireTimeoutMs);
        queue.push(waiter);
      });
    },
    end(): Promise<void> {
      ending ??= (async () => {
        // Take the session like any caller, so in-flight work finishes before close.
        if (held) {
          await new Promise<void>((resolve, reject) => {
            queue.push({ grant: () => resolve(), fail: reject, timer: undefined });
          });
        }
        held = true;
        await session.close();
      })();
      return ending;
    },
    stats: () => ({ total: 1, idle: held ? 0 : 1, waiting: queue.length, max: 1 }),
  };
}

function commandOf(r: Results<unknown>, text: string): PostgresQueryResult<unknown>['command'] {
  // PGlite ≥0.5 reports the command tag; derive it from the statement otherwise (older builds).
  const command = r.command ?? /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? '';
  return command as PostgresQueryResult<unknown>['command'];
}

function rowCountOf(r: Results<unknown>): number {
  // `rowCount` is per statement (the command tag's count); `affectedRows` is cumulative.
  return r.rowCount ?? r.affectedRows ?? r.rows.length;
}
