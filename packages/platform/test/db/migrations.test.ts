import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { isWatashiError } from '@watashi/pki';
import { executedMigrations, migrateToLatest } from '../../src/store/migrate.ts';
import { migrations } from '../../src/store/migrations/index.ts';
import { forEachEngine, openTestDatabase } from './harness.ts';

forEachEngine((t) => {
  it('ok-migrated-to-latest', async () => {
    expect(await executedMigrations(t.db)).toEqual(Object.keys(migrations));
    const again = await migrateToLatest(t.db);
    expect(again).toEqual({ applied: [], current: Object.keys(migrations) });
  });

  it('ok-runs-on-the-expected-server', async () => {
    const { rows } = await sql<{ v: string }>`SELECT version() AS v`.execute(t.db);
    // PGlite is PostgreSQL 18; production (Debian) is 15: the schema must work on both.
    expect(rows[0]?.v).toMatch(t.engine === 'pglite' ? /PostgreSQL 18.*PGlite/ : /^PostgreSQL \d+/);
  });

  it('fail-unknown-migration-in-database', async () => {
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('9999-from-the-future', now()::text)`.execute(
      t.db,
    );
    try {
      const error = await migrateToLatest(t.db).catch((e: unknown) => e);
      expect(isWatashiError(error, 'store_migrations_unknown')).toBe(true);
      expect((error as { detail: unknown }).detail).toEqual({ unknown: ['9999-from-the-future'] });
    } finally {
      await sql`DELETE FROM kysely_migration WHERE name = '9999-from-the-future'`.execute(t.db);
    }
  });

  it('fail-broken-migration-applies-nothing', async () => {
    const broken = {
      ...migrations,
      '9000-broken': {
        async up(db: Parameters<(typeof migrations)[string]['up']>[0]) {
          await sql`CREATE TABLE half_done (x int)`.execute(db);
          await sql`SELECT no_such_function()`.execute(db);
        },
      },
    };
    const error = await migrateToLatest(t.db, broken).catch((e: unknown) => e);
    expect(isWatashiError(error, 'store_migration_failed')).toBe(true);
    expect((error as { detail: unknown }).detail).toEqual({ migration: '9000-broken' });
    const { rows } = await sql<{ t: string | null }>`SELECT to_regclass('half_done')::text AS t`.execute(
      t.db,
    );
    expect(rows[0]?.t).toBeNull();
    expect(await executedMigrations(t.db)).toEqual(Object.keys(migrations));
  });
});

describe('postgres fresh database', () => {
  it('ok-reports-what-ran', async () => {
    const fresh = await openTestDatabase('postgres', { migrate: false });
    const { database } = fresh;
    try {
      expect(await executedMigrations(database.db)).toEqual([]);
      const report = await migrateToLatest(database.db);
      expect(report.applied).toEqual(Object.keys(migrations));
      expect(report.current).toEqual(Object.keys(migrations));
    } finally {
      await fresh.close();
    }
  });
});
