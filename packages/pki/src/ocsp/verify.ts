/**
 * Client-side verification of an OCSP response (RFC 6960 §3.2, §4.2.2.2), failing closed: any
 * doubt is a `WatashiError`, which a revocation checker turns into `unknown` (docs/conventions.md §5).
 *
 * Order of checks, each with its own stable code:
 * 1. the DER parses (`ocsp_malformed`);
 * 2. `responseStatus` is `successful` (`ocsp_error_status`, `detail.status` names the status);
 * 3. the signer is authorised (`ocsp_unauthorized_responder`): the issuer itself, or a delegated
 *    responder whose certificate is in `certs`, issued and signed by the issuer, carries EKU
 *    id-kp-OCSPSigning and is valid at `now` (§4.2.2.2);
 * 4. the signature verifies (`ocsp_signature_invalid`; an algorithm we refuse counts as invalid);
 * 5. a SingleResponse names our certificate (`ocsp_cert_not_in_response`);
 * 6. it is fresh (`ocsp_stale`, §2.4 and §3.2 (4)–(5));
 * 7. our nonce came back (`ocsp_nonce_mismatch`, §4.4.1).
 */
import { pkiError } from '../errors.ts';
import { OID } from '../der/oid.ts';
import { bytesEqual } from '../der/hex.ts';
import { webCryptoDigest, type Digest, type SignatureVerifier } from '../crypto/provider.ts';
import { parseCertificate, type Certificate } from '../cert/parse.ts';
import { certIdFor, certIdMatches, memoIssuerHashes, type CertId, type OcspSubject } from './cert-id.ts';
import { parseOcspResponse, type BasicOcspResponse, type OcspSingleResponse } from './parse-response.ts';
import type { OcspResponderId } from './respond.ts';
import type { CrlReason } from '../crl/reason.ts';

/** Default tolerance between our clock and the responder's (OpenSSL's default validity period too). */
const DEFAULT_OCSP_CLOCK_SKEW_SECONDS = 300;
/**
 * Age limit applied when a response has no nextUpdate and the caller set no `maxAgeSeconds`:
 * RFC 6960 §4.2.2.1 says such a responder always has newer information, so an old answer is not
 * current. 15 minutes is J-LIS's refresh cadence (docs/jpki.md §2.2).
 */
const DEFAULT_OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE_SECONDS = 900;

/** Inputs of {@link verifyOcspResponse}. */
export interface VerifyOcspResponseOptions {
  /** The DER OCSPResponse. */
  readonly der: Uint8Array;
  /** The certificate asked about (its serial and issuer field suffice). */
  readonly cert: OcspSubject;
  /** Its issuer (already validated by the caller: this is the trust root of the response). */
  readonly issuer: Certificate;
  /** The nonce sent in the request, if any; the response must echo it. */
  readonly nonce?: Uint8Array;
  /** The time of the check. */
  readonly now: Date;
  readonly verifier: SignatureVerifier;
  /** Digest port (default WebCrypto). */
  readonly digest?: Digest;
  /** Reject answers whose thisUpdate is older than this (local freshness policy, RFC 6960 §3.2). */
  readonly maxAgeSeconds?: number;
  /** Clock tolerance (default {@link DEFAULT_OCSP_CLOCK_SKEW_SECONDS}). */
  readonly clockSkewSeconds?: number;
}

/** Who signed a verified response. */
export type OcspResponder =
  | { readonly type: 'issuer'; readonly responderId: OcspResponderId }
  | {
      readonly type: 'delegated';
      readonly responderId: OcspResponderId;
      readonly certificate: Certificate;
      /**
       * Whether the responder certificate has id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1). Without
       * it a careful caller checks the responder certificate's revocation too; this function does not.
       */
      readonly noCheck: boolean;
    };

/** A verified answer about one certificate. */
export interface OcspVerification {
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revocationTime?: Date;
  readonly reason?: CrlReason;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly producedAt: Date;
  readonly responder: OcspResponder;
  /** The CertID of the matching SingleResponse (in the response's hash algorithm). */
  readonly certId: CertId;
}

function responderIdMatches(
  id: OcspResponderId,
  c: Certificate,
  keyHashOf: (c: Certificate) => Promise<Uint8Array>,
): Promise<boolean> {
  if (id.type === 'name') return Promise.resolve(bytesEqual(id.name, c.subject.der));
  return keyHashOf(c).then((h) => bytesEqual(h, id.keyHash));
}

