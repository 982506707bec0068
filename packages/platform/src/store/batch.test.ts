// The Batcher: concurrent items go together, results go back to their own callers, a lone item
// is sent at once, and a failing batch falls back to one item at a time.
import { describe, expect, it } from 'vitest';
import { Batcher } from './batch.ts';

/** A runner that records its batches and answers after `release()`. */
function gated() {
  const batches: number[][] = [];
  const gates: Array<() => void> = [];
  const run = async (items: readonly number[]): Promise<number[]> => {
    batches.push([...items]);
    await new Promise<void>((r) => gates.push(r));
    return items.map((i) => i * 10);
  };
  const release = async (): Promise<void> => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
  };
  return { batches, run, release };
}

describe('Batcher', () => {
  it('ok-lone-item-goes-at-once-then-waiting-items-go-together', async () => {
    const g = gated();
    const b = new Batcher(g.run);
    const first = b.load(1);
    expect(g.batches).toEqual([[1]]); // sent synchronously, no timer
    const rest = [b.load(2), b.load(3), b.load(4)];
    expect(g.batches).toHaveLength(1); // waiting for the batch in flight
    await g.release();
    expect(await first).toBe(10);
    await g.release();
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(g.batches).toEqual([[1], [2, 3, 4]]);
    expect(b.stats).toEqual({ batches: 2, items: 4 });
  });

  it('ok-load-many-sends-its-items-in-one-batch', async () => {
    const g = gated();
    const b = new Batcher(g.run);
    const all = b.loadMany([1, 2, 3]);
    expect(g.batches).toEqual([[1, 2, 3]]); // not the first alone and the rest after it
    await g.release();
    expect(await all).toEqual([10, 20, 30]);
    expect(await b.loadMany([])).toEqual([]);
  });

  it('ok-max-batch-and-max-in-flight', async () => {
    const g = gated();
    const b = new Batcher(g.run, { maxBatch: 2, maxInFlight: 2 });
    const all = [1, 2, 3, 4, 5].map((i) => b.load(i));
    expect(g.batches).toEqual([[1], [2]]);
    for (let i = 0; i < 4; i++) await g.release();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
    expect(g.batches.flat().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(Math.max(...g.batches.map((x) => x.length))).toBe(2);
  });

  it('fail-a-bad-item-fails-only-its-own-caller', async () => {
    const seen: number[][] = [];
    let hold: (() => void) | undefined;
    const b = new Batcher<number, number>(async (items) => {
      seen.push([...items]);
      if (items.length === 1 && items[0] === 0) await new Promise<void>((r) => (hold = r));
      if (items.includes(13)) throw new Error(`bad item 13`);
      return items.map((i) => i + 1);
    });
    const first = b.load(0);
    const batch = [b.load(12), b.load(13), b.load(14)];
    hold!();
    expect(await first).toBe(1);
    const settled = await Promise.allSettled(batch);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[0] as PromiseFulfilledResult<number>).value).toBe(13);
    expect(String((settled[1] as PromiseRejectedResult).reason)).toContain('bad item 13');
    expect(seen).toEqual([[0], [12, 13, 14], [12], [13], [14]]);
  });

  it('fail-a-runner-answering-the-wrong-count-rejects', async () => {
    const b = new Batcher<number, number>(() => Promise.resolve([]));
    await expect(b.load(1)).rejects.toThrow(/0 results for 1 items/);
  });

  it('fail-bad-options', () => {
    expect(() => new Batcher(() => Promise.resolve([]), { maxBatch: 0 })).toThrow(RangeError);
    expect(() => new Batcher(() => Promise.resolve([]), { maxInFlight: 1.5 })).toThrow(RangeError);
  });
});
