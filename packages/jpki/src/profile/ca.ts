/** JPKI CA (root) certificates, reproducing the shape of the published J-LIS roots (docs/jpki.md §1.1). */
import { ext, keyIdentifierOf, type Signer } from '@watashi/pki';
import { buildFromProfile } from './build.ts';
import { jpkiCaAltName, jpkiCaName, type JpkiOrganization, type JpkiPurpose } from './names.ts';
import { jpkiCaProfile } from './profiles.ts';
import { jpkiCaNotAfter } from './validity.ts';

/** Inputs of {@link buildJpkiCaCertificate}. */
export interface JpkiCaCertificateOptions {
  readonly purpose: JpkiPurpose;
  /** `JPKI-SIM` for the simulator; `JPKI`/`JPKI-TEST` only to build look-alikes for negative tests. */
  readonly organization: JpkiOrganization;
  /** Small positive integer from the sequential serial space (§1.1 [I]). */
  readonly serial: bigint;
  readonly notBefore: Date;
  /** Defaults to {@link jpkiCaNotAfter} (ten years, 14:59:59Z). */
  readonly notAfter?: Date;
  /** The CA's own key (the certificate is self-signed); RSA-SHA256, ≥ 2048 bits. */
  readonly signer: Signer;
  /** WebCrypto used for the key identifier (default `globalThis.crypto`). */
  readonly crypto?: Crypto;
}

/**
 * Builds a self-signed JPKI CA certificate: issuer = subject = {@link jpkiCaName}; extensions, in
 * this order, keyUsage (critical, keyCertSign+cRLSign), subjectAltName (Japanese directoryName),
 * basicConstraints (critical, CA:TRUE), cRLDistributionPoints (directoryName = own DN),
 * subjectKeyIdentifier; no authorityKeyIdentifier.
 */
export async function buildJpkiCaCertificate(o: JpkiCaCertificateOptions): Promise<Uint8Array> {
  const name = jpkiCaName(o.purpose, o.organization);
  const keyId = await keyIdentifierOf(o.signer.spki, o.crypto);
  return buildFromProfile(
    jpkiCaProfile(o.purpose),
    {
      serial: o.serial,
      issuer: name,
      subject: name,
      notBefore: o.notBefore,
      notAfter: o.notAfter ?? jpkiCaNotAfter(o.notBefore),
      spki: o.signer.spki,
    },
    {
      keyUsage: ext.keyUsage(['keyCertSign', 'cRLSign']),
      subjectAltName: ext.subjectAltName([{ type: 'directoryName', name: jpkiCaAltName(o.purpose) }]),
      basicConstraints: ext.basicConstraints(true),
      cRLDistributionPoints: ext.crlDistributionPoints([[{ type: 'directoryName', name }]]),
      subjectKeyIdentifier: ext.subjectKeyIdentifier(keyId),
    },
    o.signer,
  );
}
