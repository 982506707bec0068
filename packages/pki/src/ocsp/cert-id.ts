/**
 * OCSP CertID (RFC 6960 §4.1.1): how a request names a certificate and how a response says which
 * certificate each answer is about.
 *
 * ```asn1
 * CertID ::= SEQUENCE {
 *   hashAlgorithm   AlgorithmIdentifier,
 *   issuerNameHash  OCTET STRING, -- Hash of issuer's DN
 *   issuerKeyHash   OCTET STRING, -- Hash of issuer's public key
 *   serialNumber    CertificateSerialNumber }
 * ```
 *
 * SHA-256 is the default. SHA-1 CertIDs are parsed, matched and — only on explicit request —
 * produced, because deployed clients (`openssl ocsp` by default) still send them; a CertID hash is
 * a lookup key, not a signature, so SHA-1 here decides nothing on its own (docs/conventions.md §5).
 */
import { pkiError } from '../errors.ts';
import { DerReader, readBigInt, Tag, valueOf, type Tlv } from '../der/reader.ts';
import { int, octets, seq, tlv } from '../der/writer.ts';
import { bytesEqual } from '../der/hex.ts';
import {
  digestAlgorithmIdentifier,
  readDigestAlgorithm,
  type DigestAlgorithm,
} from '../crypto/algorithms.ts';
import { webCryptoDigest, type Digest } from '../crypto/provider.ts';
// RFC 6960 §4.1.1 hashes the key bits the same way RFC 5280 §4.2.1.2 method (1) does.
import { subjectPublicKeyBits } from '../crypto/key-id.ts';
import type { Certificate } from '../cert/parse.ts';

/**
 * What a CertID needs of the certificate asked about: its serial and its issuer field. A caller
 * that kept only the serial (it may not keep the certificate, e.g. because the certificate holds
 * personal data) passes the issuer's subject as `issuer` and empty `serialBytes` (then the serial
 * is encoded minimally).
 */
export type OcspSubject = Pick<Certificate, 'serial' | 'serialBytes' | 'issuer'>;

/** Hash algorithms accepted in a CertID. */
export type CertIdHashAlgorithm = DigestAlgorithm;

/** One CertID. Byte fields may be views into a larger buffer. */
export interface CertId {
  /** Hash used for `issuerNameHash` and `issuerKeyHash`. */
  readonly hashAlgorithm: CertIdHashAlgorithm;
  /** Hash of the DER of the certificate's issuer Name. */
  readonly issuerNameHash: Uint8Array;
  /** Hash of the issuer's subjectPublicKey BIT STRING value (no tag, length or unused-bits octet). */
  readonly issuerKeyHash: Uint8Array;
  /** The serial number. */
  readonly serial: bigint;
  /** The serial INTEGER's content octets as encoded (echoed verbatim in responses). */
  readonly serialBytes: Uint8Array;
  /**
   * The exact CertID encoding when it was parsed from a request: a responder echoes it byte for
   * byte (some clients compare whole CertIDs, including the NULL-or-absent hash parameters).
   */
  readonly der?: Uint8Array;
}

/** The issuer half of a CertID: what a responder indexes its CAs by. */
export interface CertIdIssuerHashes {
  readonly hashAlgorithm: CertIdHashAlgorithm;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
}

/**
 * The issuer hashes for certificates issued by `issuer`: name hash over the issuer's subject DER,
 * key hash over its key bits. A responder computes these once per CA and hash algorithm.
 */
export async function certIdIssuerHashes(
  issuer: Certificate,
  hashAlgorithm: CertIdHashAlgorithm = 'SHA-256',
  digest: Digest = webCryptoDigest(),
): Promise<CertIdIssuerHashes> {
  const [issuerNameHash, issuerKeyHash] = await Promise.all([
    digest(hashAlgorithm, issuer.subject.der),
    digest(hashAlgorithm, subjectPublicKeyBits(issuer.spki)),
  ]);
  return { hashAlgorithm, issuerNameHash, issuerKeyHash };
}

/**
 * Issuer hashes already computed, per digest port and per parsed issuer certificate, both held
 * weakly. A verifier checks every response against the same few issuers, and hashing their name
 * and key again took three digest calls per OCSP verification. Certificates are immutable views
 * (cert/parse.ts), so a parsed issuer always hashes the same.
 */
const issuerHashMemo = new WeakMap<
  Digest,
  WeakMap<Certificate, Map<CertIdHashAlgorithm, CertIdIssuerHashes>>
>();

/**
 * {@link certIdIssuerHashes}, remembered for `issuer` and `digest`. Internal: the arrays are shared
 * between calls, so callers compare them and never hand them out.
 */
