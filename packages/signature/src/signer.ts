/**
 * The signer port: whoever holds the private key — a My Number card's signing key reached through
 * {@link JpkiCardClient} (a PC/SC reader, NFC, or the simulator's hosted card), or a software key
 * for tests and for Watashi's own certificates. The document code never sees the key: it hands
 * over the prepared CMS signed attributes and gets the signature back.
 */
import type { JpkiCardClient } from '@watashi/jpki';
import {
  parseCertificate,
  type PreparedCmsSignature,
  type SignatureAlgorithm,
  type Signer,
} from '@watashi/pki';

/** Something that signs documents under a certificate. */
export interface DocumentSigner {
  /** The signer's certificate (DER). */
  readonly certificate: Uint8Array;
  /** Its issuing CA certificates (DER), embedded so a verifier can build the path offline. */
  readonly chain: ReadonlyArray<Uint8Array>;
  /** The signature algorithm the key makes. */
  readonly algorithm: SignatureAlgorithm;
  /** Signs a prepared CMS SignerInfo (the key signs `toBeSigned`, or a card its `digestInfo`). */
  sign(prepared: PreparedCmsSignature): Promise<Uint8Array>;
}

/** A software key (a `Signer` of `@watashi/pki`) under `certificate`. */
export function keySigner(
  signer: Signer,
  certificate: Uint8Array,
  chain: ReadonlyArray<Uint8Array> = [],
): DocumentSigner {
  const cert = parseCertificate(certificate);
  const a = cert.spki;
  const b = signer.spki;
  if (a.length !== b.length || a.some((x, i) => x !== b[i]))
    throw new TypeError('the key does not match the certificate');
  return {
    certificate,
    chain,
    algorithm: signer.algorithm,
    sign: (p) => signer.sign(p.toBeSigned),
  };
}

/**
 * The My Number card's signing key (署名用電子証明書): verifies the signing password, reads the
 * signing certificate and its CA certificate from the card, and signs each prepared DigestInfo
 * with COMPUTE DIGITAL SIGNATURE (docs/jpki.md §3.3). The PIN stays verified for the card session
 * the client runs in; run the whole signing inside that session.
 */
export async function cardSigner(client: JpkiCardClient, signPin: string): Promise<DocumentSigner> {
  await client.verifyPin('sign', signPin);
  const certificate = await client.readCertificate('sign');
  const ca = await client.readCertificate('sign-ca');
  return {
    certificate,
    chain: [ca],
    algorithm: 'RSA-SHA256',
    sign: (p) => client.signDigestInfo('sign', p.digestInfo),
  };
}
