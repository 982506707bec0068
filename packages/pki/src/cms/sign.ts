/**
 * CMS SignedData producer (RFC 5652 §5), in the one shape Watashi needs: one signer, identified by
 * issuerAndSerialNumber, SHA-256, signed attributes contentType / signingTime / messageDigest,
 * `id-data` content either encapsulated or detached.
 *
 * ```asn1
 * ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER (id-signedData), content [0] EXPLICIT SignedData }
 * SignedData ::= SEQUENCE {
 *   version CMSVersion (1), digestAlgorithms SET OF DigestAlgorithmIdentifier,
 *   encapContentInfo SEQUENCE { eContentType OBJECT IDENTIFIER, eContent [0] EXPLICIT OCTET STRING OPTIONAL },
 *   certificates [0] IMPLICIT SET OF Certificate OPTIONAL, signerInfos SET OF SignerInfo }
 * SignerInfo ::= SEQUENCE {
 *   version CMSVersion (1), sid IssuerAndSerialNumber, digestAlgorithm DigestAlgorithmIdentifier,
 *   signedAttrs [0] IMPLICIT SET OF Attribute, signatureAlgorithm, signature OCTET STRING }
 * ```
 *
 * Signing is split in two ({@link prepareCmsSignature} then `finish`) because a My Number card or a
 * browser produces the signature elsewhere: the card signs a PKCS#1 DigestInfo of SHA-256 over the
 * signed attributes (docs/jpki.md §3.3), which is exactly an RSASSA-PKCS1-v1_5 signature of them.
 */
import { parseCertificate } from '../cert/parse.ts';
import { parseSpki } from '../cert/spki.ts';
import {
  digestAlgorithmIdentifier,
  digestInfo,
  digestOf,
  signatureAlgorithmIdentifier,
  type SignatureAlgorithm,
} from '../crypto/algorithms.ts';
import {
  ecdsaDerToRaw,
  ecdsaRawToDer,
  webCryptoDigest,
  type Digest,
  type Signer,
} from '../crypto/provider.ts';
import { bytesEqual } from '../der/hex.ts';
import { OID } from '../der/oid.ts';
import { Tag } from '../der/reader.ts';
import { explicit, implicit, int, octets, oid, seq, setOf, tlv, x509Time } from '../der/writer.ts';

/** Inputs of {@link prepareCmsSignature}. */
export interface PrepareCmsSignatureOptions {
  /** The bytes being signed (the `id-data` content); for a detached signature, or {@link contentDigest}. */
  readonly content?: Uint8Array;
  /**
   * Instead of `content`, for a detached signature only: the content's digest with the
   * algorithm's digest (SHA-256), computed from the content earlier — so a signature prepared once
   * can be built again without holding the content (the platform's signing preparations).
   */
  readonly contentDigest?: Uint8Array;
  /** true: eContent omitted (the verifier must be given the content); false: content encapsulated. */
  readonly detached: boolean;
  /** The signer's certificate (DER); included in `certificates` and named by issuerAndSerialNumber. */
  readonly certificate: Uint8Array;
  /** More certificates to include (e.g. the issuing CA); duplicates of `certificate` are dropped. */
  readonly extraCertificates?: ReadonlyArray<Uint8Array>;
  /** signingTime attribute (RFC 5652 §11.3); omitted when absent — pass the injected clock's time. */
  readonly signingTime?: Date;
  /** Signature algorithm; default from the certificate's key: RSA → RSA-SHA256, EC → ECDSA-SHA256. */
  readonly algorithm?: SignatureAlgorithm;
  /** Digest port (default WebCrypto). */
  readonly digest?: Digest;
  /**
   * eContentType (default id-data). Another type (e.g. id-ct-TSTInfo for an RFC 3161 token) makes
   * the SignedData version 3 (RFC 5652 §5.1) and is named by the contentType attribute (§11.1).
   */
  readonly contentType?: string;
  /**
   * More signed attributes, each a complete DER `Attribute` (e.g. ESS signing-certificate-v2,
   * RFC 5035 §3, which CAdES and RFC 3161 require). They are sorted into the SET with the others.
   */
  readonly signedAttributes?: ReadonlyArray<Uint8Array>;
  /** Put the certificates into the SignedData (default true; RFC 3161 §2.4.1 certReq false omits them). */
  readonly includeCertificates?: boolean;
}

/** A SignedData waiting for its signature. */
export interface PreparedCmsSignature {
  /** The signature algorithm `finish` expects the signature to be made with. */
  readonly algorithm: SignatureAlgorithm;
  /**
   * The DER of the signed attributes with the SET OF tag 0x31 (RFC 5652 §5.4): the exact bytes to
   * sign with `algorithm` (the signer hashes them).
   */
  readonly toBeSigned: Uint8Array;
  /** Hash of `toBeSigned` with the algorithm's digest, for signers that take a pre-computed hash. */
  readonly toBeSignedDigest: Uint8Array;
  /** PKCS#1 v1.5 DigestInfo of `toBeSignedDigest`: what a JPKI card's COMPUTE DIGITAL SIGNATURE takes. */
  readonly digestInfo: Uint8Array;
  /**
   * Assembles the ContentInfo DER around `signature` (RSA: the PKCS#1 v1.5 signature; ECDSA: DER
   * Ecdsa-Sig-Value, or WebCrypto's raw r‖s, which is converted).
   */
  finish(signature: Uint8Array): Uint8Array;
}

