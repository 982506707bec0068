/**
 * X.509 v2 CRL issuance (RFC 5280 §5):
 *
 * ```asn1
 * CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm AlgorithmIdentifier,
 *                                signatureValue BIT STRING }
 * TBSCertList ::= SEQUENCE {
 *   version Version OPTIONAL (v2), signature AlgorithmIdentifier, issuer Name,
 *   thisUpdate Time, nextUpdate Time OPTIONAL,
 *   revokedCertificates SEQUENCE OF SEQUENCE {
 *     userCertificate CertificateSerialNumber, revocationDate Time,
 *     crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
 *   crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 * ```
 *
 * Entries are written straight into one growing byte buffer (no per-entry arrays), so a CRL of a
 * million entries builds in a fraction of a second (docs/performance.md anchor A8: ≤ 2 s per million). The
 * pieces are exported ({@link RevokedEntriesEncoder}, {@link tbsCertListFrame},
 * {@link certificateListFrame}) so that a CRL too large for memory can be streamed to disk.
 */
import { parseTopLevel, Tag } from '../der/reader.ts';
import { encodeLength, explicit, int, octets, oid, seq, tlv, x509Time, concat } from '../der/writer.ts';
import { OID } from '../der/oid.ts';
import { signatureAlgorithmIdentifier, type SignatureAlgorithm } from '../crypto/algorithms.ts';
import type { Digest, Signer } from '../crypto/provider.ts';
import { keyIdentifier } from '../crypto/key-id.ts';
import { CRL_REASON_CODE, type CrlReason } from './reason.ts';

/** One revoked certificate to list. */
export interface CrlEntry {
  /** Certificate serial number: positive, at most 20 octets (RFC 5280 §4.1.2.2). */
  readonly serial: bigint;
  /** When the CA processed the revocation (RFC 5280 §5.1.2.6). */
  readonly revocationDate: Date;
  /** Reason (RFC 5280 §5.3.1); absent or `unspecified` writes no reasonCode extension. */
  readonly reason?: CrlReason;
  /** When the key is known or suspected to have been compromised (RFC 5280 §5.3.2). */
  readonly invalidityDate?: Date;
}

/** Fields of the TBSCertList other than the entries. */
export interface CrlFrameOptions {
  /** DER of the issuer Name: byte-exact copy of the issuing CA certificate's subject (RFC 5280 §5.1.2.3). */
  readonly issuer: Uint8Array;
  /** The CA's key identifier for authorityKeyIdentifier (RFC 5280 §5.2.1). */
  readonly authorityKeyId: Uint8Array;
  /** Issue date of this CRL (RFC 5280 §5.1.2.4). */
  readonly thisUpdate: Date;
  /** Date by which the next CRL will be issued (RFC 5280 §5.1.2.5: conforming issuers include it). */
  readonly nextUpdate: Date;
  /** Monotonically increasing CRL number (RFC 5280 §5.2.3): non-negative, at most 20 octets. */
  readonly crlNumber: bigint;
  /** Signature algorithm, written into the TBS `signature` field. */
  readonly algorithm: SignatureAlgorithm;
}

interface BuildCrlCommon {
  /** DER of the issuer Name (the CA certificate's subject, byte for byte). */
  readonly issuer: Uint8Array;
  /** thisUpdate. */
  readonly thisUpdate: Date;
  /** nextUpdate. */
  readonly nextUpdate: Date;
  /** cRLNumber. */
  readonly crlNumber: bigint;
  /** Revoked certificates, written in the order given. Serials must be unique (readers reject duplicates). */
  readonly entries: Iterable<CrlEntry>;
  /** The CA key. */
  readonly signer: Signer;
  /** SHA-1 for the key identifier when only `issuerSpki` is given; defaults to WebCrypto. */
  readonly digest?: Digest;
}

/** Options of {@link buildCrl}: the AKI comes from `authorityKeyId`, or is derived from `issuerSpki`. */
export type BuildCrlOptions = BuildCrlCommon &
  (
    | { readonly issuerSpki: Uint8Array; readonly authorityKeyId?: undefined }
    | { readonly authorityKeyId: Uint8Array; readonly issuerSpki?: undefined }
  );

/** Builds and signs an X.509 v2 CRL; returns its DER. */
export async function buildCrl(opts: BuildCrlOptions): Promise<Uint8Array> {
  const authorityKeyId =
    opts.authorityKeyId ??
    (opts.issuerSpki !== undefined ? await keyIdentifier(opts.issuerSpki, opts.digest) : undefined);
  if (authorityKeyId === undefined) throw new TypeError('buildCrl needs issuerSpki or authorityKeyId');
  const hint = Array.isArray(opts.entries) ? (opts.entries as unknown[]).length * 48 : 4096;
  const enc = new RevokedEntriesEncoder(hint);
  for (const e of opts.entries) enc.add(e);
  const revoked = enc.take();
  const frame = tbsCertListFrame(
    {
      issuer: opts.issuer,
      authorityKeyId,
      thisUpdate: opts.thisUpdate,
      nextUpdate: opts.nextUpdate,
      crlNumber: opts.crlNumber,
      algorithm: opts.signer.algorithm,
    },
    revoked.length,
  );
  const tbs = concat(frame.head, revoked, frame.tail);
  const signature = await opts.signer.sign(tbs);
  const outer = certificateListFrame(tbs.length, opts.signer.algorithm, signature);
  return concat(outer.head, tbs, outer.tail);
}

