/**
 * Verification of an RFC 3161 TimeStampToken (§2.4.2, §2.3), for one request we made.
 *
 * In order: the token is a CMS SignedData that verifies under its signer's key (`verifyCms`) and
 * encapsulates id-ct-TSTInfo; the TSTInfo's messageImprint is SHA-256 of our data and its nonce is
 * the one we sent; the signer's certificate is a TSA certificate (extendedKeyUsage holding only
 * id-kp-timeStamping, critical: §2.3) and chains to one of the caller's TSA anchors at genTime;
 * the ESS signing-certificate attribute (RFC 3161 §2.4.1; v2 of RFC 5816) names that certificate.
 * Revocation of the TSA certificate is not checked (there is no revocation source for a TSA in
 * Watashi's configuration); an operator who revokes a TSA removes it from the anchors.
 */
import { pkiError, WatashiError } from '../errors.ts';
import type { Certificate } from '../cert/parse.ts';
import { verifyCms } from '../cms/verify.ts';
import { readDigestAlgorithm, type DigestAlgorithm } from '../crypto/algorithms.ts';
import { webCryptoDigest, type SignatureVerifier } from '../crypto/provider.ts';
import { bytesEqual } from '../der/hex.ts';
import { decodeOidContent, OID } from '../der/oid.ts';
import { ctx, DerReader, parseTopLevel, Tag, valueOf } from '../der/reader.ts';
import { validatePath } from '../path/validate.ts';
import { parseTimeStampResponse, parseTstInfo, TimeStampStatus, type TstInfo } from './response.ts';

/** Inputs of {@link verifyTimeStampToken}. */
export interface VerifyTimeStampTokenOptions {
  /** The TimeStampToken (ContentInfo DER). */
  readonly token: Uint8Array;
  /** SHA-256 of the time-stamped data: the token's messageImprint must equal it. */
  readonly imprint: Uint8Array;
  /**
   * The nonce of our request, which the token must carry; `'not-checked'` when verifying a stored
   * token later (the nonce only binds a fresh answer to its request). Required: no check is skipped
   * by leaving an option out.
   */
  readonly nonce: bigint | 'not-checked';
  /** Trusted TSA certificates (a root, an intermediate or the TSA's own certificate). */
  readonly anchors: ReadonlyArray<Certificate>;
  /** Signature verifier. */
  readonly verifier: SignatureVerifier;
}

/** A verified time-stamp. */
export interface VerifiedTimeStamp extends TstInfo {
  /** The TSA certificate that signed the token. */
  readonly signerCertificate: Certificate;
}

/** True when the certificate's extKeyUsage is exactly id-kp-timeStamping and critical (RFC 3161 §2.3). */
function isTsaCertificate(c: Certificate): boolean {
  const ext = c.extensions.find((e) => e.oid === OID.extKeyUsage);
  return (
    ext !== undefined &&
    ext.critical &&
    c.extKeyUsage !== undefined &&
    c.extKeyUsage.length === 1 &&
    c.extKeyUsage[0] === OID.kpTimeStamping
  );
}

/** id-aa-signingCertificate (RFC 2634 §5.4) and id-aa-signingCertificateV2 (RFC 5035 §3). */
const ESS_SIGNING_CERTIFICATE = '1.2.840.113549.1.9.16.2.12';
const ESS_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';

/**
 * The first certHash of the token's ESS signing-certificate attribute (the signer's own certificate,
 * RFC 2634 §5.4), read from the single SignerInfo's signed attributes; undefined when absent.
 * `verifyCms` has already checked the structure and the signature over these attributes.
 */
function essCertHash(der: Uint8Array): { alg: DigestAlgorithm; hash: Uint8Array } | undefined {
  const ci = DerReader.of(der, parseTopLevel(der, Tag.SEQUENCE, 'ContentInfo', der.length));
  ci.expect(Tag.OID, 'contentType');
  const sd = DerReader.of(der, DerReader.of(der, ci.expect(ctx(0))).expect(Tag.SEQUENCE, 'SignedData'));
  sd.expect(Tag.INTEGER, 'version');
  sd.expect(Tag.SET, 'digestAlgorithms');
  sd.expect(Tag.SEQUENCE, 'encapContentInfo');
  sd.optional(ctx(0));
  sd.optional(ctx(1));
  const si = DerReader.of(der, DerReader.of(der, sd.expect(Tag.SET)).expect(Tag.SEQUENCE, 'SignerInfo'));
  si.expect(Tag.INTEGER, 'version');
  si.next(); // sid
  si.expect(Tag.SEQUENCE, 'digestAlgorithm');
  const attrs = si.optional(ctx(0));
  if (attrs === undefined) return undefined;
  const r = DerReader.of(der, attrs);
  while (!r.done) {
    const a = DerReader.of(der, r.expect(Tag.SEQUENCE, 'Attribute'));
    const type = decodeOidContent(valueOf(der, a.expect(Tag.OID, 'attrType')));
    if (type !== ESS_SIGNING_CERTIFICATE && type !== ESS_SIGNING_CERTIFICATE_V2) continue;
    const value = DerReader.of(der, a.expect(Tag.SET, 'attrValues')).expect(
      Tag.SEQUENCE,
      'SigningCertificate',
    );
    const certs = DerReader.of(der, DerReader.of(der, value).expect(Tag.SEQUENCE, 'certs'));
    const id = DerReader.of(der, certs.expect(Tag.SEQUENCE, 'ESSCertID'));
    // ESSCertIDv2's hashAlgorithm defaults to SHA-256 (RFC 5035 §4); ESSCertID's hash is SHA-1,
    // used here only to name a certificate, never to verify a signature.
    let alg: DigestAlgorithm = type === ESS_SIGNING_CERTIFICATE ? 'SHA-1' : 'SHA-256';
    if (type === ESS_SIGNING_CERTIFICATE_V2 && id.peekTag() === Tag.SEQUENCE)
      alg = readDigestAlgorithm(der, id.next());
    return { alg, hash: valueOf(der, id.expect(Tag.OCTET_STRING, 'certHash')) };
  }
  return undefined;
}

