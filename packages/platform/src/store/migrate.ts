import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import type { Migration, MigrationProvider } from 'kysely/migration';
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
 * Bring the database to the newest schema this code knows, using Kysely's `Migrator` with an
 * in-code provider (no file loading, so it behaves the same under tsx, Vitest and a bundle:
 * docs/dependencies.md §5.4).
 *
 * Refuses (`store_migrations_unknown`) when the database records a migration this code lacks:
 * it was migrated by a newer build, and running older code against it is not safe. All pending
 * migrations run in one transaction under Kysely's migration lock (an advisory lock on
 * PostgreSQL), so several platform instances may start at once; on failure nothing is applied
 * (`store_migration_failed`, with the failing name in `detail`).
 *
 * `migrations` is for tests of the migrator itself; production uses the built-in list.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  migrations: Readonly<Record<string, Migration>> = allMigrations,
): Promise<MigrationReport> {
  const known = Object.keys(migrations);
  const before = await executedMigrations(db);
  const unknown = before.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw storeError('store_migrations_unknown', 'the database has migrations this build does not know', {
      detail: { unknown },
    });
  }
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve({ ...migrations }) };
  const migrator = new Migrator({ db, provider });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw storeError('store_migration_failed', 'migration failed; nothing was applied', {
      cause: error,
      detail: failed === undefined ? {} : { migration: failed },
    });
  }
  return {
    applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName),
    current: await executedMigrations(db),
  };
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
