/**
 * Injectable clock (docs/conventions.md §8). The simulator runs on system time, a fixed time (tests move it
 * explicitly) or system time plus an offset (to simulate a later date against real timers).
 */
import type { SimConfig } from './config.ts';

/** Source of "now" for every validity and scheduling decision of the simulator. */
export interface Clock {
  /** The current simulator time. */
  now(): Date;
}

/** A clock tests can move. */
export interface ManualClock extends Clock {
  /** Sets the time. */
  set(at: Date): void;
  /** Moves the time forward by `ms`. */
  advance(ms: number): void;
}

/** System time. */
export const systemClock = (): Clock => ({ now: () => new Date() });

/** System time plus a fixed offset in milliseconds. */
export const offsetClock = (offsetMs: number): Clock => ({ now: () => new Date(Date.now() + offsetMs) });

/** A frozen clock that only moves when told to. */
export function fixedClock(at: Date): ManualClock {
  let t = at.getTime();
  return {
    now: () => new Date(t),
    set: (d) => {
      t = d.getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

/** The clock described by the configuration. */
export function clockFromConfig(c: SimConfig['clock']): Clock {
  switch (c.mode) {
    case 'system':
      return systemClock();
    case 'fixed':
      return fixedClock(new Date(c.at));
    case 'offset':
      return offsetClock(c.offsetMs);
  }
}
