/**
 * Persistence in the data directory:
 * - `state.json` (mode 0600: it holds the virtual cards' private keys), rewritten atomically
 *   (write to a temp file, fsync, rename) after each mutation;
 * - `keys/<purpose>-<generation>.key.pem`: CA private keys as PKCS#8 PEM, mode 0600;
 * - `crl/<purpose>-<generation>.crl`: the last published CRL of each CA, DER;
 * - `sim.lock`: the PID of the simulator using the directory, so two simulators never share it.
 *
 * Fee-meter increments are the one hot-path mutation (every OCSP query); they are written by a
 * debounced save (≤ 1 s later) instead of one fsync per query; `close()` flushes.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { simError } from './errors.ts';
import type { SimState } from './model.ts';

const LOCK = 'sim.lock';
const STATE = 'state.json';

/** Writes `data` to `path` atomically (temp file + fsync + rename), with file mode `mode`. */
function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The data directory of one running simulator. */
export class Store {
  private saveTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    /** Absolute or relative path of the data directory. */
    readonly dir: string,
  ) {}

  /** Opens `dir` (created when missing) and takes its lock; throws `data_dir_locked` when another simulator holds it. */
  static open(dir: string): Store {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const lock = join(dir, LOCK);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(lock, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return new Store(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = Number.parseInt(readFileSync(lock, 'utf8').trim(), 10);
        if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
          throw simError('data_dir_locked', `data directory ${dir} is in use by process ${pid}`, {
            detail: { pid },
          });
        }
        rmSync(lock, { force: true }); // stale lock of a process that no longer exists
      }
    }
    throw simError('data_dir_locked', `cannot take the lock of ${dir}`);
  }

  /** The saved state, or undefined for a fresh directory. */
  load(): SimState | undefined {
    const p = join(this.dir, STATE);
    if (!existsSync(p)) return undefined;
    try {
      const s = JSON.parse(readFileSync(p, 'utf8')) as SimState;
      if (s.version !== 1) throw new Error(`unsupported state version ${String(s.version)}`);
      return s;
    } catch (cause) {
      throw simError('state_corrupt', `cannot read ${p}`, { cause });
    }
  }

  /** Writes the state now (atomic). */
  save(state: SimState): void {
    if (this.closed) return;
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    writeFileAtomic(join(this.dir, STATE), JSON.stringify(state));
  }

  /** Writes the state within about a second (coalesces hot-path mutations such as fee counters). */
  saveSoon(state: SimState): void {
    if (this.closed || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save(state);
    }, 1000);
    this.saveTimer.unref();
  }

  /** Writes a PKCS#8 PEM private key under keys/ with mode 0600. */
  writeKey(file: string, pem: string): void {
    writeFileAtomic(join(this.dir, 'keys', file), pem, 0o600);
  }

  /** Reads a key written by {@link writeKey}. */
  readKey(file: string): string {
    return readFileSync(join(this.dir, 'keys', file), 'utf8');
  }

  /** Writes a file relative to the data dir (atomic, 0644: public data such as CRLs). */
  writePublic(rel: string, data: Uint8Array): void {
    writeFileAtomic(join(this.dir, rel), data, 0o644);
  }

  /** Reads a file relative to the data dir. */
  readPublic(rel: string): Uint8Array {
    return new Uint8Array(readFileSync(join(this.dir, rel)));
  }

  /** Flushes a pending save and releases the lock. */
  close(state?: SimState): void {
    if (this.closed) return;
    if (state) this.save(state);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.closed = true;
    rmSync(join(this.dir, LOCK), { force: true });
  }
}
