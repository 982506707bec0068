import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { isWatashiError } from '@watashi/pki';
import { storeError } from './errors.ts';
import { migrations as allMigrations } from './migrations/index.ts';

/** What `migrateToLatest` did. */
export interface MigrationReport {
  /** Names applied by this call, in order (empty when the database was already current). */
  applied: string[];
  /** Every migration name the database now records, in order. */
  current: string[];
}

/**
 * Advisory-lock key of the migration run (any constant; `hashtext('watashi:migrations')` would do,
 * but a literal needs no function and reads the same on every server version).
 */
const MIGRATION_LOCK = 7_204_117_321_905n;

/** Thrown inside the migration transaction to roll it back; carries the failing migration. */
class MigrationStepFailed extends Error {
  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(`migration ${migration} failed`, { cause });
  }
}

/**
 * Bring the database to the newest schema this code knows. The migrations are in code (no file
 * loading, so it behaves the same under tsx, Vitest and a bundle: docs/dependencies.md §5.4) and
 * are recorded in Kysely's bookkeeping table `kysely_migration` (name, timestamp), as earlier
 * builds recorded them with Kysely's `Migrator`.
 *
 * Why not Kysely's `Migrator` itself: since Kysely 0.29 it serialises runs with a
 * **session-level** advisory lock taken outside its transaction. Behind PgBouncer in transaction
 * mode (docs/scaling.md) the lock, the transaction and the unlock may each run on a different
 * server connection: two instances starting together then migrated at once (PostgreSQL answered
 * `duplicate key value violates unique constraint "pg_type_typname_nsp_index"`), or the unlock
 * missed its connection and the next instance waited for the lock for an hour. Here everything —
 * the lock, the bookkeeping table, every pending migration — runs in ONE transaction under a
 * **transaction-level** advisory lock, which lives and dies with that transaction on whatever
 * server connection carries it.
 *
 * Refuses (`store_migrations_unknown`) when the database records a migration this code lacks:
 * it was migrated by a newer build, and running older code against it is not safe. On failure
 * nothing is applied (`store_migration_failed`, with the failing name in `detail`). Pending
 * migrations run in the order of the list (store/migrations/index.ts).
 *
 * `migrations` is for tests of the migrator itself; production uses the built-in list.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  migrations: Readonly<Record<string, Migration>> = allMigrations,
): Promise<MigrationReport> {
  const known = Object.keys(migrations);
  let applied: string[];
  try {
    applied = await db.transaction().execute(async (trx) => {
      // First statement of the transaction: every other instance waits here, before reading
      // the bookkeeping table, so none sees a half-migrated schema or migrates at the same time.
      await sql`SELECT pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK)})`.execute(trx);
      await sql`CREATE TABLE IF NOT EXISTS kysely_migration (
        name varchar(255) NOT NULL PRIMARY KEY,
        timestamp varchar(255) NOT NULL
      )`.execute(trx);
      const before = await executedMigrations(trx);
      const unknown = before.filter((name) => !known.includes(name));
      if (unknown.length > 0) {
        throw storeError('store_migrations_unknown', 'the database has migrations this build does not know', {
          detail: { unknown },
        });
      }
      const pending = known.filter((name) => !before.includes(name));
      for (const name of pending) {
        try {
          await migrations[name]!.up(trx);
        } catch (e) {
          throw new MigrationStepFailed(name, e);
        }
        await sql`INSERT INTO kysely_migration (name, timestamp) VALUES (${name}, ${new Date().toISOString()})`.execute(
          trx,
        );
      }
      return pending;
    });
  } catch (e) {
    if (e instanceof MigrationStepFailed) {
      throw storeError('store_migration_failed', 'migration failed; nothing was applied', {
        cause: e.cause,
        detail: { migration: e.migration },
      });
    }
    if (isWatashiError(e)) throw e;
    throw storeError('store_migration_failed', 'migration failed; nothing was applied', {
      cause: e,
      detail: {},
    });
  }
  return { applied, current: await executedMigrations(db) };
}

/** Names of the migrations the database records, in order (empty for a fresh database). */
export async function executedMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  // Kysely's default bookkeeping table; absent until the first migration run.
  const exists = await sql<{ t: string | null }>`SELECT to_regclass('kysely_migration')::text AS t`.execute(
    db,
  );
  if (exists.rows[0]?.t == null) return [];
  const rows = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db);
  return rows.rows.map((r) => r.name);
}
