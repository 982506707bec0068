/**
 * Error codes of the J-LIS simulator. Thrown as {@link WatashiError}; the HTTP edge maps each code
 * to an RFC 9457 problem document with a fixed status (`http/problem.ts`).
 */
import { WatashiError } from '@watashi/pki';

/** Stable error codes raised by `@watashi/jlis-sim`. */
export type SimErrorCode =
  | 'config_invalid'
  | 'data_dir_locked'
  | 'state_corrupt'
  | 'request_invalid'
  | 'body_too_large'
  | 'resident_not_found'
  | 'card_not_found'
  | 'device_not_found'
  | 'consent_not_found'
  | 'certificate_not_found'
  | 'ca_not_found'
  | 'crl_not_found'
  | 'resident_not_living'
  | 'no_active_card'
  | 'card_not_active'
  | 'card_not_lost'
  | 'smartphone_already_issued'
  | 'device_not_active'
  | 'pin_incorrect'
  | 'pin_blocked'
  | 'pin_format'
  | 'signing_certificate_absent'
  | 'signature_invalid'
  | 'signer_not_authorized'
  | 'consent_document_invalid'
  | 'consent_operator_mismatch'
  | 'consent_withdrawn'
  | 'consent_required'
  | 'operator_invalid'
  | 'purpose_invalid'
  | 'event_invalid';

/** Shorthand for a simulator error. */
export function simError(
  code: SimErrorCode,
  message: string,
  options?: { cause?: unknown; detail?: Record<string, unknown> },
): WatashiError<SimErrorCode> {
  return new WatashiError(code, message, options);
}