/** Verifies a TimeStampToken for our imprint and nonce; throws `tsp_*` errors. */
export async function verifyTimeStampToken(o: VerifyTimeStampTokenOptions): Promise<VerifiedTimeStamp> {
  if (o.anchors.length === 0) throw pkiError('tsp_untrusted', 'no TSA certificate is trusted');
  let cms;
  try {
    cms = await verifyCms({ der: o.token, verifier: o.verifier, maxSize: 256 * 1024 });
  } catch (e) {
    if (
      e instanceof WatashiError &&
      (e.code === 'cms_signature_invalid' || e.code === 'cms_signer_not_found')
    )
      throw pkiError('tsp_signature_invalid', `the time-stamp token does not verify: ${e.message}`, {
        cause: e,
      });
    throw pkiError(
      'tsp_malformed',
      `the time-stamp token is not a valid SignedData: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  if (cms.contentType !== OID.ctTSTInfo)
    throw pkiError('tsp_malformed', `the token encapsulates ${cms.contentType}, not id-ct-TSTInfo`);
  const info = parseTstInfo(cms.content);
  if (info.hashAlgorithm !== OID.sha256 || !bytesEqual(info.hashedMessage, o.imprint))
    throw pkiError('tsp_imprint_mismatch', 'the time-stamp token is over other data');
  if (o.nonce !== 'not-checked' && info.nonce !== o.nonce)
    throw pkiError('tsp_nonce_mismatch', 'the time-stamp token does not carry our nonce');
  const signer = cms.signerCertificate;
  if (!isTsaCertificate(signer))
    throw pkiError(
      'tsp_unauthorized_signer',
      'the token’s signer certificate is not a TSA certificate (extendedKeyUsage id-kp-timeStamping, critical)',
    );
  // RFC 3161 §2.4.1: the signing certificate attribute MUST be present; it binds the signature to
  // this certificate (not only to its key).
  let ess: ReturnType<typeof essCertHash>;
  try {
    ess = essCertHash(o.token);
  } catch (cause) {
    throw pkiError('tsp_malformed', 'the token’s signing-certificate attribute is malformed', { cause });
  }
  if (ess === undefined)
    throw pkiError('tsp_malformed', 'the token has no ESS signing-certificate attribute');
  if (!bytesEqual(await webCryptoDigest()(ess.alg, signer.der), ess.hash))
    throw pkiError(
      'tsp_unauthorized_signer',
      'the token’s signing-certificate attribute names another certificate',
    );
  // The TSA's own certificate may be the configured anchor: then only its validity at genTime counts.
  // Trusting a TSA certificate is trusting its key under its name: another certificate with the
  // same subject and key (a self-issued TSA certificate issued again after a restart, which only
  // the key's holder can make) stands for it.
  const anchoredLeaf = o.anchors.some(
    (a) =>
      bytesEqual(a.der, signer.der) ||
      (bytesEqual(a.spki, signer.spki) && bytesEqual(a.subject.der, signer.subject.der)),
  );
  if (anchoredLeaf) {
    if (info.genTime < signer.notBefore || info.genTime > signer.notAfter)
      throw pkiError('tsp_untrusted', 'the TSA certificate was not valid at genTime');
  } else {
    try {
      await validatePath({
        leaf: signer,
        intermediates: cms.certificates.filter((c) => c !== signer),
        anchors: o.anchors,
        now: info.genTime,
        verifier: o.verifier,
        revocation: 'not-checked',
      });
    } catch (e) {
      throw pkiError(
        'tsp_untrusted',
        `the TSA certificate does not chain to a trusted one: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  }
  return { ...info, signerCertificate: signer };
}

/** Inputs of {@link verifyTimeStampResponse}. */
export type VerifyTimeStampResponseOptions = Omit<VerifyTimeStampTokenOptions, 'token' | 'nonce'> & {
  /** The TimeStampResp DER, as the TSA answered. */
  readonly response: Uint8Array;
  /** The nonce of our request. */
  readonly nonce: bigint;
};

/**
 * Parses a TSA's answer, refuses any status but granted (0) or grantedWithMods (1) as
 * `tsp_rejected`, and verifies the token ({@link verifyTimeStampToken}); returns the token too.
 */
export async function verifyTimeStampResponse(
  o: VerifyTimeStampResponseOptions,
): Promise<VerifiedTimeStamp & { readonly token: Uint8Array }> {
  const res = parseTimeStampResponse(o.response);
  if (
    res.token === undefined ||
    (res.status !== TimeStampStatus.granted && res.status !== TimeStampStatus.grantedWithMods)
  )
    throw pkiError('tsp_rejected', `the time-stamp authority refused (status ${res.status})`, {
      detail: { status: res.status, statusText: res.statusText, failInfo: res.failInfo },
    });
  const verified = await verifyTimeStampToken({ ...o, token: res.token });
  return { ...verified, token: res.token };
}
