/**
 * The fuzz suite's small budget (issue 21): every parser gets a few hundred generated inputs (see
 * targets.ts for the property), every round trip a few dozen, and every saved regression case
 * (regressions/, written by `npm run fuzz`) is replayed. The seed is fixed so a run is
 * reproducible; FUZZ_SEED and FUZZ_QUICK_RUNS change it and the budget.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { judge, loadCases } from './harness.ts';
import { ROUND_TRIPS } from './roundtrip.ts';
import { samples, type Samples } from './samples.ts';
import { TARGETS } from './targets.ts';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261207);
const RUNS = Number(process.env['FUZZ_QUICK_RUNS'] ?? 100);

let s: Samples;
beforeAll(async () => {
  s = await samples();
});

describe('fuzz: parsers throw only WatashiErrors of their union', () => {
  for (const t of TARGETS) {
    it(`ok-${t.name}`, async () => {
      const run = await t.prepare(s);
      await fc.assert(
        fc.asyncProperty(t.input(s), async (input) => {
          const v = await judge(run, t.codes, input);
          if (!v.ok) throw new Error(v.message);
        }),
        { numRuns: Math.max(5, Math.round(RUNS * (t.quick ?? 1))), seed: SEED },
      );
    });
  }
});

describe('fuzz: round trips', () => {
  for (const r of ROUND_TRIPS) {
    it(`ok-${r.name}`, async () => {
      await fc.assert(r.property(s), { numRuns: Math.max(10, Math.round(RUNS / 4 / r.cost)), seed: SEED });
    });
  }
});

describe('fuzz: regression cases', () => {
  const cases = loadCases();
  it('ok-every case names a target', () => {
    const names = new Set(TARGETS.map((t) => t.name));
    expect(cases.filter((c) => !names.has(c.target)).map((c) => c.file)).toEqual([]);
  });
  it.each(cases.map((c) => [c.file, c] as const))('ok-replay %s', async (_file, c) => {
    const t = TARGETS.find((x) => x.name === c.target)!;
    const v = await judge(await t.prepare(s), t.codes, c.bytes);
    expect(v).toEqual({ ok: true });
  });
});
