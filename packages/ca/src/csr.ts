/**
 * PKCS#10 certification requests (RFC 2986): parsing with a self-signature check, and building
 * one with any {@link Signer} (the CLI's PKCS#11 token, tests). The CA takes only the public key
 * from a request: the subject, extensions and attributes a device asks for are ignored, since the
 * profile decides everything else (docs/trust-service.md §2).
 */
import {
  bitString,
  DerReader,
  encodingOf,
  int,
  parseSpki,
  parseTopLevel,
  readBitString,
  readSignatureAlgorithm,
  readSmallInt,
  seq,
  signatureAlgorithmIdentifier,
  Tag,
  tlv,
  WatashiError,
  type SignatureVerifier,
  type Signer,
} from '@watashi/pki';

/** Error codes of the CA package. */
export type CaErrorCode =
  /** The PKCS#10 request does not parse, or is not version 1. */
  | 'ca_csr_malformed'
  /** The request's signature does not verify with its own key (no proof of possession). */
  | 'ca_csr_signature_invalid'
  /** The request's key is not ECDSA P-256 (the only resident key type). */
  | 'ca_key_unsupported';

/** A WatashiError of the CA package. */
export function caError(code: CaErrorCode, message: string, cause?: unknown): WatashiError<CaErrorCode> {
  return new WatashiError(code, message, cause === undefined ? undefined : { cause });
}

/** A verified PKCS#10 request: the only thing the CA uses is `spki`. */
export interface CertificationRequest {
  readonly der: Uint8Array;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
}

/** Largest request accepted (a P-256 request is ~250 bytes). */
const MAX_CSR_BYTES = 8 * 1024;

/**
 * Parses a PKCS#10 request and checks its self-signature with the requested key. The signature
 * proves that whoever made the request holds the private key at that moment (RFC 2986 §3); it
 * binds nothing to the session, which the activation step does (docs/trust-service.md §3).
 */
export async function parseCertificationRequest(
  der: Uint8Array,
  verifier: SignatureVerifier,
): Promise<CertificationRequest> {
  if (der.length > MAX_CSR_BYTES) throw caError('ca_csr_malformed', 'the request is too large');
  let spki: Uint8Array;
  let info: Uint8Array;
  let algorithm: ReturnType<typeof readSignatureAlgorithm>;
  let signature: Uint8Array;
  try {
    const top = parseTopLevel(der, Tag.SEQUENCE, 'CertificationRequest');
    const r = DerReader.of(der, top);
    const infoTlv = r.expect(Tag.SEQUENCE, 'CertificationRequestInfo');
    info = encodingOf(der, infoTlv);
    const ir = DerReader.of(der, infoTlv);
    if (readSmallInt(der, ir.expect(Tag.INTEGER, 'version')) !== 0)
      throw caError('ca_csr_malformed', 'the request is not PKCS#10 version 1');
    ir.expect(Tag.SEQUENCE, 'subject');
    spki = encodingOf(der, ir.expect(Tag.SEQUENCE, 'subjectPKInfo'));
    ir.expect(0xa0, 'attributes');
    ir.end('CertificationRequestInfo');
    algorithm = readSignatureAlgorithm(der, r.expect(Tag.SEQUENCE, 'signatureAlgorithm'));
    const bits = readBitString(der, r.expect(Tag.BIT_STRING, 'signature'));
    if (bits.unusedBits !== 0) throw caError('ca_csr_malformed', 'the signature has unused bits');
    signature = bits.bytes;
    r.end('CertificationRequest');
  } catch (e) {
    if (e instanceof WatashiError && e.code === 'ca_csr_malformed') throw e;
    throw caError('ca_csr_malformed', 'not a PKCS#10 certification request', e);
  }
  let info2: ReturnType<typeof parseSpki>;
  try {
    info2 = parseSpki(spki);
  } catch (e) {
    throw caError('ca_key_unsupported', 'the requested key does not parse', e);
  }
  if (info2.keyType !== 'ec' || algorithm !== 'ECDSA-SHA256')
    throw caError('ca_key_unsupported', 'resident keys are ECDSA P-256 with SHA-256');
  if (!(await verifier.verify(spki, algorithm, info, signature)))
    throw caError('ca_csr_signature_invalid', 'the request is not signed by its own key');
  return { der, spki };
}

/** Builds a PKCS#10 request for `signer`'s key with an empty subject (the CA decides the subject). */
export async function buildCertificationRequest(signer: Signer): Promise<Uint8Array> {
  const info = seq(int(0), seq(), signer.spki, tlv(0xa0));
  const signature = await signer.sign(info);
  return seq(info, signatureAlgorithmIdentifier(signer.algorithm), bitString(signature));
}
