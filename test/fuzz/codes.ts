/**
 * The error-code unions as runtime sets, for the fuzz property "only a WatashiError with a code
 * from the union". `satisfies Record<Code, true>` makes the compiler keep each list complete: a
 * code added to a union and not here fails typechecking, one removed fails too.
 */
import type { PkiErrorCode } from '@watashi/pki';
import type { JpkiErrorCode } from '@watashi/jpki';
import { ENROLMENT_ERRORS, type EnrolmentErrorCode } from '../../packages/platform/src/enrolment/errors.ts';

const PKI = {
  der_malformed: true,
  der_unexpected_tag: true,
  der_too_large: true,
  oid_malformed: true,
  time_malformed: true,
  unsupported_algorithm: true,
  certificate_malformed: true,
  crl_malformed: true,
  crl_signature_invalid: true,
  crl_unknown_critical_extension: true,
  crl_duplicate_serial: true,
  crl_issuer_mismatch: true,
  crl_stale: true,
  ocsp_malformed: true,
  ocsp_signature_invalid: true,
  ocsp_nonce_mismatch: true,
  ocsp_unknown_issuer: true,
  ocsp_stale: true,
  ocsp_unauthorized_responder: true,
  ocsp_error_status: true,
  ocsp_cert_not_in_response: true,
  cms_malformed: true,
  cms_signature_invalid: true,
  cms_content_mismatch: true,
  cms_unsupported: true,
  cms_signer_not_found: true,
  tsp_malformed: true,
  tsp_rejected: true,
  tsp_signature_invalid: true,
  tsp_imprint_mismatch: true,
  tsp_nonce_mismatch: true,
  tsp_unauthorized_signer: true,
  tsp_untrusted: true,
  path_no_trust_anchor: true,
  path_signature_invalid: true,
  path_expired: true,
  path_not_yet_valid: true,
  path_key_usage: true,
  path_basic_constraints: true,
  path_policy: true,
  path_revoked: true,
  path_revocation_unknown: true,
  path_too_long: true,
  path_unknown_critical_extension: true,
} as const satisfies Record<PkiErrorCode, true>;

const JPKI = {
  card_transport_failed: true,
  card_status: true,
  card_security_status_not_satisfied: true,
  card_file_not_found: true,
  card_pin_incorrect: true,
  card_pin_blocked: true,
  card_pin_format: true,
  card_not_jpki: true,
  card_response_malformed: true,
  card_state_invalid: true,
  not_jpki_certificate: true,
  jpki_profile_mismatch: true,
  basic4_missing: true,
  basic4_malformed: true,
  jpki_certificate_malformed: true,
  jpki_chain_invalid: true,
  jpki_certificate_not_yet_valid: true,
  jpki_certificate_expired: true,
  trust_mixed_roots: true,
  trust_simulator_root_in_production: true,
  trust_no_anchor: true,
  trust_root_invalid: true,
  trust_root_unpinned: true,
} as const satisfies Record<JpkiErrorCode, true>;

/** Every `PkiErrorCode`. */
export const PKI_CODES: ReadonlySet<string> = new Set(Object.keys(PKI));
/** Every `JpkiErrorCode`. */
export const JPKI_CODES: ReadonlySet<string> = new Set(Object.keys(JPKI));
/** Every `EnrolmentErrorCode` (the platform keeps its union as a table already). */
export const ENROLMENT_CODES: ReadonlySet<string> = new Set(
  Object.keys(ENROLMENT_ERRORS) satisfies string[] as EnrolmentErrorCode[],
);