/**
 * RFC 6960 §4.2.2.2 case 2: is `rc` a responder the issuer authorised? Returns the reason it is
 * not, or undefined when it is.
 */
async function delegationProblem(
  rc: Certificate,
  issuer: Certificate,
  now: Date,
  verifier: SignatureVerifier,
): Promise<string | undefined> {
  if (!bytesEqual(rc.issuer.der, issuer.subject.der))
    return 'responder certificate is not issued by the issuer';
  if (!(rc.extKeyUsage ?? []).includes(OID.kpOcspSigning))
    return 'responder certificate lacks extended key usage id-kp-OCSPSigning';
  if (rc.keyUsage && !rc.keyUsage.usages.has('digitalSignature') && !rc.keyUsage.usages.has('nonRepudiation'))
    return 'responder certificate key usage does not allow signing';
  if (rc.unknownCriticalExtensions.length > 0)
    return `responder certificate has unsupported critical extensions ${rc.unknownCriticalExtensions.join(',')}`;
  if (now.getTime() < rc.notBefore.getTime() || now.getTime() > rc.notAfter.getTime())
    return 'responder certificate is not valid now';
  if (!(await verifier.verify(issuer.spki, rc.signatureAlgorithm, rc.tbs, rc.signature)))
    return 'responder certificate signature does not verify with the issuer key';
  return undefined;
}

/** Finds and authorises the signer of `basic` (steps 3 and 4 of the module comment). */
async function authoriseAndVerify(
  basic: BasicOcspResponse,
  issuer: Certificate,
  now: Date,
  verifier: SignatureVerifier,
  digest: Digest,
): Promise<OcspResponder> {
  // RFC 6960 §4.2.1: ResponderID byKey is the SHA-1 hash of the key bits, as in a CertID.
  const keyHashOf = async (c: Certificate): Promise<Uint8Array> =>
    (await memoIssuerHashes(c, 'SHA-1', digest)).issuerKeyHash;
  const checkSignature = async (spki: Uint8Array): Promise<void> => {
    if (basic.signatureAlgorithm === undefined) {
      throw pkiError('ocsp_signature_invalid', 'OCSP response signature is invalid', {
        detail: { reason: 'unsupported_algorithm', algorithm: basic.signatureAlgorithmOid },
      });
    }
    if (!(await verifier.verify(spki, basic.signatureAlgorithm, basic.tbsResponseData, basic.signature))) {
      throw pkiError('ocsp_signature_invalid', 'OCSP response signature is invalid');
    }
  };

  const { responderId } = basic;
  // RFC 6960 §4.2.2.2 case 1: the CA that issued the certificate signs the response itself.
  if (await responderIdMatches(responderId, issuer, keyHashOf)) {
    await checkSignature(issuer.spki);
    return { type: 'issuer', responderId };
  }

  // Case 2: a delegated responder, whose certificate the response carries.
  const problems: string[] = [];
  for (const der of basic.certificates) {
    let rc: Certificate;
    try {
      rc = parseCertificate(der);
    } catch (cause) {
      throw pkiError('ocsp_malformed', 'a certificate in the OCSP response does not parse', { cause });
    }
    if (!(await responderIdMatches(responderId, rc, keyHashOf))) continue;
    const problem = await delegationProblem(rc, issuer, now, verifier);
    if (problem !== undefined) {
      problems.push(problem);
      continue;
    }
    await checkSignature(rc.spki);
    return {
      type: 'delegated',
      responderId,
      certificate: rc,
      noCheck: rc.extensions.some((x) => x.oid === OID.ocspNoCheck),
    };
  }
  // Case 3 (a locally configured trusted responder) is not supported: JPKI responders are the CAs.
  throw pkiError(
    'ocsp_unauthorized_responder',
    problems.length
      ? `OCSP responder is not authorised by the issuer: ${problems.join('; ')}`
      : 'OCSP response is signed by neither the issuer nor a delegated responder it carries',
  );
}

