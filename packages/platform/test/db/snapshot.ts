/**
 * The migrated PGlite snapshot tests start from (docs/dependencies.md §5.4, §6): creating a PGlite
 * instance runs initdb (seconds, hundreds of MB), loading a data-directory tarball is a fraction
 * of that. The snapshot is made once and cached on disk under os.tmpdir(), keyed by a hash of the
 * migration sources and the PGlite version, so a changed migration makes a new one and parallel
 * test workers (and later runs) share it. A lock file makes one worker build while others wait.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';

const migrationsDir = fileURLToPath(new URL('../../src/store/migrations/', import.meta.url));
const cacheDir = join(tmpdir(), 'watashi-pglite-snapshots');
/** A lock older than this is from a crashed worker; building takes a few seconds. */
const STALE_LOCK_MS = 120_000;

/** Hash of everything that determines the snapshot's content. */
export function snapshotKey(): string {
  const h = createHash('sha256');
  const require = createRequire(import.meta.url);
  const pgliteDir = dirname(dirname(require.resolve('@electric-sql/pglite')));
  h.update(readFileSync(join(pgliteDir, 'package.json')));
  for (const file of readdirSync(migrationsDir).sort()) {
    h.update(`\0${file}\0`).update(readFileSync(join(migrationsDir, file)));
  }
  return h.digest('hex').slice(0, 32);
}

let memo: Promise<Blob> | undefined;

/** The migrated snapshot (built at most once per key, then read from disk). */
export function pgliteSnapshot(): Promise<Blob> {
  memo ??= loadOrBuild().catch((error: unknown) => {
    memo = undefined;
    throw error;
  });
  return memo;
}

async function loadOrBuild(): Promise<Blob> {
  mkdirSync(cacheDir, { recursive: true });
  const key = snapshotKey();
  const file = join(cacheDir, `${key}.tar`);
  const lock = `${file}.lock`;
  const deadline = Date.now() + 2 * STALE_LOCK_MS;
  for (;;) {
    const cached = readIfExists(file);
    if (cached !== undefined) return new Blob([cached]);
    if (tryLock(lock)) break;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    const cached = readIfExists(file); // built by another worker between our check and our lock
    if (cached !== undefined) return new Blob([cached]);
    const database = await openDatabase({ dataDir: 'memory://' });
    if (database.engine !== 'pglite') throw new Error('expected PGlite');
    try {
      await migrateToLatest(database.db);
      const blob = await database.dumpDataDir();
      const bytes = new Uint8Array(await blob.arrayBuffer());
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, file); // atomic: readers see the whole file or none
      return new Blob([bytes]);
    } finally {
      await database.close();
    }
  } finally {
    unlinkSync(lock);
  }
}

function readIfExists(file: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function tryLock(lock: string): boolean {
  try {
    closeSync(openSync(lock, 'wx'));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A crashed builder leaves its lock behind; take over once it is clearly stale.
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock);
    } catch (statError) {
      if ((statError as NodeJS.ErrnoException).code !== 'ENOENT') throw statError;
    }
    return false;
  }
}

/**
 * Makes `dir` a PGlite data directory holding the migrated snapshot — what a first start of the
 * platform there would build (initdb, then every migration), in about a quarter of the time. For
 * tests of commands that open a data directory; the first-start path itself keeps its own tests
 * (test/server/platform.test.ts, test/db/close.test.ts).
 */
export async function seedDataDir(dir: string): Promise<void> {
  const database = await openDatabase({ dataDir: dir, loadDataDir: await pgliteSnapshot() });
  await database.close();
}
