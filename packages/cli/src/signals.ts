/** Waiting for the end of a long-running command (`serve`, `sim serve`). */

/** Resolves with the name of the first SIGINT or SIGTERM; the listeners are removed again. */
export function untilSignal(): Promise<'SIGINT' | 'SIGTERM'> {
  return new Promise((resolve) => {
    const onInt = (): void => {
      done('SIGINT');
    };
    const onTerm = (): void => {
      done('SIGTERM');
    };
    const done = (sig: 'SIGINT' | 'SIGTERM'): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(sig);
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}
