/** Option parsers and the global `--sim` option shared by the commands. */
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_SIM_URL } from './http.ts';

/** Parses `--sim`: an http(s) URL. A malformed one is a usage error (exit 2). */
export function parseSimUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidArgumentError(`not a URL: ${JSON.stringify(value)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new InvalidArgumentError(`expected an http or https URL, not ${u.protocol}`);
  return value;
}

/** The simulator URL a command talks to: `--sim`, else `WATASHI_SIM_URL`, else `http://127.0.0.1:8790`. */
export function simUrlOf(cmd: Command): string {
  return cmd.optsWithGlobals<{ sim?: string }>().sim ?? DEFAULT_SIM_URL;
}

/** An argument parser for integers in [min, max] (usage error otherwise). */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${String(min)} to ${String(max)}`);
    return n;
  };
}

/** An argument parser for a `YYYY-MM-DD` calendar date. */
export function isoDate(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const d = m ? new Date(`${value}T00:00:00Z`) : undefined;
  if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value)
    throw new InvalidArgumentError('expected a date YYYY-MM-DD');
  return value;
}

/** An argument parser for a `YYYY-MM` month. */
export function isoMonth(value: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) throw new InvalidArgumentError('expected a month YYYY-MM');
  return value;
}
