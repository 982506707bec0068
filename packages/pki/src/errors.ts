/**
 * One error class for bad input and protocol failures across Watashi (docs/conventions.md §4).
 *
 * Caller bugs throw `TypeError` / `RangeError`; infrastructure failures wrap their `cause`. The
 * `code` is stable and machine-readable; `message` is for people and never carries secrets or
 * personal data. Each package declares its own code union (`PkiErrorCode`, `JpkiErrorCode`, …);
 * edges (HTTP, APDU, CLI exit codes) translate from `code`.
 */
export class WatashiError<C extends string = string> extends Error {
  override readonly name = 'WatashiError';
  /** Stable machine-readable code, e.g. `der_malformed`. */
  readonly code: C;
  /** Optional structured detail for logs (never personal data). */
  readonly detail: Readonly<Record<string, unknown>> | undefined;

  constructor(code: C, message: string, options?: { cause?: unknown; detail?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options?.detail;
  }
}

/** Error codes raised by `@watashi/pki`. */
export type PkiErrorCode =
  | 'der_malformed'
  | 'der_unexpected_tag'
  | 'der_too_large'
  | 'oid_malformed'
  | 'time_malformed'
  | 'unsupported_algorithm'
  | 'certificate_malformed'
  | 'crl_malformed'
  | 'crl_signature_invalid'
  | 'crl_unknown_critical_extension'
  | 'crl_duplicate_serial'
  | 'crl_issuer_mismatch'
  | 'crl_stale'
  | 'ocsp_malformed'
  | 'ocsp_signature_invalid'
  | 'ocsp_nonce_mismatch'
  | 'ocsp_unknown_issuer'
  | 'ocsp_stale'
  | 'ocsp_unauthorized_responder'
  | 'ocsp_error_status'
  | 'ocsp_cert_not_in_response'
  | 'cms_malformed'
  | 'cms_signature_invalid'
  | 'cms_content_mismatch'
  | 'cms_unsupported'
  | 'cms_signer_not_found'
  | 'tsp_malformed'
  | 'tsp_rejected'
  | 'tsp_signature_invalid'
  | 'tsp_imprint_mismatch'
  | 'tsp_nonce_mismatch'
  | 'tsp_unauthorized_signer'
  | 'tsp_untrusted'
  | 'path_no_trust_anchor'
  | 'path_signature_invalid'
  | 'path_expired'
  | 'path_not_yet_valid'
  | 'path_key_usage'
  | 'path_basic_constraints'
  | 'path_policy'
  | 'path_revoked'
  | 'path_revocation_unknown'
  | 'path_too_long'
  | 'path_unknown_critical_extension';

/** Shorthand for a pki error. */
export function pkiError(
  code: PkiErrorCode,
  message: string,
  options?: { cause?: unknown; detail?: Record<string, unknown> },
): WatashiError<PkiErrorCode> {
  return new WatashiError(code, message, options);
}

/** True when `e` is a WatashiError (optionally with the given code). */
export function isWatashiError(e: unknown, code?: string): e is WatashiError {
  return e instanceof WatashiError && (code === undefined || e.code === code);
}
