/**
 * OCSP responses (RFC 6960 §4.2): what a responder sends.
 *
 * ```asn1
 * OCSPResponse ::= SEQUENCE {
 *   responseStatus         OCSPResponseStatus,
 *   responseBytes      [0] EXPLICIT ResponseBytes OPTIONAL }
 * ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response OCTET STRING }
 * BasicOCSPResponse ::= SEQUENCE {
 *   tbsResponseData      ResponseData,
 *   signatureAlgorithm   AlgorithmIdentifier,
 *   signature            BIT STRING,
 *   certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
 * ResponseData ::= SEQUENCE {
 *   version              [0] EXPLICIT Version DEFAULT v1,
 *   responderID              ResponderID,
 *   producedAt               GeneralizedTime,
 *   responses                SEQUENCE OF SingleResponse,
 *   responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
 * ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash }   -- EXPLICIT (module default)
 * SingleResponse ::= SEQUENCE {
 *   certID                       CertID,
 *   certStatus                   CertStatus,
 *   thisUpdate                   GeneralizedTime,
 *   nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
 *   singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
 * CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT UnknownInfo }
 * RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
 * ```
 *
 * Two levels: {@link buildOcspResponse} does everything in one call; {@link ocspResponderId},
 * {@link encodeResponseData} and {@link signResponseData} split it so a responder can pre-produce
 * and cache nonce-less signed responses (RFC 6960 §2.4 "pre-produced responses"; RFC 5019 §2.2)
 * and sign live only when a request carries a nonce (§4.4.1).
 */
import { bitString, enumerated, explicit, generalizedTime, octets, oid, seq, tlv } from '../der/writer.ts';
import { OID } from '../der/oid.ts';
import { bytesEqual } from '../der/hex.ts';
import { signatureAlgorithmIdentifier } from '../crypto/algorithms.ts';
import { webCryptoDigest, type Digest, type Signer } from '../crypto/provider.ts';
import { parseCertificate } from '../cert/parse.ts';
import { encodeCertId, type CertId } from './cert-id.ts';
import { subjectPublicKeyBits } from '../crypto/key-id.ts';
import { encodeNonceExtension, MAX_NONCE_LENGTH_ACCEPTED } from './extensions.ts';
import { reasonCode, responseStatusCode, type OcspErrorStatus } from './status.ts';
import type { CrlReason } from '../crl/reason.ts';

/** The status of one certificate in a response (RFC 6960 §2.2). */
export type OcspCertStatus =
  | { readonly type: 'good' }
  | { readonly type: 'revoked'; readonly revocationTime: Date; readonly reason?: CrlReason }
  | { readonly type: 'unknown' };

/** One SingleResponse to encode. */
export interface OcspSingleResponseInput {
  /** The CertID as the client sent it (echoed verbatim when it came from {@link parseOcspRequest}). */
  readonly certId: CertId;
  readonly status: OcspCertStatus;
  /** When the status was last known correct (RFC 6960 §2.4). */
  readonly thisUpdate: Date;
  /** When newer information will be available (RFC 6960 §2.4); omit only if it always is. */
  readonly nextUpdate?: Date;
}

/**
 * ResponderID (RFC 6960 §4.2.1). `key`: SHA-1 of the responder's subjectPublicKey bits — RFC 6960
 * fixes SHA-1 here and uses it only to name the key, never to trust it. `name`: the responder's
 * subject Name DER.
 */
export type OcspResponderId =
  | { readonly type: 'key'; readonly keyHash: Uint8Array }
  | { readonly type: 'name'; readonly name: Uint8Array };

/** Inputs of {@link encodeResponseData}. */
export interface ResponseDataInput {
  readonly responderId: OcspResponderId;
  /** When the response was signed (RFC 6960 §2.4). */
  readonly producedAt: Date;
  /** One or more SingleResponses. */
  readonly responses: ReadonlyArray<OcspSingleResponseInput>;
  /** Nonce to echo from the request (RFC 6960 §4.4.1), without its OCTET STRING wrapper. */
  readonly nonce?: Uint8Array;
}

/** Inputs of {@link ocspResponderId}. */
export interface ResponderIdOptions {
  /** The signing key's SPKI (used for `key`). */
  readonly spki: Uint8Array;
  /** `key` (default, RFC 5019 §2.2.3 prefers it) or `name`. */
  readonly by?: 'key' | 'name';
  /** Subject Name DER for `name` (the CA's subject, or the delegated responder's). */
  readonly name?: Uint8Array;
  /** Digest port for the SHA-1 key hash (default WebCrypto). */
  readonly digest?: Digest;
}

/** Computes a ResponderID once; a responder reuses it for every response. */
export async function ocspResponderId(options: ResponderIdOptions): Promise<OcspResponderId> {
  if ((options.by ?? 'key') === 'name') {
    if (options.name === undefined) throw new TypeError('ResponderID byName needs the responder Name DER');
    return { type: 'name', name: options.name };
  }
  const digest = options.digest ?? webCryptoDigest();
  // RFC 6960 §4.2.1: KeyHash is the SHA-1 hash of the responder's public key bits (naming only).
  return { type: 'key', keyHash: await digest('SHA-1', subjectPublicKeyBits(options.spki)) };
}

function encodeResponderId(id: OcspResponderId): Uint8Array {
  return id.type === 'key' ? explicit(2, octets(id.keyHash)) : explicit(1, id.name);
}

