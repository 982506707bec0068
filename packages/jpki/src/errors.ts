/** Error codes raised by `@watashi/jpki` (thrown as {@link WatashiError}). */
import { WatashiError } from '@watashi/pki';

export type JpkiErrorCode =
  // card protocol (docs/jpki.md §3)
  | 'card_transport_failed'
  | 'card_status'
  | 'card_security_status_not_satisfied'
  | 'card_file_not_found'
  | 'card_pin_incorrect'
  | 'card_pin_blocked'
  | 'card_pin_format'
  | 'card_not_jpki'
  | 'card_response_malformed'
  | 'card_state_invalid'
  // profiles and basic 4 information (docs/jpki.md §1)
  | 'not_jpki_certificate'
  | 'jpki_profile_mismatch'
  | 'basic4_missing'
  | 'basic4_malformed'
  // verifyJpkiCertificate (docs/jpki.md §6.5): parse, chain, validity
  | 'jpki_certificate_malformed'
  | 'jpki_chain_invalid'
  | 'jpki_certificate_not_yet_valid'
  | 'jpki_certificate_expired'
  // trust store
  | 'trust_mixed_roots'
  | 'trust_simulator_root_in_production'
  | 'trust_no_anchor'
  | 'trust_root_invalid'
  /** A supplied root whose SHA-256 is not among the compiled pins (JLIS_ROOT_PINS). */
  | 'trust_root_unpinned';

/** Shorthand for a jpki error. */
export function jpkiError(
  code: JpkiErrorCode,
  message: string,
  options?: { cause?: unknown; detail?: Record<string, unknown> },
): WatashiError<JpkiErrorCode> {
  return new WatashiError(code, message, options);
}
