import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { storeError } from './errors.ts';

/** The lock file's name inside a PGlite data directory. */
export const LOCK_FILE = 'watashi.lock';

/** Locks held by this process, released on exit even when `close()` is never called. */
const held = new Set<string>();
let exitHookInstalled = false;

/**
 * Take the embedded data directory for this process: create `watashi.lock` holding our pid, or
 * refuse with `store_in_use` while the pid in an existing lock is alive (this process included: a
 * second PGlite on the same files is as harmful as a second process). A lock left by a process
 * that died is stale and taken over. Returns the release function (idempotent).
 */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = ownerOf(path);
      if (pid !== undefined && isAlive(pid)) {
        throw storeError(
          'store_in_use',
          `the data directory ${dir} is in use by process ${pid}; stop it first (or use PostgreSQL, which many processes share)`,
          { detail: { dataDir: dir, pid } },
        );
      }
      // Stale (the owner died without releasing) or unreadable: remove it and try once more.
      try {
        unlinkSync(path);
      } catch (unlinkError) {
        if ((unlinkError as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkError;
      }
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    held.add(path);
    installExitHook();
    return () => release(path);
  }
  throw storeError('store_in_use', `could not take the lock on the data directory ${dir}`, {
    detail: { dataDir: dir },
  });
}

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function release(path: string): void {
  if (!held.delete(path)) return;
  try {
    // Only remove our own lock: never one another process took over meanwhile.
    if (ownerOf(path) === process.pid) unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const path of [...held]) release(path);
  });
}
