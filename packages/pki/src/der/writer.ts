/**
 * DER encoders (X.690 §10). Every function returns the complete TLV as a fresh `Uint8Array`;
 * compose them by nesting. Kept small and allocation-light: `tlv` computes the length once and
 * copies each part once.
 */
import { encodeOidContent } from './oid.ts';
import { Tag } from './reader.ts';

/** Encodes a definite length (X.690 §8.1.3, minimal form). */
export function encodeLength(len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(len);
  const bytes: number[] = [];
  let n = len;
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Uint8Array.from([0x80 | bytes.length, ...bytes]);
}

/** Concatenates byte arrays. */
export function concat(...parts: ReadonlyArray<Uint8Array>): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A TLV with identifier octet `tag` (≤ 0xff) over the concatenation of `parts`. */
export function tlv(tag: number, ...parts: ReadonlyArray<Uint8Array>): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const len = encodeLength(n);
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  let o = 1 + len.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** SEQUENCE { parts… } */
export const seq = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => tlv(Tag.SEQUENCE, ...parts);

/** SET OF with DER ordering (X.690 §11.6: elements sorted by their encodings). */
export function setOf(...parts: ReadonlyArray<Uint8Array>): Uint8Array {
  const sorted = [...parts].sort(compareBytes);
  return tlv(Tag.SET, ...sorted);
}

/** Lexicographic byte comparison (shorter prefix first). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Minimal two's-complement content octets for an integer. */
export function integerContent(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  if (v === 0n) return Uint8Array.of(0);
  const bytes: number[] = [];
  if (v > 0n) {
    while (v > 0n) {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    }
    if (bytes[0]! & 0x80) bytes.unshift(0);
  } else {
    while (v < -1n || bytes.length === 0 || (bytes[0]! & 0x80) === 0) {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
      if (v === -1n && (bytes[0]! & 0x80) !== 0) break;
    }
  }
  return Uint8Array.from(bytes);
}

/** INTEGER from a number/bigint, or from unsigned big-endian magnitude bytes (e.g. an RSA modulus or a serial). */
export function int(value: bigint | number | Uint8Array): Uint8Array {
  if (value instanceof Uint8Array) {
    let i = 0;
    while (i < value.length - 1 && value[i] === 0) i++;
    const mag = value.subarray(i);
    return (mag[0] ?? 0) & 0x80
      ? tlv(Tag.INTEGER, Uint8Array.of(0), mag)
      : tlv(Tag.INTEGER, mag.length ? mag : Uint8Array.of(0));
  }
  return tlv(Tag.INTEGER, integerContent(value));
}

/** ENUMERATED */
export const enumerated = (value: number): Uint8Array => tlv(Tag.ENUMERATED, integerContent(value));
/** OBJECT IDENTIFIER */
export const oid = (dotted: string): Uint8Array => tlv(Tag.OID, encodeOidContent(dotted));
/** NULL */
export const nul = (): Uint8Array => Uint8Array.of(0x05, 0x00);
/** BOOLEAN (DER: 0xFF for true) */
export const bool = (v: boolean): Uint8Array => Uint8Array.of(0x01, 0x01, v ? 0xff : 0x00);
/** OCTET STRING */
export const octets = (v: Uint8Array): Uint8Array => tlv(Tag.OCTET_STRING, v);
/** BIT STRING with `unusedBits` unused bits in the last octet. */
export const bitString = (v: Uint8Array, unusedBits = 0): Uint8Array =>
  tlv(Tag.BIT_STRING, Uint8Array.of(unusedBits), v);

const utf8Encoder = new TextEncoder();
/** UTF8String */
export const utf8 = (s: string): Uint8Array => tlv(Tag.UTF8_STRING, utf8Encoder.encode(s));
/** PrintableString (caller guarantees the character set; checked). */
export function printable(s: string): Uint8Array {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s))
    throw new RangeError(`not a PrintableString: ${JSON.stringify(s)}`);
  return tlv(Tag.PRINTABLE_STRING, utf8Encoder.encode(s));
}
/** IA5String (ASCII). */
export function ia5(s: string): Uint8Array {
  if (!/^[\x00-\x7f]*$/.test(s)) throw new RangeError('not an IA5String');
  return tlv(Tag.IA5_STRING, utf8Encoder.encode(s));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** UTCTime `YYMMDDhhmmssZ` (RFC 5280 §4.1.2.5.1: years 1950–2049). */
export function utcTime(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  if (y < 1950 || y > 2049) throw new RangeError('UTCTime covers 1950–2049');
  const s = `${pad(y % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return tlv(Tag.UTC_TIME, utf8Encoder.encode(s));
}

/** GeneralizedTime `YYYYMMDDhhmmssZ` (RFC 5280 §4.1.2.5.2: no fractional seconds). */
export function generalizedTime(d: Date): Uint8Array {
  const s = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return tlv(Tag.GENERALIZED_TIME, utf8Encoder.encode(s));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export const x509Time = (d: Date): Uint8Array =>
  d.getUTCFullYear() < 2050 ? utcTime(d) : generalizedTime(d);

/** `[n] EXPLICIT inner` */
export const explicit = (n: number, ...inner: ReadonlyArray<Uint8Array>): Uint8Array =>
  tlv(0xa0 | n, ...inner);

/**
 * `[n] IMPLICIT` re-tagging of an already-encoded TLV: replaces its identifier octet, keeping the
 * constructed bit of the original (X.690 §8.14.3).
 */
export function implicit(n: number, encoded: Uint8Array): Uint8Array {
  const out = encoded.slice();
  out[0] = (encoded[0]! & 0x20) | 0x80 | n;
  return out;
}
