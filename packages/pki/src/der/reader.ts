/**
 * A zero-copy DER reader (ITU-T X.690 §8, §10). It walks TLVs over a `Uint8Array` without building
 * an object tree: a {@link Tlv} is four integers into the original buffer. This is what lets the
 * streaming CRL reader handle millions of entries (docs/performance.md §4) and keeps certificate parsing cheap.
 *
 * Strictness: definite lengths only, minimal length encoding (X.690 §10.1), single-byte tags for
 * universal/context classes up to 30 plus high-tag-number form; anything else is `der_malformed`.
 */
import { pkiError } from '../errors.ts';

/** One TLV located in a buffer. `tag` is the full identifier octet (class | constructed | number) for low tag numbers. */
export interface Tlv {
  /** Identifier octet(s) folded into one number: for tag numbers ≤ 30 this is the raw first octet. */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly valueStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

/** Universal tags used across the toolkit (identifier octets). */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag `[n]`, constructed (EXPLICIT or constructed IMPLICIT). */
export const ctx = (n: number): number => 0xa0 | n;
/** Context-specific tag `[n]`, primitive (IMPLICIT over a primitive type). */
export const ctxPrim = (n: number): number => 0x80 | n;

/**
 * Reads one TLV at `offset`, bounded by `limit`. Throws `der_malformed` on truncation, indefinite
 * or non-minimal lengths. High tag numbers (low bits 0x1f) are folded as `(first << 24) | number`.
 */
export function readTlv(buf: Uint8Array, offset: number, limit: number = buf.length): Tlv {
  if (offset >= limit) throw pkiError('der_malformed', 'DER: unexpected end of data');
  let p = offset;
  const first = buf[p++]!;
  let tag = first;
  if ((first & 0x1f) === 0x1f) {
    let n = 0;
    for (let i = 0; ; i++) {
      if (p >= limit || i > 3) throw pkiError('der_malformed', 'DER: bad high tag number');
      const b = buf[p++]!;
      n = (n << 7) | (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    tag = ((first << 24) | n) >>> 0;
  }
  if (p >= limit) throw pkiError('der_malformed', 'DER: missing length');
  const l0 = buf[p++]!;
  let len: number;
  if (l0 < 0x80) {
    len = l0;
  } else if (l0 === 0x80) {
    throw pkiError('der_malformed', 'DER: indefinite length is not DER');
  } else {
    const n = l0 & 0x7f;
    if (n > 6) throw pkiError('der_malformed', 'DER: length too large');
    if (p + n > limit) throw pkiError('der_malformed', 'DER: truncated length');
    if (buf[p] === 0) throw pkiError('der_malformed', 'DER: non-minimal length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
    if (len < 0x80) throw pkiError('der_malformed', 'DER: non-minimal length');
  }
  const end = p + len;
  if (end > limit) throw pkiError('der_malformed', 'DER: value runs past the end of its container');
  return { tag, start: offset, valueStart: p, end };
}

/** Sequential reader over the children of one constructed TLV (or a whole buffer). */
export class DerReader {
  private pos: number;
  constructor(
    /** The underlying bytes; TLV offsets refer to this buffer. */
    readonly buf: Uint8Array,
    start = 0,
    /** Offset just past the last byte this reader may consume. */
    readonly limit: number = buf.length,
  ) {
    this.pos = start;
  }

  /** Reader over the content octets of `tlv`. */
  static of(buf: Uint8Array, tlv: Tlv): DerReader {
    return new DerReader(buf, tlv.valueStart, tlv.end);
  }

  /** Current offset. */
  get offset(): number {
    return this.pos;
  }

  /** True when every byte up to `limit` has been consumed. */
  get done(): boolean {
    return this.pos >= this.limit;
  }

  /** The next TLV's tag without consuming it, or -1 at the end. */
  peekTag(): number {
    if (this.pos >= this.limit) return -1;
    return readTlv(this.buf, this.pos, this.limit).tag;
  }

  /** Consumes and returns the next TLV. */
  next(): Tlv {
    const t = readTlv(this.buf, this.pos, this.limit);
    this.pos = t.end;
    return t;
  }

  /** Consumes the next TLV and checks its tag (`der_unexpected_tag` otherwise). */
  expect(tag: number, what = 'element'): Tlv {
    const t = this.next();
    if (t.tag !== tag) {
      throw pkiError(
        'der_unexpected_tag',
        `DER: expected ${what} (tag 0x${tag.toString(16)}), found 0x${t.tag.toString(16)}`,
      );
    }
    return t;
  }

  /** Consumes the next TLV if it has `tag`; otherwise returns undefined and consumes nothing. */
  optional(tag: number): Tlv | undefined {
    if (this.peekTag() !== tag) return undefined;
    return this.next();
  }

  /** Throws `der_malformed` unless every byte has been consumed (no trailing data). */
  end(what = 'structure'): void {
    if (this.pos !== this.limit) throw pkiError('der_malformed', `DER: trailing data after ${what}`);
  }
}

/** The content octets of `tlv` (a view, not a copy). */
export function valueOf(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.valueStart, tlv.end);
}

/** The whole encoding of `tlv` including its header (a view, not a copy). */
export function encodingOf(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.start, tlv.end);
}

/**
 * Parses a single top-level TLV that must span exactly `buf` (no trailing bytes) and returns it.
 * `maxLength` guards callers against oversized input (`der_too_large`).
 */
export function parseTopLevel(buf: Uint8Array, tag: number, what: string, maxLength = 64 * 1024 * 1024): Tlv {
  if (buf.length > maxLength)
    throw pkiError('der_too_large', `${what}: ${buf.length} bytes exceeds the ${maxLength}-byte limit`);
  const t = readTlv(buf, 0, buf.length);
  if (t.tag !== tag)
    throw pkiError(
      'der_unexpected_tag',
      `${what}: expected tag 0x${tag.toString(16)}, found 0x${t.tag.toString(16)}`,
    );
  if (t.end !== buf.length) throw pkiError('der_malformed', `${what}: trailing data after the DER structure`);
  return t;
}

/** Decodes a DER INTEGER's content as a bigint (two's complement). Rejects non-minimal encodings. */
export function readBigInt(buf: Uint8Array, tlv: Tlv): bigint {
  const v = valueOf(buf, tlv);
  if (v.length === 0) throw pkiError('der_malformed', 'DER: empty INTEGER');
  if (v.length > 1 && ((v[0] === 0 && (v[1]! & 0x80) === 0) || (v[0] === 0xff && (v[1]! & 0x80) !== 0))) {
    throw pkiError('der_malformed', 'DER: non-minimal INTEGER');
  }
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  if ((v[0]! & 0x80) !== 0) n -= 1n << BigInt(v.length * 8);
  return n;
}

/** Decodes a small non-negative INTEGER (or ENUMERATED) as a number; `der_malformed` if it does not fit. */
export function readSmallInt(buf: Uint8Array, tlv: Tlv): number {
  // Versions, statuses and reasons are one or two octets: read them without BigInt.
  const len = tlv.end - tlv.valueStart;
  const b0 = buf[tlv.valueStart]!;
  if (len === 1 && b0 < 0x80) return b0;
  if (len === 2 && b0 === 0 && buf[tlv.valueStart + 1]! >= 0x80) return buf[tlv.valueStart + 1]!;
  if (len === 2 && b0 > 0 && b0 < 0x80) return b0 * 256 + buf[tlv.valueStart + 1]!;
  const n = readBigInt(buf, tlv);
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER))
    throw pkiError('der_malformed', 'DER: integer out of range');
  return Number(n);
}

