/**
 * `npm run fuzz` — the long fuzz run (issue 21). Every target of test/fuzz/targets.ts gets a share
 * of FUZZ_RUNS inputs (default 1,000,000, by the target's weight), one target at a time in a
 * worker thread; then each round trip gets FUZZ_ROUNDTRIP_RUNS cases (default 2,000). Each
 * distinct failure is minimised and saved as a regression case under test/fuzz/regressions/,
 * which the normal suite replays. A target whose worker makes no progress for FUZZ_HANG_SECONDS
 * (default 60) is stopped and the input it hung on is saved.
 *
 *   npm run fuzz                                  # everything, random seed
 *   FUZZ_RUNS=50000 FUZZ_TARGETS=crl,cms FUZZ_SEED=7 npm run fuzz
 *
 * Exits 1 when anything failed. Prints one line per target: inputs, seconds, inputs/s, failures.
 */
import { Worker } from 'node:worker_threads';
import { saveCase } from '../test/fuzz/harness.ts';
import { ROUND_TRIPS } from '../test/fuzz/roundtrip.ts';
import { TARGETS } from '../test/fuzz/targets.ts';
import type { WorkerJob, WorkerResult } from '../test/fuzz/worker.ts';
import { fromHex } from '@watashi/pki';

const env = process.env;
const TOTAL = Number(env['FUZZ_RUNS'] ?? 1_000_000);
const RT_RUNS = Number(env['FUZZ_ROUNDTRIP_RUNS'] ?? 2_000);
const SEED = Number(env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const HANG_MS = Number(env['FUZZ_HANG_SECONDS'] ?? 60) * 1000;
const only = env['FUZZ_TARGETS']?.split(',').map((x) => x.trim());
const MAX_INPUT = 1 << 20;

const targets = TARGETS.filter((t) => !only || only.includes(t.name));
const trips = ROUND_TRIPS.filter((r) => !only || only.includes(r.name));
const weights = targets.reduce((a, t) => a + t.weight, 0);

interface Line {
  name: string;
  runs: number;
  seconds: number;
  slowestMs: number;
  failures: string[];
}

function runJob(kind: WorkerJob['kind'], name: string, runs: number): Promise<Line> {
  const shared = new SharedArrayBuffer(8 + MAX_INPUT);
  const head = new Int32Array(shared, 0, 2);
  const job: WorkerJob = { kind, name, runs, seed: SEED, shared };
  // Node 20 does not run the parent's --import hooks in a worker: register tsx there first.
  const entry = JSON.stringify(new URL('../test/fuzz/worker.ts', import.meta.url).href);
  const worker = new Worker(
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); })`,
    { eval: true, workerData: job },
  );
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let last = -1;
    let lastChange = performance.now();
    const watchdog = setInterval(() => {
      const now = Atomics.load(head, 0);
      if (now !== last) {
        last = now;
        lastChange = performance.now();
        return;
      }
      if (performance.now() - lastChange < HANG_MS) return;
      clearInterval(watchdog);
      const input = new Uint8Array(shared, 8, Atomics.load(head, 1)).slice();
      const file = saveCase(name, input, `hang: no progress in ${HANG_MS / 1000} s`);
      void worker.terminate();
      resolve({
        name,
        runs: now,
        seconds: (performance.now() - started) / 1000,
        slowestMs: HANG_MS,
        failures: [`hang → ${file}`],
      });
    }, 1000);
    worker.once('message', (r: WorkerResult) => {
      clearInterval(watchdog);
      const failures = r.failures.map((f) => {
        const file =
          kind === 'target' ? saveCase(name, fromHex(f.input), f.message) : '(not saved: a round trip)';
        return `${f.kind} → ${file}\n      ${f.message}`;
      });
      void worker.terminate();
      resolve({ name, runs: r.runs, seconds: r.ms / 1000, slowestMs: r.slowestMs, failures });
    });
    worker.once('error', (e: unknown) => {
      clearInterval(watchdog);
      reject(e instanceof Error ? e : new Error(String(e)));
    });
  });
}

console.log(
  `fuzz: ${TOTAL} inputs over ${targets.length} targets, ${RT_RUNS} cases per round trip, seed ${SEED}`,
);
const lines: Line[] = [];
const print = (l: Line): void => {
  console.log(
    `${l.name.padEnd(28)} ${String(l.runs).padStart(9)} inputs ${l.seconds.toFixed(1).padStart(7)} s ` +
      `${String(Math.round(l.runs / Math.max(l.seconds, 1e-3))).padStart(7)}/s  slowest ${l.slowestMs.toFixed(1)} ms  ` +
      `${l.failures.length ? `FAILED ${l.failures.length}` : 'ok'}`,
  );
  for (const f of l.failures) console.log(`    ${f}`);
};
for (const t of targets) {
  const l = await runJob('target', t.name, Math.max(1, Math.round((TOTAL * t.weight) / weights)));
  lines.push(l);
  print(l);
}
for (const r of trips) {
  const l = await runJob('roundtrip', r.name, RT_RUNS);
  lines.push(l);
  print(l);
}
const runs = lines.reduce((a, l) => a + l.runs, 0);
const seconds = lines.reduce((a, l) => a + l.seconds, 0);
const failed = lines.reduce((a, l) => a + l.failures.length, 0);
console.log(`total: ${runs} inputs in ${seconds.toFixed(0)} s, ${failed} failure(s), seed ${SEED}`);
process.exitCode = failed ? 1 : 0;
