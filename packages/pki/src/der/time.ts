/** Strict parsing of DER UTCTime / GeneralizedTime (RFC 5280 §4.1.2.5). */
import { pkiError } from '../errors.ts';
import { readTlv, Tag, type Tlv } from './reader.ts';

const latin1 = new TextDecoder('latin1');

/** Decodes a UTCTime or GeneralizedTime TLV to a Date. Only the `Z` forms with seconds are accepted. */
export function readTime(buf: Uint8Array, tlv: Tlv): Date {
  const s = latin1.decode(buf.subarray(tlv.valueStart, tlv.end));
  let m: RegExpExecArray | null;
  if (tlv.tag === Tag.UTC_TIME) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (!m) throw pkiError('time_malformed', `bad UTCTime: ${s}`);
    const yy = Number(m[1]);
    return build(yy >= 50 ? 1900 + yy : 2000 + yy, m, s);
  }
  if (tlv.tag === Tag.GENERALIZED_TIME) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (!m) throw pkiError('time_malformed', `bad GeneralizedTime: ${s}`);
    return build(Number(m[1]), m, s);
  }
  throw pkiError('der_unexpected_tag', 'expected UTCTime or GeneralizedTime');
}

function build(year: number, m: RegExpExecArray, s: string): Date {
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const se = Number(m[6]);
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, se));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) {
    throw pkiError('time_malformed', `impossible date: ${s}`);
  }
  return date;
}

/** Reads the time TLV at `offset`. */
export function readTimeAt(buf: Uint8Array, offset: number, limit?: number): { date: Date; tlv: Tlv } {
  const t = readTlv(buf, offset, limit);
  return { date: readTime(buf, t), tlv: t };
}
