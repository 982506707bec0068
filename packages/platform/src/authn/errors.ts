/**
 * Stable error codes of authentication (docs/architecture.md §3.2). Each carries its HTTP status in
 * `detail.status`, which the server's problem handler uses. A resident sees one generic message;
 * the code says exactly why (logs, tests, support).
 */
import { WatashiError } from '@watashi/pki';

export const AUTHN_ERRORS = {
  authn_request_invalid: 400,
  /** The response is not a well-formed WebAuthn response (JSON, CBOR, base64url, lengths). */
  authn_response_malformed: 400,
  /** The challenge was never issued, already used, or issued for another ceremony. */
  authn_challenge_unknown: 400,
  authn_challenge_expired: 400,
  /** clientDataJSON.origin is not the platform's public origin. */
  authn_origin_mismatch: 400,
  /** authenticatorData.rpIdHash is not SHA-256 of the platform's RP ID. */
  authn_rp_id_mismatch: 400,
  /** The UV flag is not set; user verification is required. */
  authn_user_verification_missing: 400,
  /** The UP flag is not set. */
  authn_user_presence_missing: 400,
  authn_signature_invalid: 401,
  /** The credential is not registered here. */
  authn_unknown_credential: 401,
  authn_authenticator_revoked: 401,
  /** The signature counter did not increase: a cloned authenticator is possible. */
  authn_counter_regression: 401,
  authn_account_unavailable: 403,
  /** The credential ID is already registered (to this or another account). */
  authn_credential_exists: 409,
  authn_not_found: 404,
  /** Revoking the last usable authenticator of an account without `force`. */
  authn_last_authenticator: 409,
  // card user-authentication certificate
  authn_card_certificate_invalid: 400,
  authn_card_chain_invalid: 401,
  authn_card_revoked: 401,
  authn_card_status_unavailable: 503,
  authn_card_signature_invalid: 401,
  authn_card_not_bound: 401,
} as const;

export type AuthnErrorCode = keyof typeof AUTHN_ERRORS;

export function authnError(
  code: AuthnErrorCode,
  message: string,
  cause?: unknown,
): WatashiError<AuthnErrorCode> {
  return new WatashiError(code, message, {
    detail: { status: AUTHN_ERRORS[code] },
    ...(cause === undefined ? {} : { cause }),
  });
}