/**
 * The TBSCertList around the revokedCertificates content: `head ‖ entries ‖ tail` is the complete
 * TBSCertList when `entries` is `revokedLength` bytes of encoded entries. With no entries the
 * revokedCertificates field is omitted (RFC 5280 §5.1.2.6: absent when there are none).
 */
export function tbsCertListFrame(
  o: CrlFrameOptions,
  revokedLength: number,
): { head: Uint8Array; tail: Uint8Array } {
  try {
    parseTopLevel(o.issuer, Tag.SEQUENCE, 'issuer Name');
  } catch (cause) {
    throw new TypeError('issuer must be the DER of a Name (a single SEQUENCE)', { cause });
  }
  if (!(o.thisUpdate.getTime() <= o.nextUpdate.getTime()))
    throw new RangeError('nextUpdate must not be before thisUpdate (RFC 5280 §5.1.2.5)');
  if (o.crlNumber < 0n || o.crlNumber >= 1n << 159n)
    throw new RangeError('cRLNumber must be non-negative and fit 20 octets (RFC 5280 §5.2.3)');
  if (o.authorityKeyId.length === 0) throw new RangeError('empty authorityKeyId');
  // RFC 5280 §5.2.1 and §5.2.3: both extensions non-critical.
  const extensions = explicit(
    0,
    seq(
      seq(oid(OID.authorityKeyIdentifier), octets(seq(tlv(0x80, o.authorityKeyId)))),
      seq(oid(OID.cRLNumber), octets(int(o.crlNumber))),
    ),
  );
  const fields = concat(
    Uint8Array.of(Tag.INTEGER, 1, 1), // version v2 (RFC 5280 §5.1.2.1: required with extensions)
    signatureAlgorithmIdentifier(o.algorithm),
    o.issuer,
    x509Time(o.thisUpdate),
    x509Time(o.nextUpdate),
    revokedLength > 0 ? concat(Uint8Array.of(Tag.SEQUENCE), encodeLength(revokedLength)) : new Uint8Array(0),
  );
  const bodyLength = fields.length + revokedLength + extensions.length;
  return { head: concat(Uint8Array.of(Tag.SEQUENCE), encodeLength(bodyLength), fields), tail: extensions };
}

/** The CertificateList around a TBSCertList of `tbsLength` bytes: `head ‖ tbs ‖ tail` is the CRL. */
export function certificateListFrame(
  tbsLength: number,
  algorithm: SignatureAlgorithm,
  signature: Uint8Array,
): { head: Uint8Array; tail: Uint8Array } {
  const sigBits = concat(
    Uint8Array.of(Tag.BIT_STRING),
    encodeLength(signature.length + 1),
    Uint8Array.of(0),
    signature,
  );
  const tail = concat(signatureAlgorithmIdentifier(algorithm), sigBits);
  return { head: concat(Uint8Array.of(Tag.SEQUENCE), encodeLength(tbsLength + tail.length)), tail };
}

const MAX_SERIAL = (1n << 160n) - 1n;
const EXT_REASON = [0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01];
const EXT_INVALIDITY = [0x30, 0x18, 0x06, 0x03, 0x55, 0x1d, 0x18, 0x04, 0x11, 0x18, 0x0f];

/**
 * Encodes revokedCertificates entries into one growing buffer. Every entry is shorter than 128
 * bytes (a ≤ 21-byte INTEGER, a time and two fixed-size extensions), so each uses short-form
 * lengths and is written in a single pass. For streaming, call {@link take} whenever
 * {@link pending} is large and write the returned bytes out before the next {@link add}.
 */
export class RevokedEntriesEncoder {
  private buf: Uint8Array;
  private pos = 0;
  private written = 0;

  constructor(initialCapacity = 1 << 16) {
    this.buf = new Uint8Array(Math.max(256, initialCapacity));
  }

  /** Bytes encoded and not yet taken. */
  get pending(): number {
    return this.pos;
  }

  /** Bytes encoded over the encoder's lifetime. */
  get length(): number {
    return this.written + this.pos;
  }

