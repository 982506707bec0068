/**
 * Stable error codes of the device certificate API (docs/trust-service.md). Each carries its HTTP
 * status in `detail.status`, rendered as an RFC 9457 problem by the server.
 */
import { WatashiError } from '@watashi/pki';

/** Codes and HTTP statuses. */
export const DEVICE_ERRORS = {
  device_request_invalid: 400,
  /** The PKCS#10 request does not parse, is not self-signed by its key, or the key is not P-256. */
  device_csr_invalid: 400,
  /** Issuance needs a sign-in within the last `ca.freshAuthSeconds` (passkey, device, card). */
  device_fresh_authentication_required: 401,
  /** Device change needs a card proof in this session (card sign-in, enrolment or re-proofing signature). */
  device_card_proof_required: 403,
  /** The slot already has a live certificate of this profile (二重発行の防止): revoke it or change device. */
  device_slot_occupied: 409,
  /** The signing profile needs current identity evidence (a good JPKI signing anchor and the basic 4). */
  device_identity_unavailable: 409,
  /** This key already has a certificate. */
  device_key_reused: 409,
  device_not_found: 404,
  /** Activation from another session than the one that asked for the certificate. */
  device_activation_session_mismatch: 403,
  /** The activation challenge was already used, or the certificate is active or revoked. */
  device_activation_unavailable: 409,
  /** The activation window passed; the certificate has been revoked. */
  device_activation_expired: 410,
  /** The activation signature does not verify with the certificate's key over this challenge. */
  device_activation_signature_invalid: 401,
  /** Sign-in with a certificate that is not an active Watashi authentication certificate. */
  device_certificate_unknown: 401,
  device_certificate_revoked: 401,
  device_certificate_inactive: 401,
  device_certificate_expired: 401,
  device_signature_invalid: 401,
  device_account_unavailable: 403,
} as const;

/** A device API error code. */
export type DeviceErrorCode = keyof typeof DEVICE_ERRORS;

/** A WatashiError with the code's HTTP status. */
export function deviceError(
  code: DeviceErrorCode,
  message: string,
  cause?: unknown,
): WatashiError<DeviceErrorCode> {
  return new WatashiError(code, message, {
    detail: { status: DEVICE_ERRORS[code] },
    ...(cause === undefined ? {} : { cause }),
  });
}
