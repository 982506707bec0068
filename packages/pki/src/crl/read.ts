/**
 * The streaming CRL reader (docs/architecture.md §2, docs/performance.md §4 anchors A5/A6). It scans the DER of an
 * X.509 CRL (RFC 5280 §5.1) once, without building an object tree, and leaves:
 *
 * - the header fields (version, signature algorithm, issuer Name DER, thisUpdate, nextUpdate,
 *   cRLNumber, authorityKeyIdentifier), the TBS byte range and the outer signature;
 * - every revoked entry in a compact index over typed arrays: each serial as fixed-width two's
 *   complement words in one `Uint32Array`, revocation dates as seconds in a `Uint32Array`, reason
 *   codes in a `Uint8Array`, and an open-addressing hash table (`Int32Array`) over the serials.
 *
 * About 25–30 bytes per entry for 16-byte serials, no per-entry JS objects, and no V8 `Set`/`Map`
 * (which caps at 16,777,216 entries and costs ~69 B/entry, docs/performance.md §4). The scanner is push-style
 * ({@link CrlScanner}) so `@watashi/pki/node`'s `readCrlFile` can feed it a file chunk by chunk.
 *
 * Decisions (fail closed, docs/conventions.md §5):
 * - an unknown **critical** extension, CRL-level or entry-level, rejects the CRL
 *   (`crl_unknown_critical_extension`, RFC 5280 §5.2 / §5.3). That includes deltaCRLIndicator,
 *   issuingDistributionPoint and certificateIssuer: delta, partitioned and indirect CRLs are not
 *   supported, because treating them as complete direct CRLs would report revoked certificates
 *   as good;
 * - a v1 CRL (no version field) carrying extensions is `crl_malformed` (RFC 5280 §5.1.2.1);
 * - a serial listed twice is `crl_duplicate_serial` by default: which reason and date would hold
 *   is ambiguous. `duplicates: 'keep-first'` keeps the first occurrence in file order instead;
 * - serials are kept exactly as their INTEGER value (negative and zero serials, which
 *   non-conforming CAs issue, are kept too, RFC 5280 §4.1.2.2); longer than 32 octets is malformed;
 * - size guards: `maxBytes` (`der_too_large`) and `maxEntries` (`crl_malformed`).
 */
import { pkiError } from '../errors.ts';
import { DerReader, readBigInt, readBitString, readSmallInt, Tag, valueOf, ctx } from '../der/reader.ts';
import { decodeOidContent, OID } from '../der/oid.ts';
import { readTime } from '../der/time.ts';
import {
  readSignatureAlgorithm,
  type DigestAlgorithm,
  type SignatureAlgorithm,
} from '../crypto/algorithms.ts';
import { CRL_REASON_BY_CODE, type CrlReason } from './reason.ts';

/** Options for reading a CRL. */
export interface ReadCrlOptions {
  /** Largest accepted DER in bytes (`der_too_large` above). Default 4 GiB. */
  readonly maxBytes?: number;
  /** Most entries accepted (`crl_malformed` above). Default 50,000,000 (docs/performance.md: size for 10–50 M). */
  readonly maxEntries?: number;
  /** What a serial listed twice does: `reject` (default, `crl_duplicate_serial`) or `keep-first`. */
  readonly duplicates?: 'reject' | 'keep-first';
}

/** What the index knows about one revoked certificate. */
export interface CrlLookupResult {
  /** RFC 5280 §5.3.1 reason; `unspecified` when the entry has no reasonCode extension. */
  readonly reason: CrlReason;
  /** revocationDate (whole seconds). */
  readonly revocationDate: Date;
  /** invalidityDate extension (RFC 5280 §5.3.2), when present. */
  readonly invalidityDate?: Date;
}

/** One revoked entry, as yielded by {@link CrlIndex.entries}. */
export interface CrlEntryInfo extends CrlLookupResult {
  /** The certificate serial number. */
  readonly serial: bigint;
}

/** The TBS digest computed while streaming (file reader), for signature checks without the TBS bytes. */
export interface TbsDigest {
  /** Digest algorithm of the CRL's signature algorithm. */
  readonly algorithm: DigestAlgorithm;
  /** Digest of the exact TBSCertList bytes. */
  readonly value: Uint8Array;
}

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024 * 1024;
const DEFAULT_MAX_ENTRIES = 50_000_000;
/** Seconds from 1970-01-01 back to 1950-01-01, the earliest UTCTime (RFC 5280 §4.1.2.5.1). */
const EPOCH_1950 = 631_152_000;
/** Longest serial kept, in octets of INTEGER content (RFC 5280 allows 20; we tolerate up to 32). */
const MAX_SERIAL_OCTETS = 32;
/** reasons[] marker of an entry shadowed by an earlier duplicate (`keep-first`). */
const SHADOWED = 0xff;

