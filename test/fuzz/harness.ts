/**
 * The fuzz property and its bookkeeping (issue 21): judging one input, minimising a failing one,
 * and the regression case files that `npm run fuzz` writes and the normal suite replays.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, isWatashiError, toHex } from '@watashi/pki';

/** Where failing inputs are kept (one JSON file each); the normal suite replays every one. */
export const REGRESSIONS_DIR = join(import.meta.dirname, 'regressions');

/** The outcome of one input. */
export type Verdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** What went wrong, without the input-specific parts: failures of one kind are one bug. */
      readonly kind: string;
      readonly message: string;
    };

const OK: Verdict = { ok: true };

/** The frame of the first project file in a stack: where the escape happened. */
function origin(e: Error): string {
  for (const line of (e.stack ?? '').split('\n').slice(1)) {
    const m = /(packages\/[^\s):]+|test\/fuzz\/[^\s):]+)/.exec(line);
    if (m) return m[1]!;
  }
  return '?';
}

/** Judges a thrown value: a WatashiError with a code of `codes` passes; anything else is a failure. */
export function judgeError(e: unknown, codes: ReadonlySet<string>): Verdict {
  if (isWatashiError(e)) {
    if (codes.has(e.code)) return OK;
    return {
      ok: false,
      kind: `code ${e.code}`,
      message: `WatashiError ${e.code} is outside the union: ${e.message}`,
    };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const name = (e as { name?: string }).name ?? 'Error';
  const message = err.message.split('\n')[0] ?? '';
  return {
    ok: false,
    kind: `${name}: ${message.replace(/\d+/g, 'N').slice(0, 120)} @ ${origin(err)}`,
    message: `${name}: ${message}`,
  };
}

/** Runs one input through a target and judges it. */
export async function judge(
  run: (input: Uint8Array) => unknown,
  codes: ReadonlySet<string>,
  input: Uint8Array,
): Promise<Verdict> {
  try {
    const r = run(input);
    if (r instanceof Promise) await r;
    return OK;
  } catch (e) {
    return judgeError(e, codes);
  }
}

/**
 * Shrinks a failing input by deleting chunks (halves, then quarters, … single bytes) as long as
 * it still fails the same way: a short regression case says what the bug is.
 */
export async function minimise(
  run: (input: Uint8Array) => unknown,
  codes: ReadonlySet<string>,
  input: Uint8Array,
  kind: string,
  budget = 3000,
): Promise<Uint8Array> {
  let best = input;
  let tries = 0;
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && tries < budget; chunk >>= 1) {
    for (let at = 0; at < best.length && tries < budget;) {
      const candidate = new Uint8Array(best.length - Math.min(chunk, best.length - at));
      candidate.set(best.subarray(0, at));
      candidate.set(best.subarray(at + chunk), at);
      tries++;
      const v = await judge(run, codes, candidate);
      if (!v.ok && v.kind === kind) best = candidate;
      else at += chunk;
    }
  }
  return best;
}

/** A saved failing input. */
export interface RegressionCase {
  readonly target: string;
  /** The input, hex. */
  readonly input: string;
  /** How it failed when found. */
  readonly failure: string;
  readonly found: string;
  /** File name (set when loaded). */
  readonly file?: string;
}

/** Saves a failing input as `regressions/<target>-<sha256 prefix>.json`; returns the file name. */
export function saveCase(target: string, input: Uint8Array, failure: string): string {
  mkdirSync(REGRESSIONS_DIR, { recursive: true });
  const id = createHash('sha256').update(input).digest('hex').slice(0, 12);
  const file = `${target}-${id}.json`;
  const c: RegressionCase = { target, input: toHex(input), failure, found: new Date().toISOString() };
  writeFileSync(join(REGRESSIONS_DIR, file), JSON.stringify(c, null, 2) + '\n');
  return file;
}

/** Every saved case, sorted by file name. */
export function loadCases(): Array<RegressionCase & { readonly bytes: Uint8Array }> {
  let files: string[];
  try {
    files = readdirSync(REGRESSIONS_DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.sort().map((file) => {
    const c = JSON.parse(readFileSync(join(REGRESSIONS_DIR, file), 'utf8')) as RegressionCase;
    return { ...c, file, bytes: fromHex(c.input) };
  });
}
