/**
 * Starts a repeating timer that calls `tick` every `ms` and returns the function that cancels it.
 * The default is Node's `setInterval`, unref'd so that it does not keep the process alive; tests
 * pass their own so that a tick happens when the test says, not after a real wait.
 */
export type Ticker = (tick: () => void, ms: number) => () => void;

/** Node's `setInterval`, unref'd (the timer does not keep the process alive). */
export const intervalTicker: Ticker = (tick, ms) => {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * Runs `task` every `intervalSeconds` on this instance (housekeeping, event delivery, the sweep
 * schedule), never two runs at once: a tick that comes while the previous run is still going is
 * skipped. The timer does not keep the process alive. A run's rejection goes to `onError`.
 *
 * Returns `stop`: no further runs, the signal the task was given aborts, and it resolves once a
 * run in progress has finished — so the caller can close the database after it.
 */
export function repeatEvery(
  intervalSeconds: number,
  task: (signal: AbortSignal) => Promise<unknown>,
  onError: (e: unknown) => void,
  ticker: Ticker = intervalTicker,
): () => Promise<void> {
  const stopped = new AbortController();
  let running: Promise<unknown> | undefined;
  const cancel = ticker(() => {
    if (running !== undefined || stopped.signal.aborted) return;
    running = task(stopped.signal)
      .catch(onError)
      .finally(() => (running = undefined));
  }, intervalSeconds * 1000);
  return async () => {
    cancel();
    stopped.abort();
    await running;
  };
}
