/**
 * The time-stamping authority's side of RFC 3161: read a TimeStampReq (§2.4.1) and answer a
 * TimeStampResp (§2.4.2) whose token is a CMS SignedData over a TSTInfo, signed through a
 * {@link Signer} port so that the key can live in a key store or an HSM.
 *
 * What Watashi's TSA accepts: version 1, a SHA-256/384/512 imprint of the right length, no
 * reqPolicy or the TSA's own policy, no extensions. Anything else is answered with a signed-less
 * rejection carrying the PKIFailureInfo bit that names the problem (§2.4.2), never an exception:
 * a TSA's client needs an answer it can read.
 */
import { parseCertificate } from '../cert/parse.ts';
import { prepareCmsSignature, signingCertificateV2Attribute } from '../cms/sign.ts';
import type { Signer } from '../crypto/provider.ts';
import { bytesEqual } from '../der/hex.ts';
import { decodeOidContent, OID } from '../der/oid.ts';
import {
  ctx,
  DerReader,
  parseTopLevel,
  readBigInt,
  readBoolean,
  readSmallInt,
  Tag,
  valueOf,
} from '../der/reader.ts';
import { generalizedTime, int, octets, oid, seq, utf8 } from '../der/writer.ts';
import { encodeNamedBits } from '../cert/extensions.ts';
import { TimeStampStatus } from './response.ts';

/** PKIFailureInfo bits (RFC 3161 §2.4.2). */
export const TimeStampFailure = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;

/** Configuration of a time-stamping authority. */
export interface TimeStampAuthority {
  /** The TSA's key (its SPKI must equal the certificate's). */
  readonly signer: Signer;
  /** The TSA certificate (DER): extendedKeyUsage id-kp-timeStamping only, critical (§2.3). */
  readonly certificate: Uint8Array;
  /** Certificates of the TSA's chain to include after it when certReq is set. */
  readonly chain?: ReadonlyArray<Uint8Array>;
  /** The TSA policy OID put into every TSTInfo (§2.4.2: policy MUST be present). */
  readonly policy: string;
  /** The time source (inject the platform's clock). */
  readonly now: () => Date;
  /** A fresh serial per token (§2.4.2: unique per TSA, up to 160 bits). Default: 127 random bits. */
  readonly serial?: () => bigint;
  /** accuracy in seconds written into TSTInfo (default 1). */
  readonly accuracySeconds?: number;
}

/** What {@link respondTimeStamp} did, for logs and metrics (never the imprint). */
export interface TimeStampAnswer {
  /** The DER TimeStampResp to send back as application/timestamp-reply. */
  readonly der: Uint8Array;
  readonly status: number;
  /** The failure bit when rejected. */
  readonly failure?: number;
  /** The token's serial and time when granted. */
  readonly serial?: bigint;
  readonly genTime?: Date;
}

const IMPRINT_LENGTH: Readonly<Record<string, number>> = {
  [OID.sha256]: 32,
  [OID.sha384]: 48,
  [OID.sha512]: 64,
};

/** A request the TSA answers with a rejection (internal: never leaves {@link respondTimeStamp}). */
class Refusal extends Error {
  constructor(
    readonly failure: number,
    readonly text: string,
  ) {
    super(text);
  }
}

interface ParsedRequest {
  readonly hashAlgorithm: string;
  readonly imprint: Uint8Array;
  readonly nonce?: bigint;
  readonly certReq: boolean;
}

