import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { executedMigrations, migrateToLatest } from '../../src/store/migrate.ts';
import { migrations } from '../../src/store/migrations/index.ts';
import { probePostgres, startPrivateCluster } from './postgres.ts';

// The fallback the harness takes when no PostgreSQL answers at 127.0.0.1:5432 (and what
// global-setup.ts does once per run): exercised here on every run so it cannot rot unnoticed.
describe('private PostgreSQL cluster (scripts/pg-private.sh)', () => {
  it('ok-start-connect-migrate-stop', { timeout: 30_000 }, async () => {
    const started = Date.now();
    const cluster = await startPrivateCluster();
    try {
      expect(cluster.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      expect(cluster.url).not.toContain(':5432/');
      const database = await openDatabase({ url: cluster.url });
      try {
        const report = await migrateToLatest(database.db);
        expect(report.applied).toEqual(Object.keys(migrations));
        expect(await executedMigrations(database.db)).toEqual(Object.keys(migrations));
        const { rows } = await sql<{ v: string }>`SELECT version() AS v`.execute(database.db);
        expect(rows[0]?.v).toMatch(/^PostgreSQL \d+/);
      } finally {
        await database.close();
      }
    } finally {
      await cluster.stop();
    }
    expect(await probePostgres(cluster.url, 500)).toBe(false);
    expect(existsSync(cluster.dir)).toBe(false);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