/** A standalone copy (a Node `Buffer`'s `slice` would be a view into a reused read buffer). */
const copyOf = (v: Uint8Array): Uint8Array => new Uint8Array(v);

const malformed = (msg: string): Error => pkiError('crl_malformed', `CRL: ${msg}`);

/**
 * A read CRL: header fields plus the revoked-serial index. Lookups are O(1) hash probes over
 * typed arrays; nothing here allocates per entry until asked for.
 */
export class CrlIndex {
  /** 1 (no version field) or 2. */
  readonly version: 1 | 2;
  /** Signature algorithm (TBS `signature` field, equal to the outer one). */
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** DER of the issuer Name (a copy). Compare byte-exact with the CA certificate's subject. */
  readonly issuer: Uint8Array;
  /** thisUpdate. */
  readonly thisUpdate: Date;
  /** nextUpdate, when present (RFC 5280 §5.1.2.5: conforming CAs always include it). */
  readonly nextUpdate: Date | undefined;
  /** cRLNumber extension (RFC 5280 §5.2.3), when present. */
  readonly crlNumber: bigint | undefined;
  /** authorityKeyIdentifier keyIdentifier (RFC 5280 §5.2.1), when present. */
  readonly authorityKeyId: Uint8Array | undefined;
  /** The signature value (BIT STRING content without the unused-bits octet). */
  readonly signature: Uint8Array;
  /** The exact TBSCertList bytes (a view into the input) when read from memory; undefined when streamed from a file. */
  readonly tbs: Uint8Array | undefined;
  /** TBS digest computed while streaming from a file; undefined when read from memory. */
  readonly tbsDigest: TbsDigest | undefined;
  /** Number of distinct revoked serials. */
  readonly size: number;

  readonly #k: number;
  readonly #count: number;
  readonly #keys: Uint32Array;
  readonly #dates: Uint32Array;
  readonly #reasons: Uint8Array;
  readonly #table: Int32Array;
  readonly #invIdx: Int32Array;
  readonly #invSec: Float64Array;
  readonly #probe: Uint32Array;

  /** @internal Built by {@link CrlScanner.finish}. */
  constructor(h: CrlIndexParts) {
    this.version = h.version;
    this.signatureAlgorithm = h.signatureAlgorithm;
    this.issuer = h.issuer;
    this.thisUpdate = h.thisUpdate;
    this.nextUpdate = h.nextUpdate;
    this.crlNumber = h.crlNumber;
    this.authorityKeyId = h.authorityKeyId;
    this.signature = h.signature;
    this.tbs = h.tbs;
    this.tbsDigest = h.tbsDigest;
    this.size = h.size;
    this.#k = h.k;
    this.#count = h.count;
    this.#keys = h.keys;
    this.#dates = h.dates;
    this.#reasons = h.reasons;
    this.#table = h.table;
    this.#invIdx = h.invIdx;
    this.#invSec = h.invSec;
    this.#probe = new Uint32Array(h.k);
  }

  /** True when `serial` is listed. A `Uint8Array` is the INTEGER content octets (two's complement), as in a certificate. */
  has(serial: bigint | Uint8Array): boolean {
    return this.#find(serial) >= 0;
  }

  /** The entry for `serial`, or undefined when it is not listed. */
  lookup(serial: bigint | Uint8Array): CrlLookupResult | undefined {
    const i = this.#find(serial);
    return i < 0 ? undefined : this.#result(i);
  }

