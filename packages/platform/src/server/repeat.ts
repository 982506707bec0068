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
): () => Promise<void> {
  const stopped = new AbortController();
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running !== undefined) return;
    running = task(stopped.signal)
      .catch(onError)
      .finally(() => (running = undefined));
  }, intervalSeconds * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    stopped.abort();
    await running;
  };
}
