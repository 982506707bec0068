/**
 * One target of `npm run fuzz` in a worker thread (scripts/fuzz.ts): runs `runs` inputs, keeps
 * the first input of each distinct failure kind, minimises them and posts the result. Before each
 * input it copies the input into the shared buffer and bumps the shared counter, so the main
 * thread can tell a hang from slow progress and still save the input that hung.
 */
import { parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { toHex } from '@watashi/pki';
import { judge, minimise } from './harness.ts';
import { ROUND_TRIPS } from './roundtrip.ts';
import { samples } from './samples.ts';
import { TARGETS } from './targets.ts';

/** What the main thread sends. */
export interface WorkerJob {
  readonly kind: 'target' | 'roundtrip';
  readonly name: string;
  readonly runs: number;
  readonly seed: number;
  /** Int32 [counter, input length] then the input bytes. */
  readonly shared: SharedArrayBuffer;
}

/** What the worker posts back. */
export interface WorkerResult {
  readonly name: string;
  readonly runs: number;
  readonly ms: number;
  readonly slowestMs: number;
  readonly failures: ReadonlyArray<{
    readonly kind: string;
    readonly message: string;
    readonly input: string;
  }>;
}

const job = workerData as WorkerJob;
const head = new Int32Array(job.shared, 0, 2);
const body = new Uint8Array(job.shared, 8);
const s = await samples();
const t0 = performance.now();
let slowestMs = 0;
let runs = 0;
const failures: Array<{ kind: string; message: string; input: string }> = [];

if (job.kind === 'target') {
  const t = TARGETS.find((x) => x.name === job.name)!;
  const run = await t.prepare(s);
  const found = new Map<string, { message: string; input: Uint8Array }>();
  await fc.check(
    fc.asyncProperty(t.input(s), async (input) => {
      const n = Math.min(input.length, body.length);
      body.set(input.subarray(0, n));
      Atomics.store(head, 1, n);
      Atomics.add(head, 0, 1);
      const start = performance.now();
      const v = await judge(run, t.codes, input);
      slowestMs = Math.max(slowestMs, performance.now() - start);
      runs++;
      if (!v.ok && !found.has(v.kind) && found.size < 20) found.set(v.kind, { message: v.message, input });
      return true;
    }),
    { numRuns: job.runs, seed: job.seed },
  );
  for (const [kind, f] of found) {
    const small = await minimise(run, t.codes, f.input, kind);
    failures.push({ kind, message: f.message, input: toHex(small) });
  }
} else {
  const r = ROUND_TRIPS.find((x) => x.name === job.name)!;
  const property = r.property(s);
  const out = await fc.check(property as fc.IAsyncProperty<unknown>, { numRuns: job.runs, seed: job.seed });
  runs = out.numRuns;
  Atomics.add(head, 0, runs);
  if (out.failed)
    failures.push({
      kind: 'round trip',
      message: `${String(out.errorInstance)} (seed ${out.seed}, path ${out.counterexamplePath ?? ''})`,
      input: toHex(new TextEncoder().encode(fc.stringify(out.counterexample))),
    });
}

const result: WorkerResult = { name: job.name, runs, ms: performance.now() - t0, slowestMs, failures };
parentPort!.postMessage(result);