function encodeCertStatus(s: OcspCertStatus): Uint8Array {
  switch (s.type) {
    case 'good':
      return Uint8Array.of(0x80, 0x00); // good [0] IMPLICIT NULL
    case 'unknown':
      return Uint8Array.of(0x82, 0x00); // unknown [2] IMPLICIT UnknownInfo (NULL)
    case 'revoked':
      // revoked [1] IMPLICIT RevokedInfo: constructed, so tag 0xa1 over RevokedInfo's content.
      return tlv(
        0xa1,
        generalizedTime(s.revocationTime),
        ...(s.reason === undefined ? [] : [explicit(0, enumerated(reasonCode(s.reason)))]),
      );
    default:
      throw new TypeError(`unknown certificate status ${(s as { type: string }).type}`);
  }
}

function encodeSingleResponse(r: OcspSingleResponseInput): Uint8Array {
  if (r.nextUpdate !== undefined && r.nextUpdate.getTime() < r.thisUpdate.getTime()) {
    throw new RangeError('nextUpdate is before thisUpdate');
  }
  return seq(
    encodeCertId(r.certId),
    encodeCertStatus(r.status),
    generalizedTime(r.thisUpdate),
    ...(r.nextUpdate === undefined ? [] : [explicit(0, generalizedTime(r.nextUpdate))]),
  );
}

/**
 * Encodes ResponseData (the signed part of a BasicOCSPResponse). Synchronous and cheap; version v1
 * is DEFAULT and therefore omitted (X.690 §11.5). All times are GeneralizedTime (RFC 6960 §4.2.1).
 */
export function encodeResponseData(input: ResponseDataInput): Uint8Array {
  if (input.responses.length === 0) throw new RangeError('a response needs at least one SingleResponse');
  const { nonce } = input;
  if (nonce !== undefined && (nonce.length < 1 || nonce.length > MAX_NONCE_LENGTH_ACCEPTED)) {
    throw new RangeError(`nonce must be 1..${MAX_NONCE_LENGTH_ACCEPTED} octets`);
  }
  return seq(
    encodeResponderId(input.responderId),
    generalizedTime(input.producedAt),
    seq(...input.responses.map(encodeSingleResponse)),
    ...(nonce === undefined ? [] : [explicit(1, seq(encodeNonceExtension(nonce)))]),
  );
}

/** Wraps a BasicOCSPResponse DER in a successful OCSPResponse. */
function wrapBasic(basic: Uint8Array): Uint8Array {
  return seq(
    enumerated(responseStatusCode('successful')),
    explicit(0, seq(oid(OID.ocspBasic), octets(basic))),
  );
}

/**
 * Signs ResponseData and returns the complete DER OCSPResponse (status successful, type
 * id-pkix-ocsp-basic). `certificates` go into `certs`: a delegated responder's certificate
 * (RFC 6960 §4.2.2.2) so clients can check its authorisation.
 */
export async function signResponseData(
  responseData: Uint8Array,
  signer: Signer,
  certificates: ReadonlyArray<Uint8Array> = [],
): Promise<Uint8Array> {
  const sig = await signer.sign(responseData);
  const basic = seq(
    responseData,
    signatureAlgorithmIdentifier(signer.algorithm),
    bitString(sig),
    ...(certificates.length ? [explicit(0, seq(...certificates))] : []),
  );
  return wrapBasic(basic);
}

/** Inputs of {@link buildOcspResponse}. */
export interface BuildOcspResponseOptions {
  /** The key that signs: the CA's own key, or a delegated responder's key. */
  readonly signer: Signer;
  /**
   * DER of the delegated responder certificate (issued by the CA, with EKU id-kp-OCSPSigning,
   * RFC 6960 §4.2.2.2) when `signer` is not the CA itself; it is placed in `certs`.
   */
  readonly responderCertificate?: Uint8Array;
  /** ResponderID form (default `key`). */
  readonly responderId?: 'key' | 'name';
  /** Name DER for `responderId: 'name'`; defaults to the responder certificate's subject. */
  readonly responderName?: Uint8Array;
  readonly producedAt: Date;
  readonly responses: ReadonlyArray<OcspSingleResponseInput>;
  /** Request nonce to echo (RFC 6960 §4.4.1). */
  readonly nonce?: Uint8Array;
  /** More certificates for `certs` (rarely needed). */
  readonly extraCertificates?: ReadonlyArray<Uint8Array>;
  /** Digest port (default WebCrypto). */
  readonly digest?: Digest;
}

/** Builds and signs a complete successful OCSPResponse (DER). */
export async function buildOcspResponse(options: BuildOcspResponseOptions): Promise<Uint8Array> {
  const { signer, responderCertificate } = options;
  let name = options.responderName;
  if (responderCertificate !== undefined) {
    const rc = parseCertificate(responderCertificate);
    if (!bytesEqual(rc.spki, signer.spki)) {
      throw new RangeError('the responder certificate does not certify the signer key');
    }
    name ??= rc.subject.der;
  }
  const responderId = await ocspResponderId({
    spki: signer.spki,
    by: options.responderId ?? 'key',
    ...(name === undefined ? {} : { name }),
    ...(options.digest === undefined ? {} : { digest: options.digest }),
  });
  const tbs = encodeResponseData({
    responderId,
    producedAt: options.producedAt,
    responses: options.responses,
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
  });
  const certs = [
    ...(responderCertificate ? [responderCertificate] : []),
    ...(options.extraCertificates ?? []),
  ];
  return signResponseData(tbs, signer, certs);
}

/**
 * An unsigned error response (RFC 6960 §2.3, §4.2.1): only `responseStatus`, no responseBytes.
 * Clients cannot authenticate these, so they must treat them as "no answer", never as a status.
 */
export function ocspErrorResponse(status: OcspErrorStatus): Uint8Array {
  if ((status as string) === 'successful') {
    throw new RangeError('a successful response must be signed (use buildOcspResponse)');
  }
  return seq(enumerated(responseStatusCode(status)));
}
