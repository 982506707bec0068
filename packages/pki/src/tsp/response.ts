/**
 * RFC 3161 TimeStampResp (§2.4.2) and TSTInfo parsing, strict DER.
 */
import { pkiError, WatashiError, type PkiErrorCode } from '../errors.ts';
import { decodeOidContent } from '../der/oid.ts';
import {
  ctx,
  DerReader,
  encodingOf,
  parseTopLevel,
  readBigInt,
  readBitString,
  readBoolean,
  readSmallInt,
  readString,
  Tag,
  valueOf,
  type Tlv,
} from '../der/reader.ts';

/** PKIStatus values (RFC 3161 §2.4.2). */
export const TimeStampStatus = {
  granted: 0,
  grantedWithMods: 1,
  rejection: 2,
  waiting: 3,
  revocationWarning: 4,
  revocationNotification: 5,
} as const;

/** A parsed TimeStampResp. */
export interface TimeStampResponse {
  /** PKIStatus (see {@link TimeStampStatus}). */
  readonly status: number;
  /** statusString texts, when present (the TSA's words; for logs). */
  readonly statusText: ReadonlyArray<string>;
  /** The failInfo bits set (bit numbers of PKIFailureInfo), when present. */
  readonly failInfo: ReadonlyArray<number>;
  /** The TimeStampToken (a ContentInfo DER), present when granted. */
  readonly token?: Uint8Array;
}

/** A parsed TSTInfo (RFC 3161 §2.4.2). */
export interface TstInfo {
  readonly policy: string;
  /** The messageImprint's hash algorithm OID. */
  readonly hashAlgorithm: string;
  readonly hashedMessage: Uint8Array;
  readonly serial: bigint;
  readonly genTime: Date;
  /** accuracy in microseconds, when given. */
  readonly accuracyMicros?: number;
  readonly ordering: boolean;
  readonly nonce?: bigint;
}

function parseOrThrow<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof WatashiError && (e.code as string).startsWith('tsp_')) throw e;
    throw pkiError('tsp_malformed', `malformed ${what}`, { cause: e });
  }
}

const malformed = (msg: string): WatashiError<PkiErrorCode> => pkiError('tsp_malformed', msg);

/**
 * Parses a TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken OPTIONAL }. Throws
 * `tsp_malformed` for bad DER or a granted status without a token; does not judge the status.
 */
export function parseTimeStampResponse(der: Uint8Array, maxSize = 256 * 1024): TimeStampResponse {
  return parseOrThrow('TimeStampResp', () => {
    const r = DerReader.of(der, parseTopLevel(der, Tag.SEQUENCE, 'TimeStampResp', maxSize));
    const si = DerReader.of(der, r.expect(Tag.SEQUENCE, 'PKIStatusInfo'));
    const status = readSmallInt(der, si.expect(Tag.INTEGER, 'status'));
    const statusText: string[] = [];
    const texts = si.optional(Tag.SEQUENCE);
    if (texts) {
      const t = DerReader.of(der, texts);
      while (!t.done) statusText.push(readString(der, t.expect(Tag.UTF8_STRING, 'PKIFreeText')));
    }
    const failInfo: number[] = [];
    const fi = si.optional(Tag.BIT_STRING);
    if (fi) {
      const { bytes, unusedBits } = readBitString(der, fi);
      for (let i = 0; i < bytes.length * 8 - unusedBits; i++)
        if ((bytes[i >> 3]! & (0x80 >> (i & 7))) !== 0) failInfo.push(i);
    }
    si.end('PKIStatusInfo');
    const tokenTlv = r.optional(Tag.SEQUENCE);
    r.end('TimeStampResp');
    // §2.4.2: with status 0 or 1 a token MUST be present; otherwise it MUST NOT.
    const granted = status === TimeStampStatus.granted || status === TimeStampStatus.grantedWithMods;
    if (granted !== (tokenTlv !== undefined))
      throw malformed(granted ? 'a granted answer without a token' : 'a token with a failure status');
    return {
      status,
      statusText,
      failInfo,
      ...(tokenTlv ? { token: encodingOf(der, tokenTlv).slice() } : {}),
    };
  });
}

