/**
 * Verification of an RFC 3161 TimeStampToken (§2.4.2, §2.3), for one request we made.
 *
 * In order: the token is a CMS SignedData that verifies under its signer's key (`verifyCms`) and
 * encapsulates id-ct-TSTInfo; the TSTInfo's messageImprint is SHA-256 of our data and its nonce is
 * the one we sent; the signer's certificate is a TSA certificate (extendedKeyUsage holding only
 * id-kp-timeStamping, critical: §2.3) and chains to one of the caller's TSA anchors at genTime.
 * Revocation of the TSA certificate is not checked (there is no revocation source for a TSA in
 * Watashi's configuration); an operator who revokes a TSA removes it from the anchors.
 */
import { pkiError, WatashiError } from '../errors.ts';
import type { Certificate } from '../cert/parse.ts';
import { verifyCms } from '../cms/verify.ts';
import type { SignatureVerifier } from '../crypto/provider.ts';
import { bytesEqual } from '../der/hex.ts';
import { OID } from '../der/oid.ts';
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
  // The TSA's own certificate may be the configured anchor: then only its validity at genTime counts.
  const anchoredLeaf = o.anchors.some((a) => bytesEqual(a.der, signer.der));
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
