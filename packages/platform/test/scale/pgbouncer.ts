/**
 * A private PgBouncer for tests (Debian's 1.18, scripts/ensure-system-deps.sh): transaction pooling
 * in front of a test PostgreSQL, trust authentication on 127.0.0.1 only. As root it runs as the
 * `postgres` OS user (PgBouncer refuses to run as root), like scripts/pg-private.sh's cluster.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { freePort, waitFor } from './processes.ts';

/** A running PgBouncer. */
export interface TestPgBouncer {
  /** `postgres://postgres@127.0.0.1:<port>/<database>`: the same database through the pooler. */
  url(database: string): string;
  /** Its listening port. */
  readonly port: number;
  /** Its log so far (for a failure message). */
  log(): string;
  /** Stop it (SIGTERM to its own process) and remove its directory. */
  stop(): Promise<void>;
}

/**
 * Starts PgBouncer in front of `serverUrl` (any database on that server) with `pool_mode`
 * `transaction` and `defaultPoolSize` server connections per database and user.
 */
export async function startPgBouncer(
  serverUrl: string,
  options: {
    readonly defaultPoolSize?: number;
    readonly poolMode?: 'transaction' | 'session';
    /** `server_round_robin = 1`: hand out server connections in turn, not the last one used. */
    readonly roundRobin?: boolean;
  } = {},
): Promise<TestPgBouncer> {
  const server = new URL(serverUrl);
  const dir = mkdtempSync(join(tmpdir(), 'wpgb-'));
  const port = await freePort();
  const ini = [
    '[databases]',
    `* = host=${server.hostname} port=${server.port}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    "unix_socket_dir = ''",
    'auth_type = trust',
    `auth_file = ${join(dir, 'users.txt')}`,
    `pool_mode = ${options.poolMode ?? 'transaction'}`,
    `default_pool_size = ${options.defaultPoolSize ?? 4}`,
    'max_client_conn = 500',
    `server_round_robin = ${options.roundRobin === true ? 1 : 0}`,
    'server_reset_query = DISCARD ALL',
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    'log_connections = 1',
    'log_disconnections = 1',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'pgbouncer.ini'), ini);
  writeFileSync(join(dir, 'users.txt'), '"postgres" ""\n');
  // As root, PgBouncer runs as `postgres` (it refuses root); spawned directly with that uid, not
  // through runuser, so that this process is its parent and reaps it.
  let owner: { uid: number; gid: number } | undefined;
  if (userInfo().uid === 0) {
    owner = {
      uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
    };
    for (const f of ['', 'pgbouncer.ini', 'users.txt']) chownSync(join(dir, f), owner.uid, owner.gid);
  }
  const child: ChildProcess = spawn('/usr/sbin/pgbouncer', [join(dir, 'pgbouncer.ini')], {
    stdio: 'ignore',
    ...(owner ?? {}),
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = (database: string): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
  await waitFor(`PgBouncer on ${port}`, async () => {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited ${child.exitCode} (log in ${dir})`);
    const c = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 1000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  });
  return {
    port,
    url,
    log: () => {
      try {
        return readFileSync(join(dir, 'pgbouncer.log'), 'utf8');
      } catch {
        return '(no log)';
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
