// The pipeline runner and the order rule it lets a test check (docs/conventions.md §5).
import { describe, expect, it } from 'vitest';
import { firstCostBeforePossession, runSteps, step } from './pipeline.ts';

describe('runSteps', () => {
  it('ok-runs-steps-in-table-order-over-one-state', async () => {
    const s = await runSteps<{ seen: string[] }>(
      [
        step('a', 'pure', (x) => void x.seen.push('a')),
        step('b', 'reads', (x) => Promise.resolve(void x.seen.push('b'))),
      ],
      { seen: [] },
    );
    expect(s.seen).toEqual(['a', 'b']);
  });

  it('ok-done-ends-the-pipeline-early', async () => {
    const s = await runSteps<{ seen: string[] }>(
      [
        step('a', 'pure', (x) => (x.seen.push('a'), 'done')),
        step('b', 'writes', (x) => void x.seen.push('b')),
      ],
      { seen: [] },
    );
    expect(s.seen).toEqual(['a']);
  });

  it('fail-a-throwing-step-stops-the-rest', async () => {
    const seen: string[] = [];
    await expect(
      runSteps(
        [
          step('a', 'pure', () => {
            throw new Error('no');
          }),
          step('b', 'writes', () => void seen.push('b')),
        ],
        {},
      ),
    ).rejects.toThrow('no');
    expect(seen).toEqual([]);
  });
});

describe('firstCostBeforePossession', () => {
  it('ok-possession-first', () => {
    expect(
      firstCostBeforePossession([
        { name: 'shape', effect: 'pure' },
        { name: 'nonce', effect: 'reads' },
        { name: 'sig', effect: 'proves-possession' },
        { name: 'jlis', effect: 'billed' },
        { name: 'commit', effect: 'writes' },
      ]),
    ).toBeUndefined();
  });

  it('fail-billed-before-possession-is-named', () => {
    expect(
      firstCostBeforePossession([
        { name: 'jlis', effect: 'billed' },
        { name: 'sig', effect: 'proves-possession' },
      ]),
    ).toBe('jlis');
  });

  it('fail-write-without-any-possession-is-named', () => {
    expect(firstCostBeforePossession([{ name: 'commit', effect: 'writes' }])).toBe('commit');
  });
});
