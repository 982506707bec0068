/**
 * Builds X.509 v3 certificates (RFC 5280 §4.1) from explicit parts. Profiles (JPKI end-entity,
 * CA, OCSP responder, platform device certificates) decide the parts; this function only encodes
 * them in the order given — extension order is part of a profile (docs/jpki.md §1.1).
 */
import { signatureAlgorithmIdentifier } from '../crypto/algorithms.ts';
import type { Signer } from '../crypto/provider.ts';
import { bitString, explicit, int, seq, x509Time } from '../der/writer.ts';
import { encodeExtension, type Extension } from './extensions.ts';

/** Inputs of {@link buildCertificate}. */
export interface CertificateTemplate {
  /** Positive serial number (RFC 5280 §4.1.2.2: ≤ 20 octets). */
  readonly serial: bigint;
  /** Issuer Name DER (byte-exact copy of the issuer's subject). */
  readonly issuer: Uint8Array;
  /** Subject Name DER. */
  readonly subject: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Subject public key (SPKI DER). */
  readonly spki: Uint8Array;
  /** Extensions, encoded in this order. */
  readonly extensions: ReadonlyArray<Extension>;
}

/** Encodes the TBSCertificate for `t` signed with `algorithm`. */
function encodeTbsCertificate(t: CertificateTemplate, signer: Pick<Signer, 'algorithm'>): Uint8Array {
  if (t.serial <= 0n) throw new RangeError('serial must be positive');
  if (t.notAfter.getTime() < t.notBefore.getTime()) throw new RangeError('notAfter before notBefore');
  return seq(
    explicit(0, int(2)), // v3
    int(t.serial),
    signatureAlgorithmIdentifier(signer.algorithm),
    t.issuer,
    seq(x509Time(t.notBefore), x509Time(t.notAfter)),
    t.subject,
    t.spki,
    ...(t.extensions.length ? [explicit(3, seq(...t.extensions.map(encodeExtension)))] : []),
  );
}

/** Builds and signs a certificate; returns its DER. */
export async function buildCertificate(t: CertificateTemplate, signer: Signer): Promise<Uint8Array> {
  const tbs = encodeTbsCertificate(t, signer);
  const sig = await signer.sign(tbs);
  return seq(tbs, signatureAlgorithmIdentifier(signer.algorithm), bitString(sig));
}
