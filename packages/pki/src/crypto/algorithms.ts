/**
 * Signature and digest algorithms the toolkit speaks, with their AlgorithmIdentifier encodings.
 * RSA PKCS#1 v1.5 with SHA-256 is JPKI's algorithm (docs/jpki.md §0); ECDSA P-256 is for the
 * platform's own keys. SHA-1 is accepted only where a standard forces it on input (OCSP CertID
 * hashes, RFC 6960 §4.1.1) and is never produced by default (docs/conventions.md §5).
 */
import { pkiError } from '../errors.ts';
import { DerReader, Tag, valueOf, type Tlv } from '../der/reader.ts';
import { decodeOidContent, OID } from '../der/oid.ts';
import { nul, oid, seq } from '../der/writer.ts';

/** Signature algorithms, named for WebCrypto's vocabulary. */
export type SignatureAlgorithm = 'RSA-SHA256' | 'RSA-SHA384' | 'RSA-SHA512' | 'ECDSA-SHA256';
/** Digest algorithms. */
export type DigestAlgorithm = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

const SIG_OID: Record<SignatureAlgorithm, string> = {
  'RSA-SHA256': OID.sha256WithRSAEncryption,
  'RSA-SHA384': OID.sha384WithRSAEncryption,
  'RSA-SHA512': OID.sha512WithRSAEncryption,
  'ECDSA-SHA256': OID.ecdsaWithSHA256,
};
const DIGEST_OID: Record<DigestAlgorithm, string> = {
  'SHA-1': OID.sha1,
  'SHA-256': OID.sha256,
  'SHA-384': OID.sha384,
  'SHA-512': OID.sha512,
};

/** The digest inside a signature algorithm. */
export function digestOf(alg: SignatureAlgorithm): DigestAlgorithm {
  return alg === 'RSA-SHA384' ? 'SHA-384' : alg === 'RSA-SHA512' ? 'SHA-512' : 'SHA-256';
}

/** AlgorithmIdentifier for a signature: RSA with explicit NULL parameters (RFC 4055 §5), ECDSA with none (RFC 5758 §3.2). */
export function signatureAlgorithmIdentifier(alg: SignatureAlgorithm): Uint8Array {
  return alg.startsWith('RSA') ? seq(oid(SIG_OID[alg]), nul()) : seq(oid(SIG_OID[alg]));
}

/** AlgorithmIdentifier for a digest (RFC 5754 §2: parameters absent; NULL accepted on input). */
export function digestAlgorithmIdentifier(alg: DigestAlgorithm): Uint8Array {
  return seq(oid(DIGEST_OID[alg]));
}

/** Parses a signature AlgorithmIdentifier; `unsupported_algorithm` for anything else (never silently SHA-1). */
export function readSignatureAlgorithm(buf: Uint8Array, tlv: Tlv): SignatureAlgorithm {
  const r = DerReader.of(buf, tlv);
  const o = decodeOidContent(valueOf(buf, r.expect(Tag.OID, 'algorithm OID')));
  const params = r.done ? undefined : r.next();
  r.end('AlgorithmIdentifier');
  for (const [name, value] of Object.entries(SIG_OID) as [SignatureAlgorithm, string][]) {
    if (value === o) {
      if (name.startsWith('RSA') && params !== undefined && params.tag !== Tag.NULL) {
        throw pkiError('unsupported_algorithm', 'RSA signature AlgorithmIdentifier with non-NULL parameters');
      }
      if (name.startsWith('ECDSA') && params !== undefined) {
        throw pkiError('unsupported_algorithm', 'ECDSA AlgorithmIdentifier must have absent parameters');
      }
      return name;
    }
  }
  throw pkiError('unsupported_algorithm', `unsupported signature algorithm ${o}`);
}

/** Parses a digest AlgorithmIdentifier (parameters absent or NULL). */
export function readDigestAlgorithm(buf: Uint8Array, tlv: Tlv): DigestAlgorithm {
  const r = DerReader.of(buf, tlv);
  const o = decodeOidContent(valueOf(buf, r.expect(Tag.OID, 'digest OID')));
  if (!r.done) r.expect(Tag.NULL, 'NULL parameters');
  r.end('AlgorithmIdentifier');
  for (const [name, value] of Object.entries(DIGEST_OID) as [DigestAlgorithm, string][])
    if (value === o) return name;
  throw pkiError('unsupported_algorithm', `unsupported digest algorithm ${o}`);
}

/** The DigestInfo prefix (RFC 8017 §9.2 note 1) for PKCS#1 v1.5; the card signs prefix ‖ hash (docs/jpki.md §3.3). */
export function digestInfo(alg: DigestAlgorithm, hash: Uint8Array): Uint8Array {
  return seq(seq(oid(DIGEST_OID[alg]), nul()), Uint8Array.from([0x04, hash.length, ...hash]));
}
