/** Strict parsing of DER UTCTime / GeneralizedTime (RFC 5280 §4.1.2.5). */
import { pkiError } from '../errors.ts';
import { Tag, type Tlv } from './reader.ts';

const latin1 = new TextDecoder('latin1');

/** Two ASCII digits at `p` as a number, or -1 when either is not a digit. */
function two(buf: Uint8Array, p: number): number {
  const a = buf[p]! - 0x30;
  const b = buf[p + 1]! - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Decodes a UTCTime or GeneralizedTime TLV to a Date. Only the `Z` forms with seconds are accepted.
 * The digits are read from the bytes (a latin1 decode and a regular expression per time cost more
 * than the rest of the check); the string is decoded only to name a bad value in the error.
 */
export function readTime(buf: Uint8Array, tlv: Tlv): Date {
  const p = tlv.valueStart;
  const len = tlv.end - p;
  if (tlv.tag === Tag.UTC_TIME) {
    const f = len === 13 && buf[p + 12] === 0x5a ? fields(buf, p, 6) : undefined;
    if (f === undefined) throw pkiError('time_malformed', `bad UTCTime: ${text(buf, tlv)}`);
    const yy = f[0]!;
    return build(yy >= 50 ? 1900 + yy : 2000 + yy, f, buf, tlv);
  }
  if (tlv.tag === Tag.GENERALIZED_TIME) {
    const f = len === 15 && buf[p + 14] === 0x5a ? fields(buf, p + 2, 6) : undefined;
    const cc = two(buf, p);
    if (f === undefined || cc < 0) throw pkiError('time_malformed', `bad GeneralizedTime: ${text(buf, tlv)}`);
    return build(cc * 100 + f[0]!, f, buf, tlv);
  }
  throw pkiError('der_unexpected_tag', 'expected UTCTime or GeneralizedTime');
}

/** `count` two-digit fields from `p`, or undefined when any is not two digits. */
function fields(buf: Uint8Array, p: number, count: number): number[] | undefined {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const v = two(buf, p + 2 * i);
    if (v < 0) return undefined;
    out[i] = v;
  }
  return out;
}

const text = (buf: Uint8Array, tlv: Tlv): string => latin1.decode(buf.subarray(tlv.valueStart, tlv.end));

/** The Date of `[yy, MM, dd, hh, mm, ss]` in `year`, refusing impossible dates and times. */
function build(year: number, f: ReadonlyArray<number>, buf: Uint8Array, tlv: Tlv): Date {
  const [, mo, d, h, mi, se] = f as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, se));
  // Date.UTC reads years 0–99 as 1900–1999 (ECMA-262 MakeFullYear); a GeneralizedTime can carry
  // them (X.680 §46: four-digit year), so set the year again, with the month and day.
  if (year < 100) date.setUTCFullYear(year, mo - 1, d);
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) {
    throw pkiError('time_malformed', `impossible date: ${text(buf, tlv)}`);
  }
  return date;
}
