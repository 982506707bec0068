/**
 * Test harness for everything that touches the store: the same suite runs against both engines
 * (docs/conventions.md §11, after fastify/demo's `build(t)`: a real database per test file that tears itself
 * down).
 *
 * - `pglite`: loaded from the migrated snapshot (snapshot.ts), in memory, one instance per file.
 * - `postgres`: a fresh `watashi_test_<random>` database per file on the server named by
 *   `WATASHI_TEST_PG_URL`, else 127.0.0.1:5432, else a private cluster (scripts/pg-private.sh)
 *   started for this worker and stopped when it exits. Migrated with `migrateToLatest`, dropped
 *   afterwards. Wire test/db/global-setup.ts as Vitest `globalSetup` to start at most one private
 *   cluster per run instead.
 *
 * Usage:
 * ```ts
 * forEachEngine((t) => {
 *   it('ok-…', async () => { await t.db.insertInto('kv')… });
 * });
 * ```
 * Tests in one file share the database: give rows unique keys rather than relying on an empty
 * table, or call `resetDatabase(t.db)` in a `beforeEach`.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { openDatabase } from '../../src/store/database.ts';
import type { Database } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import type { Schema } from '../../src/store/schema.ts';
import { createScratchDatabase, findPostgres, startPrivateCluster } from './postgres.ts';
import type { PrivateCluster } from './postgres.ts';
import { pgliteSnapshot } from './snapshot.ts';

/** The engines every store suite runs on. */
export const ENGINES = ['pglite', 'postgres'] as const;
/** One of {@link ENGINES}. */
export type EngineName = (typeof ENGINES)[number];

/** An open, migrated test database; `close()` closes it and (PostgreSQL) drops it. */
export interface TestDatabase {
  readonly engine: EngineName;
  readonly database: Database;
  readonly db: Kysely<Schema>;
  close(): Promise<void>;
}

let adminUrl: Promise<string> | undefined;
let privateCluster: PrivateCluster | undefined;
let openPostgresDatabases = 0;

/** The admin URL of the test server, starting a private cluster for this file if needed. */
export function testPostgresAdminUrl(): Promise<string> {
  adminUrl ??= (async () => {
    const found = await findPostgres();
    if (found !== undefined) return found;
    privateCluster = await startPrivateCluster();
    return privateCluster.url;
  })();
  return adminUrl;
}

/** Stop this file's private cluster once its last database is closed (never leak a server). */
async function releasePostgres(): Promise<void> {
  openPostgresDatabases--;
  if (openPostgresDatabases > 0 || privateCluster === undefined) return;
  const cluster = privateCluster;
  privateCluster = undefined;
  adminUrl = undefined;
  await cluster.stop();
}

/**
 * Open a migrated database on `engine` (PGlite from the snapshot; PostgreSQL freshly created).
 * `{ migrate: false }` (PostgreSQL only) leaves the new database empty, for migrator tests.
 */
export async function openTestDatabase(
  engine: EngineName,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  if (engine === 'pglite') {
    if (options.migrate === false)
      throw new TypeError('the PGlite test database is always the migrated snapshot');
    const database = await openDatabase({ loadDataDir: await pgliteSnapshot() });
    return { engine, database, db: database.db, close: () => database.close() };
  }
  openPostgresDatabases++;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  let database: Database | undefined;
  try {
    scratch = await createScratchDatabase(await testPostgresAdminUrl());
    database = await openDatabase({ url: scratch.url, pool: { max: 10 } });
    if (options.migrate !== false) await migrateToLatest(database.db);
  } catch (error) {
    await database?.close();
    await scratch?.drop();
    await releasePostgres();
    throw error;
  }
  const opened = database;
  const dropped = scratch;
  return {
    engine,
    database: opened,
    db: opened.db,
    close: async () => {
      try {
        await opened.close();
        await dropped.drop();
      } finally {
        await releasePostgres();
      }
    },
  };
}

/** What a suite body gets: the engine name now, the database once `beforeAll` has run. */
export interface EngineContext {
  readonly engine: EngineName;
  /** The open database (throws if read outside a test or hook). */
  readonly database: Database;
  /** Shorthand for `database.db`. */
  readonly db: Kysely<Schema>;
}

/**
 * Declare `body` once per engine, inside `describe('<engine>')`, with a database opened in
 * `beforeAll` and closed (and dropped) in `afterAll`.
 */
export function forEachEngine(
  body: (t: EngineContext) => void,
  engines: readonly EngineName[] = ENGINES,
): void {
  for (const engine of engines) {
    describe(engine, () => {
      let current: TestDatabase | undefined;
      const t: EngineContext = {
        engine,
        get database() {
          if (current === undefined)
            throw new TypeError('the test database is open only inside tests and hooks');
          return current.database;
        },
        get db() {
          return t.database.db;
        },
      };
      beforeAll(async () => {
        current = await openTestDatabase(engine);
      });
      afterAll(async () => {
        await current?.close();
        current = undefined;
      });
      body(t);
    });
  }
}

/** Empty every table and reset the audit chain to genesis (for suites that need a clean slate). */
export async function resetDatabase(db: Kysely<Schema>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`TRUNCATE accounts, anchors, basic4, enrolment_nonces, authenticators, sessions, consents, personas, oidc_consents, audit_log, kv, fee_ledger CASCADE`.execute(
      trx,
    );
    await sql`UPDATE audit_head SET seq = 0, hash = decode(repeat('00', 32), 'hex')`.execute(trx);
  });
}