/** Inputs of {@link signCms}. */
export interface SignCmsOptions extends Omit<PrepareCmsSignatureOptions, 'algorithm'> {
  /** The private key; its SPKI must equal the certificate's. */
  readonly signer: Signer;
}

/** Computes the signed attributes and returns the bytes to sign plus a `finish` that builds the CMS. */
export async function prepareCmsSignature(o: PrepareCmsSignatureOptions): Promise<PreparedCmsSignature> {
  const cert = parseCertificate(o.certificate);
  const algorithm = o.algorithm ?? defaultAlgorithm(cert.spki);
  const digestAlg = digestOf(algorithm);
  const digest = o.digest ?? webCryptoDigest();
  if ((o.content === undefined) === (o.contentDigest === undefined))
    throw new TypeError('give the content or, for a detached signature, its digest');
  if (o.contentDigest !== undefined && !o.detached)
    throw new TypeError('an encapsulated signature needs the content itself');

  // RFC 5652 §5.3/§11: contentType and messageDigest are required once any attribute is present;
  // setOf sorts them as DER requires (X.690 §11.6), which is what the signature covers (§5.4).
  const contentType = o.contentType ?? OID.cmsData;
  const attrs = [
    attribute(OID.contentType, oid(contentType)),
    ...(o.signedAttributes ?? []),
    attribute(OID.messageDigest, octets(o.contentDigest ?? (await digest(digestAlg, o.content!)))),
  ];
  // RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise — x509Time's rule.
  if (o.signingTime) attrs.push(attribute(OID.signingTime, x509Time(o.signingTime)));
  const toBeSigned = setOf(...attrs);
  const toBeSignedDigest = await digest(digestAlg, toBeSigned);

  const certificates = [o.certificate];
  for (const c of o.extraCertificates ?? []) {
    if (!certificates.some((x) => bytesEqual(x, c))) certificates.push(c);
  }
  const sid = seq(cert.issuer.der, tlv(Tag.INTEGER, cert.serialBytes));
  const digestAlgId = digestAlgorithmIdentifier(digestAlg);
  const encap = seq(oid(contentType), ...(o.detached ? [] : [explicit(0, octets(o.content!))]));

  return {
    algorithm,
    toBeSigned,
    toBeSignedDigest,
    digestInfo: digestInfo(digestAlg, toBeSignedDigest),
    finish(signature) {
      const sig = algorithm === 'ECDSA-SHA256' ? ecdsaSignatureDer(signature) : signature;
      const signerInfo = seq(
        int(1), // RFC 5652 §5.3: version 1 with issuerAndSerialNumber
        sid,
        digestAlgId,
        implicit(0, toBeSigned),
        signatureAlgorithmIdentifier(algorithm),
        octets(sig),
      );
      const signedData = seq(
        // RFC 5652 §5.1: 1 for id-data with v1 SignerInfos and no attribute certificates; 3 when
        // eContentType is another type.
        int(contentType === OID.cmsData ? 1 : 3),
        setOf(digestAlgId),
        encap,
        ...(o.includeCertificates === false ? [] : [implicit(0, setOf(...certificates))]),
        setOf(signerInfo),
      );
      return seq(oid(OID.cmsSignedData), explicit(0, signedData));
    },
  };
}

/** Signs `content` with `signer` and returns a DER ContentInfo(SignedData) (attached or detached). */
export async function signCms(o: SignCmsOptions): Promise<Uint8Array> {
  const cert = parseCertificate(o.certificate);
  if (!bytesEqual(cert.spki, o.signer.spki)) throw new TypeError('signer key does not match the certificate');
  const prepared = await prepareCmsSignature({ ...o, algorithm: o.signer.algorithm });
  return prepared.finish(await o.signer.sign(prepared.toBeSigned));
}

/** Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF AttributeValue } (RFC 5652 §5.3). */
export function attribute(type: string, value: Uint8Array): Uint8Array {
  return seq(oid(type), setOf(value));
}

function defaultAlgorithm(spki: Uint8Array): SignatureAlgorithm {
  return parseSpki(spki).keyType === 'ec' ? 'ECDSA-SHA256' : 'RSA-SHA256';
}

/** Accepts DER Ecdsa-Sig-Value as is; converts a 64-byte raw r‖s (WebCrypto) to DER. */
function ecdsaSignatureDer(sig: Uint8Array): Uint8Array {
  if (ecdsaDerToRaw(sig) !== undefined) return sig;
  if (sig.length === 64) return ecdsaRawToDer(sig);
  throw new TypeError('ECDSA signature is neither DER nor 64-byte raw r‖s');
}

/**
 * The ESS signing-certificate-v2 attribute naming `certificate` by its SHA-256 hash (RFC 5035 §3;
 * ESSCertIDv2's hashAlgorithm defaults to SHA-256 and is then omitted, §4). CAdES (ETSI EN 319
 * 122-1 §5.2.2) and RFC 3161 (§2.4.1) require it: it binds the signature to the certificate, not
 * only to its key.
 */
export async function signingCertificateV2Attribute(
  certificate: Uint8Array,
  digest: Digest = webCryptoDigest(),
): Promise<Uint8Array> {
  return attribute(OID.aaSigningCertificateV2, seq(seq(seq(octets(await digest('SHA-256', certificate))))));
}