/** Decodes a BOOLEAN (DER: 0x00 or 0xFF only). */
export function readBoolean(buf: Uint8Array, tlv: Tlv): boolean {
  const v = valueOf(buf, tlv);
  if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) throw pkiError('der_malformed', 'DER: bad BOOLEAN');
  return v[0] === 0xff;
}

/** Decodes a BIT STRING; returns the bits (a view) and the count of unused bits. */
export function readBitString(buf: Uint8Array, tlv: Tlv): { bytes: Uint8Array; unusedBits: number } {
  const v = valueOf(buf, tlv);
  if (v.length === 0) throw pkiError('der_malformed', 'DER: empty BIT STRING');
  const unusedBits = v[0]!;
  if (unusedBits > 7 || (v.length === 1 && unusedBits !== 0))
    throw pkiError('der_malformed', 'DER: bad BIT STRING');
  return { bytes: v.subarray(1), unusedBits };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const latin1Decoder = new TextDecoder('latin1');

/** Decodes a character string TLV (UTF8String, PrintableString, IA5String, BMPString, T61String). */
export function readString(buf: Uint8Array, tlv: Tlv): string {
  const v = valueOf(buf, tlv);
  switch (tlv.tag) {
    case Tag.UTF8_STRING:
      try {
        return utf8Decoder.decode(v);
      } catch (cause) {
        throw pkiError('der_malformed', 'DER: invalid UTF-8 in UTF8String', { cause });
      }
    case Tag.PRINTABLE_STRING:
    case Tag.IA5_STRING:
    case Tag.T61_STRING:
      return latin1Decoder.decode(v);
    case Tag.BMP_STRING: {
      if (v.length % 2 !== 0) throw pkiError('der_malformed', 'DER: odd-length BMPString');
      let s = '';
      for (let i = 0; i < v.length; i += 2) s += String.fromCharCode((v[i]! << 8) | v[i + 1]!);
      return s;
    }
    default:
      throw pkiError(
        'der_unexpected_tag',
        `DER: tag 0x${tlv.tag.toString(16)} is not a supported string type`,
      );
  }
}
