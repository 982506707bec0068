/**
 * Child processes for the several-instances tests: free ports, waiting on readiness (never on a
 * fixed sleep), and processes that are always stopped by their own id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Polls `ready` (every 100 ms) until it answers true; fails after `timeoutMs` (default 60 s) with
 * `what` in the message, followed by what `explain` says then (e.g. the process's output), so that
 * a failure on a CI machine can be understood from its log alone. `ready` may throw to give up at
 * once (e.g. the process exited).
 */
export async function waitFor(
  what: string,
  ready: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  explain?: () => string,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await ready()) return;
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}${explain === undefined ? '' : `\n${explain()}`}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A child process with its output kept for failure messages. */
export interface Child {
  readonly process: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves when it has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM (or `signal`) to this process only, then wait for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns `command args` with `env` added to this process's environment. */
export function startChild(
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
  cwd?: string,
): Child {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd === undefined ? {} : { cwd }),
  });
  let out = '';
  const keep = (b: Buffer): void => {
    out += b.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