  /** Every listed entry in file order (duplicates skipped under `keep-first`). Allocates per entry: for tests, exports and the simulator, not the hot path. */
  *entries(): IterableIterator<CrlEntryInfo> {
    const k = this.#k;
    for (let i = 0; i < this.#count; i++) {
      if (this.#reasons[i] === SHADOWED) continue;
      let v = 0n;
      for (let w = 0; w < k; w++) v = (v << 32n) | BigInt(this.#keys[i * k + w]!);
      yield { serial: BigInt.asIntN(32 * k, v), ...this.#result(i) };
    }
  }

  #result(i: number): CrlLookupResult {
    const revocationDate = new Date((this.#dates[i]! - EPOCH_1950) * 1000);
    const reason = CRL_REASON_BY_CODE[this.#reasons[i]!] ?? 'unspecified';
    const inv = this.#invalidity(i);
    return inv === undefined ? { reason, revocationDate } : { reason, revocationDate, invalidityDate: inv };
  }

  #invalidity(i: number): Date | undefined {
    const idx = this.#invIdx;
    let lo = 0;
    let hi = idx.length - 1;
    while (lo <= hi) {
      const m = (lo + hi) >>> 1;
      const v = idx[m]!;
      if (v === i) return new Date(this.#invSec[m]! * 1000);
      if (v < i) lo = m + 1;
      else hi = m - 1;
    }
    return undefined;
  }

  #find(serial: bigint | Uint8Array): number {
    if (this.#count === 0) return -1;
    const k = this.#k;
    const probe = this.#probe;
    if (typeof serial === 'bigint') {
      if (!bigintToWords(serial, probe, k)) return -1;
    } else if (serial instanceof Uint8Array) {
      if (serial.length === 0) throw new TypeError('empty serial');
      let s = 0;
      // Drop redundant sign octets so over-long encodings still match (X.690 §8.3.2).
      while (
        serial.length - s > 1 &&
        ((serial[s] === 0 && (serial[s + 1]! & 0x80) === 0) ||
          (serial[s] === 0xff && (serial[s + 1]! & 0x80) !== 0))
      )
        s++;
      if (serial.length - s > 4 * k) return -1;
      bytesToWords(serial, s, serial.length, probe, 0, k);
    } else {
      throw new TypeError('serial must be a bigint or a Uint8Array');
    }
    const table = this.#table;
    const mask = table.length - 1;
    const keys = this.#keys;
    let h = hashWords(probe, 0, k) & mask;
    for (;;) {
      const t = table[h]!;
      if (t === 0) return -1;
      const b = (t - 1) * k;
      let eq = true;
      for (let w = 0; w < k; w++)
        if (keys[b + w] !== probe[w]) {
          eq = false;
          break;
        }
      if (eq) return t - 1;
      h = (h + 1) & mask;
    }
  }
}

/** @internal Everything {@link CrlIndex} is made of. */
export interface CrlIndexParts {
  readonly version: 1 | 2;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly issuer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly crlNumber: bigint | undefined;
  readonly authorityKeyId: Uint8Array | undefined;
  readonly signature: Uint8Array;
  readonly tbs: Uint8Array | undefined;
  readonly tbsDigest: TbsDigest | undefined;
  readonly size: number;
  readonly k: number;
  readonly count: number;
  readonly keys: Uint32Array;
  readonly dates: Uint32Array;
  readonly reasons: Uint8Array;
  readonly table: Int32Array;
  readonly invIdx: Int32Array;
  readonly invSec: Float64Array;
}

/**
 * Reads a CRL held in memory. The index's `tbs` is a view into `der` (so `der` stays alive with
 * it); for CRLs of hundreds of megabytes prefer `readCrlFile` from `@watashi/pki/node`.
 * Errors: `der_*` / `crl_malformed` for bad DER, `crl_unknown_critical_extension`,
 * `crl_duplicate_serial`, `unsupported_algorithm`, `der_too_large`.
 */
export function readCrl(der: Uint8Array, opts: ReadCrlOptions = {}): CrlIndex {
  if (!(der instanceof Uint8Array)) throw new TypeError('readCrl expects a Uint8Array');
  const s = new CrlScanner(der.length, opts);
  s.head(der, der.length);
  const stop = s.parseEntries(der, 0, s.revokedStart, s.revokedEnd);
  if (stop !== s.revokedEnd) throw malformed('truncated revoked entry');
  s.tail(der, 0);
  return s.finish(der.subarray(s.tbsStart, s.tbsEnd), undefined);
}

/**
 * @internal Push-style scanner behind {@link readCrl} and `readCrlFile`: `head` on the first
 * bytes, `parseEntries` on successive buffers, `tail` on the last bytes, then `finish`.
 * Offsets named `…Start`/`…End` are absolute positions in the whole DER.
 */
export class CrlScanner {
  /** Absolute offset of the TBSCertList's first byte (known after {@link head}). */
  tbsStart = 0;
  /** Absolute offset just past the TBSCertList. */
  tbsEnd = 0;
  /** Absolute offset of the first revoked entry (= revokedEnd when there are none). */
  revokedStart = 0;
  /** Absolute offset just past the last revoked entry. */
  revokedEnd = 0;
  /** Absolute offset just past the CertificateList (the input's length). */
  outerEnd = 0;
  /** CRL version from the header. */
  version: 1 | 2 = 1;
  /** Signature algorithm from the TBS `signature` field. */
  signatureAlgorithm: SignatureAlgorithm = 'RSA-SHA256';

  private readonly maxEntries: number;
  private readonly keepFirst: boolean;
  private sigAlgDer: Uint8Array = new Uint8Array(0);
  private issuer: Uint8Array = new Uint8Array(0);
  private thisUpdate = new Date(0);
  private nextUpdate: Date | undefined;
  private crlNumber: bigint | undefined;
  private authorityKeyId: Uint8Array | undefined;
  private signature: Uint8Array = new Uint8Array(0);

  private k = 1;
  private count = 0;
  private cap = 0;
  private keys = new Uint32Array(0);
  private dates = new Uint32Array(0);
  private reasons = new Uint8Array(0);
  private invCount = 0;
  private invIdx = new Int32Array(0);
  private invSec = new Float64Array(0);
  /** Value start of the last header read by {@link hdr}. */
  private vs = 0;

  constructor(
    private readonly total: number,
    opts: ReadCrlOptions,
  ) {
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    if (total > maxBytes)
      throw pkiError('der_too_large', `CRL: ${total} bytes exceeds the ${maxBytes}-byte limit`);
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.keepFirst = opts.duplicates === 'keep-first';
  }

  /**
   * Reads a TLV header at p (single-octet tag) without requiring its value to be present; sets
   * `vs` and returns the value length.
   */
  private hdr(buf: Uint8Array, p: number, avail: number, tag: number, what: string): number {
    if (p + 2 > avail) throw pkiError('der_malformed', `CRL: truncated ${what}`);
    if (buf[p] !== tag)
      throw pkiError(
        'der_unexpected_tag',
        `CRL: expected ${what} (tag 0x${tag.toString(16)}), found 0x${buf[p]!.toString(16)}`,
      );
    let len = buf[p + 1]!;
    let q = p + 2;
    if (len >= 0x80) {
      const n = len & 0x7f;
      if (n === 0) throw pkiError('der_malformed', 'DER: indefinite length is not DER');
      if (n > 6) throw pkiError('der_malformed', 'DER: length too large');
      if (q + n > avail) throw pkiError('der_malformed', `CRL: truncated ${what}`);
      if (buf[q] === 0) throw pkiError('der_malformed', 'DER: non-minimal length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[q++]!;
      if (len < 0x80) throw pkiError('der_malformed', 'DER: non-minimal length');
    }
    this.vs = q;
    return len;
  }

  /** Parses everything before the first revoked entry; `buf` starts at absolute offset 0 and holds `avail` bytes. */
  head(buf: Uint8Array, avail: number): void {
    const outerLen = this.hdr(buf, 0, avail, Tag.SEQUENCE, 'CertificateList');
    this.outerEnd = this.vs + outerLen;
    if (this.outerEnd !== this.total)
      throw pkiError(
        'der_malformed',
        this.outerEnd > this.total
          ? 'CRL: truncated CertificateList'
          : 'CRL: trailing data after the CertificateList',
      );
    this.tbsStart = this.vs;
    const tbsLen = this.hdr(buf, this.tbsStart, avail, Tag.SEQUENCE, 'TBSCertList');
    this.tbsEnd = this.vs + tbsLen;
    if (this.tbsEnd > this.outerEnd)
      throw pkiError('der_malformed', 'CRL: TBSCertList runs past the CertificateList');
    const lim = Math.min(avail, this.tbsEnd);
    const r = new DerReader(buf, this.vs, lim);
    // RFC 5280 §5.1.2.1: version is absent (v1) or v2 (INTEGER 1).
    if (buf[r.offset] === Tag.INTEGER) {
      const v = readSmallInt(buf, r.next());
      if (v !== 1) throw malformed(`unsupported version ${v + 1}`);
      this.version = 2;
    }
    const alg = r.expect(Tag.SEQUENCE, 'signature AlgorithmIdentifier');
    this.sigAlgDer = copyOf(buf.subarray(alg.start, alg.end));
    this.signatureAlgorithm = readSignatureAlgorithm(buf, alg);
    const issuer = r.expect(Tag.SEQUENCE, 'issuer Name');
    this.issuer = copyOf(buf.subarray(issuer.start, issuer.end));
    this.thisUpdate = readTime(buf, r.next());
    let q = r.offset;
    if (q < lim && (buf[q] === Tag.UTC_TIME || buf[q] === Tag.GENERALIZED_TIME)) {
      this.nextUpdate = readTime(buf, r.next());
      q = r.offset;
    }
    if (q < this.tbsEnd && buf[q] === Tag.SEQUENCE) {
      const len = this.hdr(buf, q, avail, Tag.SEQUENCE, 'revokedCertificates');
      this.revokedStart = this.vs;
      this.revokedEnd = this.vs + len;
      if (this.revokedEnd > this.tbsEnd)
        throw pkiError('der_malformed', 'CRL: revokedCertificates runs past the TBSCertList');
    } else {
      this.revokedStart = this.revokedEnd = q;
    }
  }

  /**
   * Parses the complete entries in `buf[from, to)` (`buf[0]` is absolute offset `base`); returns
   * the buffer offset where it stopped: `to`, or the start of an entry that is not complete yet.
   */
  parseEntries(buf: Uint8Array, base: number, from: number, to: number): number {
    let p = from;
    while (p < to) {
      if (to - p < 2) break;
      if (buf[p] !== Tag.SEQUENCE)
        throw pkiError('der_unexpected_tag', 'CRL: revoked entry is not a SEQUENCE');
      let len = buf[p + 1]!;
      let h = 2;
      if (len >= 0x80) {
        const n = len & 0x7f;
        // Entries are a few dozen bytes; two length octets (64 KiB) are far more than enough.
        if (n === 0 || n > 2) throw malformed('revoked entry length is indefinite or too large');
        if (to - p < 2 + n) break;
        len = n === 1 ? buf[p + 2]! : buf[p + 2]! * 256 + buf[p + 3]!;
        if (len < (n === 1 ? 0x80 : 0x100)) throw pkiError('der_malformed', 'DER: non-minimal length');
        h = 2 + n;
      }
      const end = p + h + len;
      if (end > to) break;
      this.entry(buf, p + h, end, base + end);
      p = end;
    }
    return p;
  }

  /** One revokedCertificates entry: SEQUENCE { userCertificate, revocationDate, crlEntryExtensions OPTIONAL }. */
  private entry(buf: Uint8Array, s: number, e: number, absEnd: number): void {
    if (this.count === this.cap) this.grow(absEnd);
    const i = this.count;
    // userCertificate CertificateSerialNumber (INTEGER)
    if (e - s < 3 || buf[s] !== Tag.INTEGER) throw malformed('entry serial is not an INTEGER');
    const sl = buf[s + 1]!;
    if (sl === 0 || sl > MAX_SERIAL_OCTETS) throw malformed('entry serial is empty or longer than 32 octets');
    const ss = s + 2;
    if (ss + sl > e) throw pkiError('der_malformed', 'CRL: entry serial runs past its entry');
    if (
      sl > 1 &&
      ((buf[ss] === 0 && (buf[ss + 1]! & 0x80) === 0) || (buf[ss] === 0xff && (buf[ss + 1]! & 0x80) !== 0))
    )
      throw pkiError('der_malformed', 'DER: non-minimal INTEGER');
    const need = (sl + 3) >>> 2;
    if (need > this.k) this.widen(need);
    bytesToWords(buf, ss, ss + sl, this.keys, i * this.k, this.k);
    // revocationDate Time
    let p = ss + sl;
    if (p + 2 > e) throw malformed('entry without revocationDate');
    const sec = readTimeSeconds(buf, p, e);
    p += buf[p + 1]! + 2;
    const rel = sec + EPOCH_1950;
    if (rel < 0 || rel > 0xffffffff) throw malformed('revocationDate outside 1950–2086');
    this.dates[i] = rel;
    let reason = 0;
    if (p < e) {
      // RFC 5280 §5.1.2.1/§5.3: entry extensions only in v2 CRLs.
      if (this.version !== 2) throw malformed('v1 CRL with crlEntryExtensions');
      reason = this.entryExtensions(buf, p, e, i);
    }
    this.reasons[i] = reason;
    this.count = i + 1;
  }

  /** crlEntryExtensions: returns the reason code; records invalidityDate. */
  private entryExtensions(buf: Uint8Array, p: number, e: number, i: number): number {
    const len = this.hdr(buf, p, e, Tag.SEQUENCE, 'crlEntryExtensions');
    let q = this.vs;
    if (q + len !== e) throw pkiError('der_malformed', 'CRL: trailing data in revoked entry');
    if (len === 0) throw malformed('empty crlEntryExtensions');
    let reason = 0;
    let seenReason = false;
    let seenInvalidity = false;
    while (q < e) {
      const xl = this.hdr(buf, q, e, Tag.SEQUENCE, 'Extension');
      const xEnd = this.vs + xl;
      if (xEnd > e) throw pkiError('der_malformed', 'CRL: extension runs past its entry');
      const ol = this.hdr(buf, this.vs, xEnd, Tag.OID, 'extnID');
      const o = this.vs;
      let r = o + ol;
      let critical = false;
      if (r < xEnd && buf[r] === Tag.BOOLEAN) {
        if (buf[r + 1] !== 1 || r + 3 > xEnd || (buf[r + 2] !== 0 && buf[r + 2] !== 0xff))
          throw pkiError('der_malformed', 'DER: bad BOOLEAN');
        critical = buf[r + 2] === 0xff;
        r += 3;
      }
      const vl = this.hdr(buf, r, xEnd, Tag.OCTET_STRING, 'extnValue');
      const v = this.vs;
      if (v + vl !== xEnd) throw pkiError('der_malformed', 'CRL: trailing data in Extension');
      const id = ol === 3 && buf[o] === 0x55 && buf[o + 1] === 0x1d ? buf[o + 2]! : -1;
      if (id === 0x15) {
        // RFC 5280 §5.3.1 reasonCode ::= ENUMERATED
        if (seenReason) throw malformed('duplicate reasonCode extension');
        seenReason = true;
        if (vl !== 3 || buf[v] !== Tag.ENUMERATED || buf[v + 1] !== 1) throw malformed('bad reasonCode');
        reason = buf[v + 2]!;
        if (CRL_REASON_BY_CODE[reason] === undefined) throw malformed(`unknown reasonCode ${reason}`);
      } else if (id === 0x18) {
        // RFC 5280 §5.3.2 invalidityDate ::= GeneralizedTime
        if (seenInvalidity) throw malformed('duplicate invalidityDate extension');
        seenInvalidity = true;
        if (buf[v] !== Tag.GENERALIZED_TIME) throw malformed('invalidityDate is not a GeneralizedTime');
        const sec = readTimeSeconds(buf, v, xEnd);
        if (v + 2 + buf[v + 1]! !== xEnd)
          throw pkiError('der_malformed', 'CRL: trailing data in invalidityDate');
        this.addInvalidity(i, sec);
      } else if (critical) {
        // certificateIssuer (indirect CRLs) lands here too (RFC 5280 §5.3.3: always critical).
        const name = decodeOidContent(buf.subarray(o, o + ol));
        throw pkiError('crl_unknown_critical_extension', `CRL: unsupported critical entry extension ${name}`);
      }
      q = xEnd;
    }
    return reason;
  }

  private addInvalidity(i: number, sec: number): void {
    if (this.invCount === this.invIdx.length) {
      const n = Math.max(64, this.invCount * 2);
      const idx = new Int32Array(n);
      idx.set(this.invIdx);
      const s = new Float64Array(n);
      s.set(this.invSec);
      this.invIdx = idx;
      this.invSec = s;
    }
    this.invIdx[this.invCount] = i;
    this.invSec[this.invCount] = sec;
    this.invCount++;
  }

  /** Grows the per-entry arrays, sizing from the average entry so far once there is a sample. */
  private grow(absPos: number): void {
    if (this.count >= this.maxEntries) throw malformed(`more than ${this.maxEntries} entries`);
    let cap = Math.max(1024, this.cap * 2);
    if (this.count >= 4096) {
      const avg = (absPos - this.revokedStart) / this.count;
      const left = Math.ceil(((this.revokedEnd - absPos) / avg) * 1.03) + 1024;
      cap = Math.max(Math.ceil(this.cap * 1.1), this.count + left);
    }
    cap = Math.min(cap, this.maxEntries);
    this.resize(cap, this.k);
  }

  /** Re-lays the keys for a wider serial (sign-extending what is stored). */
  private widen(k: number): void {
    this.resize(this.cap, k);
  }

  private resize(cap: number, k: number): void {
    const keys = new Uint32Array(cap * k);
    const old = this.keys;
    const ok = this.k;
    if (ok === k) keys.set(old.subarray(0, this.count * k));
    else
      for (let i = 0; i < this.count; i++) {
        const sign = (old[i * ok]! & 0x80000000) !== 0 ? 0xffffffff : 0;
        for (let w = 0; w < k - ok; w++) keys[i * k + w] = sign;
        for (let w = 0; w < ok; w++) keys[i * k + (k - ok) + w] = old[i * ok + w]!;
      }
    this.keys = keys;
    this.k = k;
    if (cap !== this.cap) {
      const d = new Uint32Array(cap);
      d.set(this.dates.subarray(0, this.count));
      const r = new Uint8Array(cap);
      r.set(this.reasons.subarray(0, this.count));
      this.dates = d;
      this.reasons = r;
      this.cap = cap;
    }
  }

  /** Parses crlExtensions and the outer signature; `buf[0]` is absolute offset `base` and must hold `[revokedEnd, outerEnd)`. */
  tail(buf: Uint8Array, base: number): void {
    const r = new DerReader(buf, this.revokedEnd - base, this.tbsEnd - base);
    if (!r.done) {
      const ext = r.expect(ctx(0), 'crlExtensions');
      if (this.version !== 2) throw malformed('v1 CRL with crlExtensions');
      this.crlExtensions(buf, ext.valueStart, ext.end);
    }
    r.end('TBSCertList');
    const o = new DerReader(buf, this.tbsEnd - base, this.outerEnd - base);
    const alg = o.expect(Tag.SEQUENCE, 'signatureAlgorithm');
    // RFC 5280 §5.1.1.2: signatureAlgorithm MUST equal the TBS signature field.
    const a = buf.subarray(alg.start, alg.end);
    if (a.length !== this.sigAlgDer.length || a.some((x, j) => x !== this.sigAlgDer[j]))
      throw malformed('signatureAlgorithm differs from the TBSCertList signature field');
    const { bytes, unusedBits } = readBitString(buf, o.expect(Tag.BIT_STRING, 'signatureValue'));
    if (unusedBits !== 0) throw malformed('signatureValue has unused bits');
    this.signature = copyOf(bytes);
    o.end('CertificateList');
  }

  private crlExtensions(buf: Uint8Array, start: number, end: number): void {
    const list = new DerReader(buf, start, end);
    const exts = DerReader.of(buf, list.expect(Tag.SEQUENCE, 'Extensions'));
    list.end('crlExtensions');
    const seen = new Set<string>();
    while (!exts.done) {
      const x = DerReader.of(buf, exts.expect(Tag.SEQUENCE, 'Extension'));
      const id = decodeOidContent(valueOf(buf, x.expect(Tag.OID, 'extnID')));
      let critical = false;
      if (buf[x.offset] === Tag.BOOLEAN) {
        const b = x.next();
        const v = valueOf(buf, b);
        if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff))
          throw pkiError('der_malformed', 'DER: bad BOOLEAN');
        critical = v[0] === 0xff;
      }
      const value = x.expect(Tag.OCTET_STRING, 'extnValue');
      x.end('Extension');
      // RFC 5280 §4.2 (applied to CRLs by §5.2): at most one instance of each extension.
      if (seen.has(id)) throw malformed(`duplicate extension ${id}`);
      seen.add(id);
      const v = new DerReader(buf, value.valueStart, value.end);
      if (id === OID.authorityKeyIdentifier) {
        const aki = DerReader.of(buf, v.expect(Tag.SEQUENCE, 'AuthorityKeyIdentifier'));
        v.end('authorityKeyIdentifier');
        if (buf[aki.offset] === 0x80) this.authorityKeyId = copyOf(valueOf(buf, aki.next()));
      } else if (id === OID.cRLNumber) {
        const n = readBigInt(buf, v.expect(Tag.INTEGER, 'CRLNumber'));
        v.end('cRLNumber');
        if (n < 0n) throw malformed('negative cRLNumber');
        this.crlNumber = n;
      } else if (critical) {
        throw pkiError('crl_unknown_critical_extension', `CRL: unsupported critical extension ${id}`);
      }
    }
  }

  /** Builds the hash table and returns the index. */
  finish(tbs: Uint8Array | undefined, tbsDigest: TbsDigest | undefined): CrlIndex {
    const n = this.count;
    const k = this.k;
    const keys = this.keys;
    let size = 1;
    while (size < n / 0.6 || size < 16) size *= 2; // load factor ≤ 0.6 for short linear probes
    const table = new Int32Array(size);
    const mask = size - 1;
    let distinct = n;
    for (let i = 0; i < n; i++) {
      const b = i * k;
      let h = hashWords(keys, b, k) & mask;
      for (;;) {
        const t = table[h]!;
        if (t === 0) {
          table[h] = i + 1;
          break;
        }
        const c = (t - 1) * k;
        let eq = true;
        for (let w = 0; w < k; w++)
          if (keys[c + w] !== keys[b + w]) {
            eq = false;
            break;
          }
        if (eq) {
          if (!this.keepFirst) throw pkiError('crl_duplicate_serial', 'CRL: a serial number is listed twice');
          this.reasons[i] = SHADOWED;
          distinct--;
          break;
        }
        h = (h + 1) & mask;
      }
    }
    return new CrlIndex({
      version: this.version,
      signatureAlgorithm: this.signatureAlgorithm,
      issuer: this.issuer,
      thisUpdate: this.thisUpdate,
      nextUpdate: this.nextUpdate,
      crlNumber: this.crlNumber,
      authorityKeyId: this.authorityKeyId,
      signature: this.signature,
      tbs,
      tbsDigest,
      size: distinct,
      k,
      count: n,
      keys: keys.subarray(0, n * k),
      dates: this.dates.subarray(0, n),
      reasons: this.reasons.subarray(0, n),
      table,
      invIdx: this.invIdx.subarray(0, this.invCount),
      invSec: this.invSec.subarray(0, this.invCount),
    });
  }
}

/** Writes two's-complement bytes `src[s, e)` sign-extended into `k` big-endian words at `out[o]`. */
function bytesToWords(src: Uint8Array, s: number, e: number, out: Uint32Array, o: number, k: number): void {
  const sign = (src[s]! & 0x80) !== 0 ? 0xff : 0;
  const pad = 4 * k - (e - s);
  for (let w = 0; w < k; w++) {
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const bi = w * 4 + j - pad;
      v = (v << 8) | (bi < 0 ? sign : src[s + bi]!);
    }
    out[o + w] = v >>> 0;
  }
}

/** Writes `v` as `k` big-endian two's-complement words; false when it does not fit. */
function bigintToWords(v: bigint, out: Uint32Array, k: number): boolean {
  if (v >= 0n && v < 0x80000000n) {
    // Fast path for small serials (sequential CAs such as JPKI's).
    for (let w = 0; w < k - 1; w++) out[w] = 0;
    out[k - 1] = Number(v);
    return true;
  }
  const bits = BigInt(32 * k);
  if (v >= 1n << (bits - 1n) || v < -(1n << (bits - 1n))) return false;
  let u = BigInt.asUintN(32 * k, v);
  for (let w = k - 1; w >= 0; w--) {
    out[w] = Number(u & 0xffffffffn);
    u >>= 32n;
  }
  return true;
}

/** MurmurHash3 (x86, 32-bit) mixing over `k` words: sequential serials spread evenly. */
function hashWords(a: Uint32Array, b: number, k: number): number {
  let h = 0x9747b28c ^ k;
  for (let w = 0; w < k; w++) {
    let x = Math.imul(a[b + w]!, 0xcc9e2d51);
    x = (x << 15) | (x >>> 17);
    x = Math.imul(x, 0x1b873593);
    h ^= x;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Strict Time at `p` (UTCTime `YYMMDDhhmmssZ` or GeneralizedTime `YYYYMMDDhhmmssZ`, RFC 5280
 * §4.1.2.5) as seconds since 1970, without a Date or a regex: this runs once per entry.
 */
function readTimeSeconds(buf: Uint8Array, p: number, limit: number): number {
  const tag = buf[p];
  const len = buf[p + 1];
  let q = p + 2;
  let year: number;
  if (tag === Tag.UTC_TIME && len === 13) {
    if (q + 13 > limit) throw pkiError('der_malformed', 'CRL: truncated UTCTime');
    const yy = dig2(buf, q);
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 §4.1.2.5.1
    q += 2;
  } else if (tag === Tag.GENERALIZED_TIME && len === 15) {
    if (q + 15 > limit) throw pkiError('der_malformed', 'CRL: truncated GeneralizedTime');
    year = dig2(buf, q) * 100 + dig2(buf, q + 2);
    q += 4;
  } else {
    throw pkiError('time_malformed', 'CRL: expected a UTCTime or GeneralizedTime in Zulu form with seconds');
  }
  const mo = dig2(buf, q);
  const d = dig2(buf, q + 2);
  const h = dig2(buf, q + 4);
  const mi = dig2(buf, q + 6);
  const s = dig2(buf, q + 8);
  if (buf[q + 10] !== 0x5a) throw pkiError('time_malformed', 'CRL: time not in Zulu form');
  const leap = mo === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > DAYS_IN_MONTH[mo - 1]! + leap || h > 23 || mi > 59 || s > 59)
    throw pkiError('time_malformed', 'CRL: impossible date');
  return daysFromCivil(year, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

function dig2(buf: Uint8Array, p: number): number {
  const a = buf[p]! - 0x30;
  const b = buf[p + 1]! - 0x30;
  if (a < 0 || a > 9 || b < 0 || b > 9) throw pkiError('time_malformed', 'CRL: non-digit in time');
  return a * 10 + b;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (the era/day-of-era method). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