export async function memoIssuerHashes(
  issuer: Certificate,
  hashAlgorithm: CertIdHashAlgorithm,
  digest: Digest,
): Promise<CertIdIssuerHashes> {
  let byIssuer = issuerHashMemo.get(digest);
  if (byIssuer === undefined) issuerHashMemo.set(digest, (byIssuer = new WeakMap()));
  let byAlg = byIssuer.get(issuer);
  if (byAlg === undefined) byIssuer.set(issuer, (byAlg = new Map<CertIdHashAlgorithm, CertIdIssuerHashes>()));
  let hashes = byAlg.get(hashAlgorithm);
  if (hashes === undefined) {
    hashes = await certIdIssuerHashes(issuer, hashAlgorithm, digest);
    byAlg.set(hashAlgorithm, hashes);
  }
  return hashes;
}

/**
 * The CertID of `cert` issued by `issuer` (RFC 6960 §4.1.1). The name hash is over the leaf's own
 * issuer field bytes, which is what a responder sees in the certificate it issued; the key hash is
 * over the issuer's key bits. SHA-256 unless `hashAlgorithm` says otherwise.
 */
export async function certIdFor(
  cert: OcspSubject,
  issuer: Certificate,
  hashAlgorithm: CertIdHashAlgorithm = 'SHA-256',
  digest: Digest = webCryptoDigest(),
): Promise<CertId> {
  const known = await memoIssuerHashes(issuer, hashAlgorithm, digest);
  // The leaf's issuer field is normally the issuer's subject byte for byte; hash it when not.
  const issuerNameHash = bytesEqual(cert.issuer.der, issuer.subject.der)
    ? known.issuerNameHash.slice()
    : await digest(hashAlgorithm, cert.issuer.der);
  return {
    hashAlgorithm,
    issuerNameHash,
    issuerKeyHash: known.issuerKeyHash.slice(),
    serial: cert.serial,
    serialBytes: cert.serialBytes,
  };
}

/** True when two CertIDs name the same certificate: same hash algorithm, same hashes, same serial. */
export function certIdMatches(a: CertId, b: CertId): boolean {
  return (
    a.hashAlgorithm === b.hashAlgorithm &&
    a.serial === b.serial &&
    bytesEqual(a.issuerNameHash, b.issuerNameHash) &&
    bytesEqual(a.issuerKeyHash, b.issuerKeyHash)
  );
}

/** True when `id`'s issuer half equals `issuer` (same algorithm and both hashes). */
export function certIdIssuedBy(id: CertId, issuer: CertIdIssuerHashes): boolean {
  return (
    id.hashAlgorithm === issuer.hashAlgorithm &&
    bytesEqual(id.issuerNameHash, issuer.issuerNameHash) &&
    bytesEqual(id.issuerKeyHash, issuer.issuerKeyHash)
  );
}

/** DER of a CertID: the parsed encoding verbatim when present, else a fresh encoding. */
export function encodeCertId(id: CertId): Uint8Array {
  if (id.der !== undefined) return id.der;
  const serial = id.serialBytes.length > 0 ? tlv(Tag.INTEGER, id.serialBytes) : int(id.serial);
  return seq(
    digestAlgorithmIdentifier(id.hashAlgorithm),
    octets(id.issuerNameHash),
    octets(id.issuerKeyHash),
    serial,
  );
}

const HASH_LENGTH: Record<CertIdHashAlgorithm, number> = {
  'SHA-1': 20,
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
};

/**
 * Reads a CertID TLV. Hash lengths must fit the algorithm. Throws DER or `unsupported_algorithm`
 * errors; the request and response parsers wrap them as `ocsp_malformed`.
 */
export function readCertId(buf: Uint8Array, t: Tlv): CertId {
  const r = DerReader.of(buf, t);
  const hashAlgorithm = readDigestAlgorithm(buf, r.expect(Tag.SEQUENCE, 'hashAlgorithm'));
  const issuerNameHash = valueOf(buf, r.expect(Tag.OCTET_STRING, 'issuerNameHash'));
  const issuerKeyHash = valueOf(buf, r.expect(Tag.OCTET_STRING, 'issuerKeyHash'));
  const serialTlv = r.expect(Tag.INTEGER, 'serialNumber');
  r.end('CertID');
  const n = HASH_LENGTH[hashAlgorithm];
  if (issuerNameHash.length !== n || issuerKeyHash.length !== n) {
    throw pkiError('ocsp_malformed', `CertID hashes are not ${n}-byte ${hashAlgorithm} values`);
  }
  return {
    hashAlgorithm,
    issuerNameHash,
    issuerKeyHash,
    serial: readBigInt(buf, serialTlv),
    serialBytes: valueOf(buf, serialTlv),
    der: buf.subarray(t.start, t.end),
  };
}
