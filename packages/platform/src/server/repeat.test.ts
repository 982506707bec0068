// repeatEvery: never two runs at once, errors reported, stop aborts the run and waits for it.
import { describe, expect, it } from 'vitest';
import { repeatEvery } from './repeat.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits (up to 10 s) until `cond` holds: ticks may come late on a busy machine. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await sleep(10);
  expect(cond()).toBe(true);
}

describe('repeatEvery', () => {
  it('ok-a-tick-during-a-run-is-skipped-and-stop-waits-for-the-run-with-its-signal-aborted', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    let release: (() => void) | undefined;
    let seen: AbortSignal | undefined;
    const stop = repeatEvery(
      0.005,
      async (signal) => {
        runs++;
        active++;
        most = Math.max(most, active);
        seen = signal;
        await new Promise<void>((r) => (release = r));
        active--;
      },
      () => undefined,
    );
    await until(() => runs === 1);
    await sleep(60); // a dozen more ticks while the first run waits
    expect(runs).toBe(1);
    let stopped = false;
    const stopping = stop().then(() => (stopped = true));
    await sleep(10);
    expect(seen?.aborted).toBe(true);
    expect(stopped).toBe(false); // still waiting for the run in progress
    release!();
    await stopping;
    expect(most).toBe(1);
    await sleep(30);
    expect(runs).toBe(1); // no run after stop
  });

  it('fail-a-rejected-run-goes-to-onError-and-the-next-tick-runs-again', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const stop = repeatEvery(
      0.005,
      () => {
        runs++;
        return Promise.reject(new Error(`run ${runs}`));
      },
      (e) => errors.push(e),
    );
    await until(() => runs >= 2);
    await stop();
    expect(errors.length).toBe(runs);
    expect(String(errors[0])).toContain('run 1');
  });
});
