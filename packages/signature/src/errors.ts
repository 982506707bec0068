/**
 * Error codes of `@watashi/signature` (docs/conventions.md §4). Signing and upgrading throw
 * `WatashiError` with one of these; validation never throws for a bad signature — it returns a
 * report whose `code` is one of the `signature_*` codes below.
 */
import { WatashiError } from '@watashi/pki';

/** Stable codes of this package. */
export type SignatureErrorCode =
  /** The input is not a CMS SignedData / PDF this package reads. */
  | 'signature_malformed'
  /** A form the package does not produce or read (several signers, xref streams…). */
  | 'signature_unsupported'
  /** The signed content was changed after signing (message digest or ByteRange digest differs). */
  | 'signature_document_altered'
  /** The signature value does not verify under the signer's key. */
  | 'signature_invalid'
  /** The ESS signing-certificate-v2 attribute is missing or names another certificate. */
  | 'signature_signing_certificate_mismatch'
  /** The signer's certificate does not chain to a trusted root. */
  | 'signature_untrusted_signer'
  /** The certificate was revoked before the time the signature is proven to have existed. */
  | 'signature_certificate_revoked'
  /** The certificate was outside its validity period at the proven time (or now, with no proof of time). */
  | 'signature_certificate_expired'
  /** The certificate is revoked now and nothing proves the signature existed before the revocation. */
  | 'signature_revoked_no_poe'
  /** No revocation evidence usable at the proven time (none embedded, none issued after it). */
  | 'signature_revocation_unknown'
  /** A time-stamp is from a TSA that is not trusted. */
  | 'signature_timestamp_untrusted'
  /** A time-stamp is over other data or does not verify. */
  | 'signature_timestamp_invalid'
  /** The PDF has no signature. */
  | 'signature_not_found'
  /** A time-stamp could not be obtained (TSA refused or unreachable). */
  | 'signature_timestamp_unavailable'
  /** Revocation evidence could not be obtained when upgrading to B-LT. */
  | 'signature_evidence_unavailable';

/** Shorthand for a signature error. */
export function signatureError(
  code: SignatureErrorCode,
  message: string,
  options?: { cause?: unknown; detail?: Record<string, unknown> },
): WatashiError<SignatureErrorCode> {
  return new WatashiError(code, message, options);
}
