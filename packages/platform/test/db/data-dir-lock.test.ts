// The embedded data directory belongs to one process at a time: PGlite is a single-user
// PostgreSQL, and two instances writing the same files corrupt them.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { seedDataDir } from './snapshot.ts';
import { LOCK_FILE } from '../../src/store/data-dir-lock.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';

const root = mkdtempSync(join(tmpdir(), 'watashi-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const freshDir = (): string => join(root, `db-${n++}`);
/** A data directory holding the migrated snapshot: the lock tests need a database, not a first start. */
async function seededDir(): Promise<string> {
  const dir = freshDir();
  await seedDataDir(dir);
  return dir;
}

/** A live process other than this one, and a way to end it. */
function otherProcess(): { pid: number; stop: () => Promise<void> } {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('data directory lock', () => {
  it('ok-open-writes-our-pid-and-close-removes-it', async () => {
    const dir = freshDir();
    const database = await openDatabase({ dataDir: dir });
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    await migrateToLatest(database.db);
    await database.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    // Reopened after close, with its data intact.
    const again = await openDatabase({ dataDir: dir });
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kysely_migration`.execute(
      again.db,
    );
    expect(rows[0]!.n).toBeGreaterThan(0);
    await again.close();
  });

  it('fail-second-open-in-the-same-process-is-store-in-use', async () => {
    const dir = await seededDir();
    const database = await openDatabase({ dataDir: dir });
    try {
      await expect(openDatabase({ dataDir: dir })).rejects.toMatchObject({
        code: 'store_in_use',
        detail: { pid: process.pid },
      });
      // The refused opener did not take the lock away from the holder.
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    } finally {
      await database.close();
    }
  });

  it('fail-directory-held-by-another-live-process', async () => {
    const dir = await seededDir();
    const first = await openDatabase({ dataDir: dir });
    await first.close();
    const other = otherProcess();
    try {
      writeFileSync(join(dir, LOCK_FILE), `${other.pid}\n`);
      await expect(openDatabase({ dataDir: dir })).rejects.toMatchObject({
        code: 'store_in_use',
        detail: { pid: other.pid },
      });
    } finally {
      await other.stop();
    }
    // Its owner died without releasing it: the lock is stale and taken over.
    const database = await openDatabase({ dataDir: dir });
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    await database.close();
  });

  it('ok-unreadable-lock-is-stale', async () => {
    const dir = await seededDir();
    await (await openDatabase({ dataDir: dir })).close();
    writeFileSync(join(dir, LOCK_FILE), 'not a pid');
    const database = await openDatabase({ dataDir: dir });
    await database.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
