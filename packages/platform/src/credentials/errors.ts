/**
 * Stable error codes of the credential issuer and the counter's verifier (docs/credentials.md).
 * Each carries its HTTP status in `detail.status`, rendered as an RFC 9457 problem by the server;
 * the OpenID4VCI endpoints answer with the OAuth error of OpenID4VCI 1.0 §6.3 and §8.3.1 in
 * `detail.oauthError` as well, so a stock wallet understands them.
 */
import { WatashiError } from '@watashi/pki';

/** Codes and HTTP statuses. */
export const CREDENTIAL_ERRORS = {
  /** A body, query or path that does not have the documented shape. */
  credential_request_invalid: 400,
  /** The account has no verified attributes to put in a credential (not proofed, or erased). */
  credential_identity_unavailable: 409,
  /** The account is suspended, closed or waiting for re-proofing: no new credential. */
  credential_account_unavailable: 403,
  /** The pre-authorized code is unknown, used or expired (OpenID4VCI 1.0 §6.3 `invalid_grant`). */
  credential_grant_invalid: 400,
  /** The access token is missing, unknown, used or expired (RFC 6750 `invalid_token`). */
  credential_token_invalid: 401,
  /** The key proof is missing or does not verify (§8.3.1 `invalid_proof`). */
  credential_proof_invalid: 400,
  /** The key proof's `c_nonce` is unknown, used or expired (§8.3.1 `invalid_nonce`). */
  credential_nonce_invalid: 400,
  /** The counter's request is unknown or expired. */
  presentation_request_unknown: 404,
  /** The request already received a presentation: a replay. */
  presentation_replayed: 409,
  /** The presentation does not verify (signature, disclosures, key binding, issuer, type). */
  presentation_invalid: 400,
  /** The credential is revoked or suspended in the issuer's status list. */
  presentation_credential_revoked: 400,
  /** The presentation does not disclose what was asked. */
  presentation_claims_missing: 400,
} as const;

/** A credential error code. */
export type CredentialErrorCode = keyof typeof CREDENTIAL_ERRORS;

const OAUTH: Partial<Record<CredentialErrorCode, string>> = {
  credential_request_invalid: 'invalid_request',
  credential_grant_invalid: 'invalid_grant',
  credential_token_invalid: 'invalid_token',
  credential_proof_invalid: 'invalid_proof',
  credential_nonce_invalid: 'invalid_nonce',
};

/** A WatashiError with the code's HTTP status (and OAuth error where one applies). */
export function credentialError(
  code: CredentialErrorCode,
  message: string,
  cause?: unknown,
): WatashiError<CredentialErrorCode> {
  const oauthError = OAUTH[code];
  return new WatashiError(code, message, {
    detail: { status: CREDENTIAL_ERRORS[code], ...(oauthError === undefined ? {} : { oauthError }) },
    ...(cause === undefined ? {} : { cause }),
  });
}