  /** The bytes encoded since the last take (a view, valid until the next {@link add}). */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.written += this.pos;
    this.pos = 0;
    return out;
  }

  /** Appends one entry. Invalid entries are caller bugs (`RangeError`/`TypeError`). */
  add(e: CrlEntry): void {
    const serial = e.serial;
    if (typeof serial !== 'bigint') throw new TypeError('serial must be a bigint');
    if (serial <= 0n || serial > MAX_SERIAL)
      throw new RangeError('serial must be positive and at most 20 octets (RFC 5280 §4.1.2.2)');
    const code = e.reason === undefined ? 0 : CRL_REASON_CODE[e.reason];
    if (code === undefined) throw new RangeError(`unknown CRL reason ${String(e.reason)}`);
    // RFC 5280 §5.3.1: removeFromCRL only appears in delta CRLs; we issue complete CRLs.
    if (code === 8) throw new RangeError('removeFromCRL is only for delta CRLs (RFC 5280 §5.3.1)');
    const t = e.revocationDate.getTime();
    if (Number.isNaN(t)) throw new RangeError('invalid revocationDate');
    const y = e.revocationDate.getUTCFullYear();
    if (y < 1950 || y > 9999) throw new RangeError('revocationDate outside 1950–9999');
    const timeLen = y < 2050 ? 15 : 17; // RFC 5280 §5.1.2.6: UTCTime through 2049
    let inv = false;
    if (e.invalidityDate !== undefined) {
      const iy = e.invalidityDate.getUTCFullYear();
      if (Number.isNaN(e.invalidityDate.getTime()) || iy < 0 || iy > 9999)
        throw new RangeError('invalid invalidityDate');
      inv = true;
    }
    const extLen = (code !== 0 ? 12 : 0) + (inv ? 26 : 0);
    this.ensure(96);
    const b = this.buf;
    let p = this.pos;
    b[p] = Tag.SEQUENCE;
    const lenAt = p + 1;
    p += 2;
    p = writeSerial(b, p, serial);
    p = writeTime(b, p, e.revocationDate, timeLen === 17);
    if (extLen > 0) {
      b[p++] = Tag.SEQUENCE;
      b[p++] = extLen;
      if (code !== 0) {
        for (const x of EXT_REASON) b[p++] = x;
        b[p++] = code;
      }
      if (inv) {
        for (const x of EXT_INVALIDITY) b[p++] = x;
        // RFC 5280 §5.3.2: invalidityDate is always GeneralizedTime.
        p = writeTime(b, p - 2, e.invalidityDate!, true);
      }
    }
    b[lenAt] = p - lenAt - 1;
    this.pos = p;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
}

/** Writes INTEGER serial (positive) at p; returns the new offset. */
function writeSerial(b: Uint8Array, p: number, serial: bigint): number {
  b[p] = Tag.INTEGER;
  if (serial <= 0xffffffffffffn) {
    // Fast path: fits a double exactly.
    let n = Number(serial);
    let len = 0;
    for (let m = n; m > 0; m = Math.floor(m / 256)) len++;
    let hi = n;
    for (let i = 1; i < len; i++) hi = Math.floor(hi / 256);
    const pad = hi >= 0x80 ? 1 : 0;
    b[p + 1] = len + pad;
    if (pad) b[p + 2] = 0;
    const end = p + 2 + pad + len;
    for (let i = end - 1; i >= end - len; i--) {
      b[i] = n % 256;
      n = Math.floor(n / 256);
    }
    return end;
  }
  let hex = serial.toString(16);
  if (hex.length & 1) hex = '0' + hex;
  const len = hex.length >> 1;
  const pad = hexNibble(hex.charCodeAt(0)) >= 8 ? 1 : 0;
  b[p + 1] = len + pad;
  let q = p + 2;
  if (pad) b[q++] = 0;
  for (let i = 0; i < hex.length; i += 2)
    b[q++] = (hexNibble(hex.charCodeAt(i)) << 4) | hexNibble(hex.charCodeAt(i + 1));
  return q;
}

const hexNibble = (c: number): number => (c <= 0x39 ? c - 0x30 : c - 0x57);

/** Writes a UTCTime (or GeneralizedTime when `general`) TLV at p; returns the new offset. */
function writeTime(b: Uint8Array, p: number, d: Date, general: boolean): number {
  const y = d.getUTCFullYear();
  b[p++] = general ? Tag.GENERALIZED_TIME : Tag.UTC_TIME;
  b[p++] = general ? 15 : 13;
  if (general) {
    p = two(b, p, Math.floor(y / 100));
  }
  p = two(b, p, y % 100);
  p = two(b, p, d.getUTCMonth() + 1);
  p = two(b, p, d.getUTCDate());
  p = two(b, p, d.getUTCHours());
  p = two(b, p, d.getUTCMinutes());
  p = two(b, p, d.getUTCSeconds());
  b[p++] = 0x5a; // 'Z' (RFC 5280 §4.1.2.5.1/.2: Zulu, seconds present, no fractions)
  return p;
}

function two(b: Uint8Array, p: number, n: number): number {
  b[p] = 0x30 + ((n / 10) | 0);
  b[p + 1] = 0x30 + (n % 10);
  return p + 2;
}
