// repeatEvery: never two runs at once, errors reported, stop aborts the run and waits for it.
// The ticks come from a hand-driven ticker, so the test waits for nothing but promises.
import { describe, expect, it } from 'vitest';
import { repeatEvery } from './repeat.ts';
import type { Ticker } from './repeat.ts';

/** A ticker the test drives: `tick()` fires the timer once (nothing happens after `cancel`). */
function manualTicker(): {
  ticker: Ticker;
  tick: () => void;
  ms: () => number | undefined;
  cancelled: () => boolean;
} {
  let fire: (() => void) | undefined;
  let interval: number | undefined;
  let cancelled = false;
  return {
    ticker: (tick, ms) => {
      fire = tick;
      interval = ms;
      return () => (cancelled = true);
    },
    tick: () => {
      if (!cancelled) fire?.();
    },
    ms: () => interval,
    cancelled: () => cancelled,
  };
}

/** Lets the microtask queue drain (a rejected run's catch/finally). */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('repeatEvery', () => {
  it('ok-a-tick-during-a-run-is-skipped-and-stop-waits-for-the-run-with-its-signal-aborted', async () => {
    const clock = manualTicker();
    let active = 0;
    let most = 0;
    let runs = 0;
    let release: (() => void) | undefined;
    let seen: AbortSignal | undefined;
    const stop = repeatEvery(
      5,
      async (signal) => {
        runs++;
        active++;
        most = Math.max(most, active);
        seen = signal;
        await new Promise<void>((r) => (release = r));
        active--;
      },
      () => undefined,
      clock.ticker,
    );
    expect(clock.ms()).toBe(5000);
    expect(runs).toBe(0); // nothing before the first tick
    clock.tick();
    expect(runs).toBe(1);
    for (let i = 0; i < 12; i++) clock.tick(); // a dozen more ticks while the first run waits
    expect(runs).toBe(1);
    let stopped = false;
    const stopping = stop().then(() => (stopped = true));
    await settle();
    expect(clock.cancelled()).toBe(true);
    expect(seen?.aborted).toBe(true);
    expect(stopped).toBe(false); // still waiting for the run in progress
    release!();
    await stopping;
    expect(most).toBe(1);
    clock.tick();
    expect(runs).toBe(1); // no run after stop
  });

  it('fail-a-rejected-run-goes-to-onError-and-the-next-tick-runs-again', async () => {
    const clock = manualTicker();
    const errors: unknown[] = [];
    let runs = 0;
    const stop = repeatEvery(
      5,
      () => {
        runs++;
        return Promise.reject(new Error(`run ${runs}`));
      },
      (e) => errors.push(e),
      clock.ticker,
    );
    clock.tick();
    await settle();
    clock.tick();
    await settle();
    await stop();
    expect(runs).toBe(2);
    expect(errors.length).toBe(2);
    expect(String(errors[0])).toContain('run 1');
    expect(String(errors[1])).toContain('run 2');
  });
});
