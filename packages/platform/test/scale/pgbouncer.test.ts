/**
 * PostgreSQL through PgBouncer 1.18 in transaction mode (issue 14, docs/scaling.md): named
 * prepared statements break there, so `database.preparedStatements: false` sends the PREPARED
 * statements unnamed; PgBouncer refuses the timeouts as startup parameters, so
 * `database.startupParameters: false` leaves them out.
 */
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, PREPARED, type Database } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { testPostgresAdminUrl } from '../db/harness.ts';
import { createScratchDatabase } from '../db/postgres.ts';
import { startPgBouncer, type TestPgBouncer } from './pgbouncer.ts';

const marked = (n: number) => sql<{ x: number }>`${sql.raw(PREPARED)}SELECT ${n}::int AS x`;

describe('PgBouncer in transaction mode', () => {
  let bouncer: TestPgBouncer;
  let dbName: string;
  const opened: Database[] = [];
  const open = async (pool: {
    preparedStatements?: boolean;
    startupParameters?: boolean;
  }): Promise<Database> => {
    const d = await openDatabase({ url: bouncer.url(dbName), pool: { max: 1, ...pool } });
    opened.push(d);
    return d;
  };

  beforeAll(async () => {
    const admin = await testPostgresAdminUrl();
    dbName = 'postgres';
    // One server connection: every client's transactions share it, so what one client leaves on
    // the server connection the next one meets.
    bouncer = await startPgBouncer(admin, { defaultPoolSize: 1 });
  });

  afterAll(async () => {
    for (const d of opened) await d.close().catch(() => undefined);
    await bouncer?.stop();
  });

  it('refuses the timeouts as startup parameters; startupParameters: false connects', async () => {
    const withTimeouts = await open({ preparedStatements: false });
    // PgBouncer answers 08P01 (a connection exception): the store reports it as unavailable, with
    // PgBouncer's own words kept as the cause for the operator's log.
    const refused: unknown = await sql`SELECT 1`.execute(withTimeouts.db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'store_unavailable' });
    expect(String((refused as { cause?: { message?: unknown } }).cause?.message)).toMatch(
      /unsupported startup parameter/,
    );
    const without = await open({ preparedStatements: false, startupParameters: false });
    const r = await sql<{ x: number }>`SELECT 1::int AS x`.execute(without.db);
    expect(r.rows).toEqual([{ x: 1 }]);
  });

  it('breaks named prepared statements across clients; preparedStatements: false runs them', async () => {
    const a = await open({ startupParameters: false });
    const b = await open({ startupParameters: false });
    expect((await marked(1).execute(a.db)).rows).toEqual([{ x: 1 }]);
    // b's client has never prepared the statement, so it asks the server connection a left it on.
    await expect(marked(2).execute(b.db)).rejects.toMatchObject({ code: '42P05' });

    const c = await open({ preparedStatements: false, startupParameters: false });
    const d = await open({ preparedStatements: false, startupParameters: false });
    for (let i = 0; i < 6; i++) {
      expect((await marked(i).execute(c.db)).rows).toEqual([{ x: i }]);
      expect((await marked(i + 1).execute(d.db)).rows).toEqual([{ x: i + 1 }]);
    }
  });
});

describe('migrations through PgBouncer in transaction mode', () => {
  // Kysely 0.29's Migrator takes a session-level advisory lock outside its transaction; behind a
  // transaction-mode pooler that lock, the transaction and the unlock land on different server
  // connections, so instances starting together migrated at once (or waited an hour for a lock
  // left on an idle server connection). store/migrate.ts holds a transaction-level lock instead.
  it('ok-six-clients-starting-together-apply-each-migration-once', async () => {
    const admin = await testPostgresAdminUrl();
    const scratch = await createScratchDatabase(admin);
    // Round robin: consecutive transactions of one client go to different server connections, as
    // they do on a busy pooler (the default, last-used-first, hides the fault on a quiet one).
    const bouncer = await startPgBouncer(scratch.url, { defaultPoolSize: 4, roundRobin: true });
    const opened: Database[] = [];
    try {
      const url = bouncer.url(new URL(scratch.url).pathname.slice(1));
      for (let i = 0; i < 6; i++)
        opened.push(
          await openDatabase({ url, pool: { max: 2, preparedStatements: false, startupParameters: false } }),
        );
      // Slow steps that fail when run twice: a table created without IF NOT EXISTS, and a row
      // whose second insert breaks the primary key.
      const slow = {
        '0001-slow-table': {
          async up(db: Kysely<unknown>) {
            await sql`CREATE TABLE once (id int PRIMARY KEY)`.execute(db);
            await sql`SELECT pg_sleep(0.3)`.execute(db);
          },
        },
        '0002-slow-row': {
          async up(db: Kysely<unknown>) {
            await sql`INSERT INTO once (id) VALUES (1)`.execute(db);
            await sql`SELECT pg_sleep(0.3)`.execute(db);
          },
        },
      };
      const reports = await Promise.all(opened.map((d) => migrateToLatest(d.db, slow)));
      // Exactly one client applied both; the others found them done.
      expect(reports.map((r) => r.applied.length).sort()).toEqual([0, 0, 0, 0, 0, 2]);
      for (const r of reports) expect(r.current).toEqual(['0001-slow-table', '0002-slow-row']);
      // No advisory lock is left behind on any server connection.
      const { rows } = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`.execute(opened[0]!.db);
      expect(rows[0]?.n).toBe(0);
    } finally {
      for (const d of opened) await d.close().catch(() => undefined);
      await bouncer.stop();
      await scratch.drop();
    }
  });
});