function parseRequest(der: Uint8Array, policy: string): ParsedRequest {
  let r: DerReader;
  try {
    r = DerReader.of(der, parseTopLevel(der, Tag.SEQUENCE, 'TimeStampReq', 64 * 1024));
  } catch {
    throw new Refusal(TimeStampFailure.badDataFormat, 'the request is not a DER TimeStampReq');
  }
  try {
    if (readSmallInt(der, r.expect(Tag.INTEGER, 'version')) !== 1)
      throw new Refusal(TimeStampFailure.badRequest, 'only version 1 requests are answered');
    const mi = DerReader.of(der, r.expect(Tag.SEQUENCE, 'messageImprint'));
    const alg = DerReader.of(der, mi.expect(Tag.SEQUENCE, 'hashAlgorithm'));
    const hashAlgorithm = decodeOidContent(valueOf(der, alg.expect(Tag.OID, 'algorithm')));
    if (!alg.done) alg.expect(Tag.NULL, 'parameters');
    alg.end('AlgorithmIdentifier');
    const imprint = valueOf(der, mi.expect(Tag.OCTET_STRING, 'hashedMessage')).slice();
    mi.end('MessageImprint');
    // No SHA-1 or unknown digests (docs/conventions.md §5); the length must be the digest's.
    if (IMPRINT_LENGTH[hashAlgorithm] === undefined)
      throw new Refusal(TimeStampFailure.badAlg, `imprint algorithm ${hashAlgorithm} is not accepted`);
    if (imprint.length !== IMPRINT_LENGTH[hashAlgorithm])
      throw new Refusal(TimeStampFailure.badDataFormat, 'the imprint length does not match its algorithm');
    const reqPolicy = r.optional(Tag.OID);
    if (reqPolicy && decodeOidContent(valueOf(der, reqPolicy)) !== policy)
      throw new Refusal(TimeStampFailure.unacceptedPolicy, 'this TSA issues under one policy only');
    const n = r.optional(Tag.INTEGER);
    const c = r.optional(Tag.BOOLEAN);
    if (r.optional(ctx(0)))
      throw new Refusal(TimeStampFailure.unacceptedExtension, 'request extensions are not accepted');
    r.end('TimeStampReq');
    return {
      hashAlgorithm,
      imprint,
      ...(n ? { nonce: readBigInt(der, n) } : {}),
      certReq: c ? readBoolean(der, c) : false,
    };
  } catch (e) {
    if (e instanceof Refusal) throw e;
    throw new Refusal(TimeStampFailure.badDataFormat, 'the request is not a DER TimeStampReq');
  }
}

/** PKIStatusInfo ::= SEQUENCE { status, statusString PKIFreeText OPTIONAL, failInfo OPTIONAL } */
function rejection(failure: number, text: string): Uint8Array {
  return seq(seq(int(TimeStampStatus.rejection), seq(utf8(text)), encodeNamedBits([failure])));
}

/** 127 random bits, positive (§2.4.2: serial numbers up to 160 bits). */
function randomSerial(): bigint {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.reduce((n, x) => (n << 8n) | BigInt(x), 0n);
}

/**
 * Answers one TimeStampReq. Rejections are TimeStampResp with status rejection and a failInfo bit;
 * a failure of the signer propagates (the HTTP edge answers it as systemFailure or 503).
 */
export async function respondTimeStamp(
  request: Uint8Array,
  tsa: TimeStampAuthority,
): Promise<TimeStampAnswer> {
  const cert = parseCertificate(tsa.certificate);
  if (!bytesEqual(cert.spki, tsa.signer.spki))
    throw new TypeError('the TSA key does not match its certificate');
  let req: ParsedRequest;
  try {
    req = parseRequest(request, tsa.policy);
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    return {
      der: rejection(e.failure, e.text),
      status: TimeStampStatus.rejection,
      failure: e.failure,
    };
  }
  // The TSA refuses to stamp outside its certificate's validity (the token would not verify).
  const now = new Date(Math.floor(tsa.now().getTime() / 1000) * 1000);
  if (now < cert.notBefore || now > cert.notAfter) {
    const f = TimeStampFailure.timeNotAvailable;
    return {
      der: rejection(f, 'the TSA certificate is not valid now'),
      status: TimeStampStatus.rejection,
      failure: f,
    };
  }
  const serial = (tsa.serial ?? randomSerial)();
  const accuracy = tsa.accuracySeconds ?? 1;
  // TSTInfo (§2.4.2); genTime to the second, "ordering" left at its default false, no tsa name.
  const tstInfo = seq(
    int(1),
    oid(tsa.policy),
    seq(seq(oid(req.hashAlgorithm)), octets(req.imprint)),
    int(serial),
    generalizedTime(now),
    ...(accuracy > 0 ? [seq(int(accuracy))] : []),
    ...(req.nonce !== undefined ? [int(req.nonce)] : []),
  );
  const prepared = await prepareCmsSignature({
    content: tstInfo,
    detached: false,
    contentType: OID.ctTSTInfo,
    certificate: tsa.certificate,
    extraCertificates: tsa.chain ?? [],
    includeCertificates: req.certReq,
    algorithm: tsa.signer.algorithm,
    signingTime: now,
    signedAttributes: [await signingCertificateV2Attribute(tsa.certificate)],
  });
  const token = prepared.finish(await tsa.signer.sign(prepared.toBeSigned));
  return {
    der: seq(seq(int(TimeStampStatus.granted)), token),
    status: TimeStampStatus.granted,
    serial,
    genTime: now,
  };
}

/** The TSA certificate's extensions profile (§2.3), for building one with `buildCertificate`. */
export const TSA_EXTENDED_KEY_USAGE = [OID.kpTimeStamping] as const;
