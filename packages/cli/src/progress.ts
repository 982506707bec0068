/**
 * Progress bars for long work (docs/conventions.md §14), on stderr so that stdout stays clean for data and
 * `--json`. Shown when stderr is a terminal; `WATASHI_PROGRESS=always` also writes them (one line
 * per update) to a pipe or file, `WATASHI_PROGRESS=never` turns them off.
 */
import cliProgress from 'cli-progress';

/** A running progress indicator. */
export interface Progress {
  /** Sets the current value (and the total, when it became known). */
  update(value: number, total?: number): void;
  /** Adds one. */
  increment(): void;
  /** Renders the last state and ends the bar. */
  stop(): void;
}

/** Starts a bar labelled `label` counting to `total` `unit`s. */
export function startProgress(label: string, total: number, unit = ''): Progress {
  const mode = process.env['WATASHI_PROGRESS'] ?? 'auto';
  if (mode === 'never') return { update: () => undefined, increment: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total}${unit === '' ? '' : ` ${unit}`}`,
    stream: process.stderr,
    noTTYOutput: mode === 'always',
    notTTYSchedule: 1000,
    barsize: 30,
    hideCursor: false,
    // gracefulExit would install SIGINT/SIGTERM listeners and so stop Ctrl-C from ending the command.
    gracefulExit: false,
  });
  bar.start(total, 0);
  return {
    update(value, newTotal) {
      if (newTotal !== undefined) bar.setTotal(newTotal);
      bar.update(value);
    },
    increment() {
      bar.increment();
    },
    stop() {
      bar.stop();
    },
  };
}