async function findSingle(
  basic: BasicOcspResponse,
  cert: OcspSubject,
  issuer: Certificate,
  digest: Digest,
): Promise<OcspSingleResponse> {
  const ours = new Map<string, CertId>();
  for (const single of basic.responses) {
    const alg = single.certId.hashAlgorithm;
    let mine = ours.get(alg);
    if (mine === undefined) {
      mine = await certIdFor(cert, issuer, alg, digest);
      ours.set(alg, mine);
    }
    if (certIdMatches(single.certId, mine)) return single;
  }
  throw pkiError('ocsp_cert_not_in_response', 'the OCSP response has no answer for this certificate');
}

/**
 * Verifies a DER OCSPResponse for `cert` issued by `issuer` and returns the status it states.
 * Throws a `WatashiError` (codes in the module comment) when the answer cannot be relied on.
 */
export async function verifyOcspResponse(options: VerifyOcspResponseOptions): Promise<OcspVerification> {
  const { cert, issuer, now, verifier, digest = webCryptoDigest() } = options;
  const skewMs = (options.clockSkewSeconds ?? DEFAULT_OCSP_CLOCK_SKEW_SECONDS) * 1000;
  if (!(skewMs >= 0)) throw new RangeError('clockSkewSeconds must be ≥ 0');
  if (options.maxAgeSeconds !== undefined && !(options.maxAgeSeconds >= 0))
    throw new RangeError('maxAgeSeconds must be ≥ 0');

  const parsed = parseOcspResponse(options.der);
  if (parsed.responseStatus !== 'successful' || parsed.basic === undefined) {
    throw pkiError('ocsp_error_status', `OCSP responder answered ${parsed.responseStatus}`, {
      detail: { status: parsed.responseStatus },
    });
  }
  const basic = parsed.basic;
  const responder = await authoriseAndVerify(basic, issuer, now, verifier, digest);

  // RFC 6960 §4.2.1: unrecognised critical extensions make the response unusable.
  const critical = basic.extensions.filter((x) => x.critical && x.oid !== OID.ocspNonce);
  if (critical.length) {
    throw pkiError('ocsp_malformed', `unsupported critical response extension ${critical[0]!.oid}`);
  }

  const single = await findSingle(basic, cert, issuer, digest);
  const singleCritical = single.extensions.find((x) => x.critical);
  if (singleCritical) {
    throw pkiError('ocsp_malformed', `unsupported critical single extension ${singleCritical.oid}`);
  }

  // RFC 6960 §3.2 (4)–(5) and §2.4: thisUpdate is recent enough, nextUpdate is not past.
  const t = now.getTime();
  if (basic.producedAt.getTime() > t + skewMs)
    throw pkiError('ocsp_stale', 'OCSP producedAt is in the future');
  if (single.thisUpdate.getTime() > t + skewMs)
    throw pkiError('ocsp_stale', 'OCSP thisUpdate is in the future');
  if (single.nextUpdate !== undefined && single.nextUpdate.getTime() < t - skewMs) {
    throw pkiError('ocsp_stale', 'OCSP nextUpdate has passed', {
      detail: { nextUpdate: single.nextUpdate.toISOString() },
    });
  }
  const maxAge =
    options.maxAgeSeconds ??
    (single.nextUpdate === undefined ? DEFAULT_OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE_SECONDS : undefined);
  if (maxAge !== undefined && t - single.thisUpdate.getTime() > maxAge * 1000 + skewMs) {
    throw pkiError('ocsp_stale', `OCSP thisUpdate is older than ${maxAge} s`, {
      detail: { thisUpdate: single.thisUpdate.toISOString(), maxAgeSeconds: maxAge },
    });
  }

  // RFC 6960 §4.4.1: the nonce binds the answer to our request (replay protection).
  if (options.nonce !== undefined && (basic.nonce === undefined || !bytesEqual(basic.nonce, options.nonce))) {
    throw pkiError(
      'ocsp_nonce_mismatch',
      basic.nonce === undefined
        ? 'the OCSP response does not echo our nonce'
        : 'the OCSP response nonce differs',
    );
  }

  const s = single.status;
  return {
    status: s.type,
    ...(s.type === 'revoked' ? { revocationTime: s.revocationTime } : {}),
    ...(s.type === 'revoked' && s.reason !== undefined ? { reason: s.reason } : {}),
    thisUpdate: single.thisUpdate,
    ...(single.nextUpdate === undefined ? {} : { nextUpdate: single.nextUpdate }),
    producedAt: basic.producedAt,
    responder,
    certId: single.certId,
  };
}
