// Test helpers: run `watashi` in process (main(), as the bin does) with stdout and stderr captured,
// against an in-process J-LIS simulator on 127.0.0.1 (free port, temp data dir, no timers).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { createSimulator, type RunningSimulator } from '@watashi/jlis-sim';
import { main } from '../src/main.ts';

/** What a command printed and how it exited. */
export interface RunResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

const text = (chunk: unknown): string =>
  typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');

/** Captures process.stdout / process.stderr writes until `restore()`. */
export function capture(): { out: () => string; err: () => string; restore: () => void } {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    out += text(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    err += text(chunk);
    return true;
  });
  return {
    out: () => out,
    err: () => err,
    restore: () => {
      o.mockRestore();
      e.mockRestore();
    },
  };
}

/** Runs `watashi …argv` in process; resolves with the exit code and the captured output. */
export async function run(...argv: string[]): Promise<RunResult> {
  const c = capture();
  try {
    const code = await main(['node', 'watashi', ...argv]);
    return { code, out: c.out(), err: c.err() };
  } finally {
    c.restore();
  }
}

/** Parses a command's JSON output. */
export function json<T = Record<string, unknown>>(r: RunResult): T {
  return JSON.parse(r.out) as T;
}

/** Temp directories removed by {@link cleanup}. */
const dirs: string[] = [];

/** A fresh temp directory. */
export function tempDir(prefix = 'watashi-cli-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Removes every temp directory made by {@link tempDir}. */
export function cleanup(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Starts a simulator on a free port with a temp data dir; resolves with it and its URL. */
export async function startSim(
  seed = 'cli-test',
): Promise<{ s: RunningSimulator; url: string; dataDir: string }> {
  const dataDir = tempDir('watashi-cli-sim-');
  const s = await createSimulator({ dataDir, port: 0, seed, schedule: false, logLevel: 'silent' });
  const url = await s.listen();
  return { s, url, dataDir };
}

/** A TCP port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const addr = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/** Polls `predicate` every 50 ms until it holds (or fails after `ms`). */
export async function until(predicate: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