/** GeneralizedTime of TSTInfo: `YYYYMMDDhhmmss[.f*]Z` (RFC 3161 §2.4.2, fraction without trailing 0). */
function readGenTime(der: Uint8Array, tlv: Tlv): Date {
  if (tlv.tag !== Tag.GENERALIZED_TIME) throw malformed('genTime is not a GeneralizedTime');
  const s = new TextDecoder('latin1').decode(valueOf(der, tlv));
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/.exec(s);
  if (m === null) throw malformed(`bad genTime ${JSON.stringify(s)}`);
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, se, Math.floor(Number(`0.${m[7] ?? '0'}`) * 1000)));
  // Date.UTC rolls 31 February over to March: refuse what does not come back unchanged.
  if (
    t.getUTCFullYear() !== y ||
    t.getUTCMonth() !== mo - 1 ||
    t.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    se > 59
  )
    throw malformed(`bad genTime ${JSON.stringify(s)}`);
  return t;
}

function readAccuracy(der: Uint8Array, tlv: Tlv): number {
  const r = DerReader.of(der, tlv);
  let micros = 0;
  const s = r.optional(Tag.INTEGER);
  if (s) micros += readSmallInt(der, s) * 1_000_000;
  const ms = r.optional(0x80);
  if (ms) micros += readSmallInt(der, { ...ms, tag: Tag.INTEGER }) * 1000;
  const us = r.optional(0x81);
  if (us) micros += readSmallInt(der, { ...us, tag: Tag.INTEGER });
  r.end('Accuracy');
  return micros;
}

/**
 * TSTInfo ::= SEQUENCE { version INTEGER { v1(1) }, policy, messageImprint, serialNumber,
 * genTime, accuracy OPTIONAL, ordering BOOLEAN DEFAULT FALSE, nonce OPTIONAL, tsa [0] OPTIONAL,
 * extensions [1] OPTIONAL } (RFC 3161 §2.4.2).
 */
export function parseTstInfo(der: Uint8Array): TstInfo {
  return parseOrThrow('TSTInfo', () => {
    const r = DerReader.of(der, parseTopLevel(der, Tag.SEQUENCE, 'TSTInfo', der.length));
    if (readSmallInt(der, r.expect(Tag.INTEGER, 'version')) !== 1)
      throw malformed('TSTInfo version is not 1');
    const policy = decodeOidContent(valueOf(der, r.expect(Tag.OID, 'policy')));
    const mi = DerReader.of(der, r.expect(Tag.SEQUENCE, 'messageImprint'));
    const alg = DerReader.of(der, mi.expect(Tag.SEQUENCE, 'hashAlgorithm'));
    const hashAlgorithm = decodeOidContent(valueOf(der, alg.expect(Tag.OID, 'algorithm')));
    if (!alg.done) alg.expect(Tag.NULL, 'hashAlgorithm parameters');
    alg.end('AlgorithmIdentifier');
    const hashedMessage = valueOf(der, mi.expect(Tag.OCTET_STRING, 'hashedMessage')).slice();
    mi.end('MessageImprint');
    const serial = readBigInt(der, r.expect(Tag.INTEGER, 'serialNumber'));
    const genTime = readGenTime(der, r.next());
    const acc = r.optional(Tag.SEQUENCE);
    const ord = r.optional(Tag.BOOLEAN);
    const ordering = ord ? readBoolean(der, ord) : false;
    const n = r.optional(Tag.INTEGER);
    r.optional(ctx(0)); // tsa name: informative only
    r.optional(ctx(1)); // extensions: none understood, none required by RFC 3161
    r.end('TSTInfo');
    return {
      policy,
      hashAlgorithm,
      hashedMessage,
      serial,
      genTime,
      ...(acc ? { accuracyMicros: readAccuracy(der, acc) } : {}),
      ordering,
      ...(n ? { nonce: readBigInt(der, n) } : {}),
    };
  });
}
