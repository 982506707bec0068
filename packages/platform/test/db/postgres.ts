/**
 * PostgreSQL for tests: find a server (env, 127.0.0.1:5432, or a private cluster started with
 * scripts/pg-private.sh), and create / drop one throw-away database per test file.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The server tests use unless `WATASHI_TEST_PG_URL` says otherwise. */
export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** Environment variable naming the admin URL of the test server (set by global-setup.ts too). */
export const PG_URL_ENV = 'WATASHI_TEST_PG_URL';

const script = fileURLToPath(new URL('../../../../scripts/pg-private.sh', import.meta.url));

/** True when a PostgreSQL server accepts `url` within `timeoutMs`. */
export async function probePostgres(url: string, timeoutMs = 1500): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    // Not reachable (refused, timeout, auth): the caller falls back to a private cluster.
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A private cluster started by scripts/pg-private.sh. */
export interface PrivateCluster {
  /** Admin URL (`postgres://postgres@127.0.0.1:<port>/postgres`). */
  url: string;
  /** The directory holding data, socket and logs; removed by `stop()`. */
  dir: string;
  /** Stop the server and remove its directory. */
  stop(): Promise<void>;
  /** Restart the server on the same port (`pg_ctl restart -m fast`: sessions are terminated). */
  restart(): Promise<void>;
}

/** Start a private PostgreSQL cluster on a free port (scripts/pg-private.sh). */
export async function startPrivateCluster(): Promise<PrivateCluster> {
  // Short path: the unix socket lives in it and socket paths are limited to ~107 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'wpg-'));
  const { stdout } = await run('bash', [script, 'start', dir], { timeout: 60_000 });
  const url = stdout.trim().split('\n').pop() ?? '';
  if (!url.startsWith('postgres://')) throw new Error(`pg-private.sh printed no URL: ${stdout}`);
  let stopped: Promise<void> | undefined;
  return {
    url,
    dir,
    stop: () => (stopped ??= run('bash', [script, 'stop', dir], { timeout: 60_000 }).then(() => undefined)),
    restart: () => run('bash', [script, 'restart', dir], { timeout: 60_000 }).then(() => undefined),
  };
}

/**
 * The admin URL to create test databases on: `WATASHI_TEST_PG_URL` if set (trusted as is), else
 * the local server at 127.0.0.1:5432 if it answers, else `undefined` (start a private cluster).
 */
export async function findPostgres(): Promise<string | undefined> {
  const fromEnv = process.env[PG_URL_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return (await probePostgres(DEFAULT_ADMIN_URL)) ? DEFAULT_ADMIN_URL : undefined;
}

/** A throw-away database on a test server. */
export interface ScratchDatabase {
  /** URL of the new database. */
  url: string;
  /** Drop it (terminating leftover sessions). */
  drop(): Promise<void>;
}

/** Create `watashi_test_<random>` on the server at `adminUrl`. */
export async function createScratchDatabase(adminUrl: string): Promise<ScratchDatabase> {
  const name = `watashi_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // WITH (FORCE): PostgreSQL ≥13; a leaked pool connection must not keep the database alive.
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Runs one statement on the test server as its administrator (CREATE / DROP DATABASE). */
export async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
