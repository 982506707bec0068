/**
 * Error codes of enrolment (docs/architecture.md §3.1): one stable code per reason a signature is refused,
 * in the order verification checks them (verify-enrolment-signature.ts), then the codes of the
 * document and account steps. Each carries the HTTP status the API answers with in
 * `detail.status`; the message is for people and never carries basic 4 information.
 */
import { WatashiError } from '@watashi/pki';

/** Every enrolment error code, with its HTTP status. */
export const ENROLMENT_ERRORS = {
  /** The request body or the signature input is larger than the configured limit. */
  enrolment_body_too_large: 413,
  /** The request is not one of the accepted shapes (bad base64, both or neither of cms/signature). */
  enrolment_request_invalid: 400,
  /** The CMS SignedData does not parse, has no signer certificate, or is of an unsupported shape. */
  enrolment_cms_malformed: 400,
  /** 1. The signer certificate does not parse as X.509. */
  enrolment_certificate_malformed: 400,
  /** 2. The certificate was not issued by a JPKI CA (issuer DN). */
  enrolment_not_jpki_certificate: 400,
  /** 2. A JPKI certificate, but not the signing profile: key usage, policy, subject, six SAN entries. */
  enrolment_certificate_profile: 400,
  /** 3. A simulator (or test-card) certificate offered to a production platform. */
  enrolment_simulator_root_in_production: 400,
  /** 3. No path to a pinned J-LIS root (chosen by signature among same-DN generations). */
  enrolment_certificate_chain: 400,
  /** 4. The certificate (or its root) is not yet valid at the signing time. */
  enrolment_certificate_not_yet_valid: 400,
  /** 4. The certificate (or its root) has expired at the signing time. */
  enrolment_certificate_expired: 400,
  /** 5. J-LIS says revoked. */
  enrolment_certificate_revoked: 403,
  /** 5. J-LIS says on hold (certificateHold: card reported lost). */
  enrolment_certificate_on_hold: 403,
  /** 5. The status could not be established (OCSP unreachable or unverifiable) under hard-fail. */
  enrolment_revocation_unavailable: 503,
  /** 6. The signature does not verify over the exact enrolment document. */
  enrolment_signature_mismatch: 400,
  /** 7. The document's nonce was already used. */
  enrolment_nonce_replayed: 409,
  /** 7. The document's nonce expired before the signature came back. */
  enrolment_nonce_expired: 410,
  /** 7. The nonce is unknown, of another purpose, or bound to another document. */
  enrolment_nonce_invalid: 400,
  /** No enrolment with this id. */
  enrolment_not_found: 404,
  /** Re-proofing: the enrolment belongs to another account, or no session. */
  enrolment_wrong_account: 403,
  /** Re-proofing: the card's holder is not the account's person (birth date or sex differ). */
  enrolment_reproofing_person_mismatch: 409,
  /**
   * An account of the same name, birth date and sex exists, and nothing confirms it is the same
   * person (README.md, "Same person"): sign in to it and re-proof, or ask the operator.
   */
  enrolment_person_unconfirmed: 409,
  /** The account found for this person is closed (death, emigration, holder request). */
  enrolment_account_closed: 409,
  /** The signed consent is not a CMS by the same certificate over the consent document issued. */
  enrolment_consent_invalid: 400,
} as const satisfies Record<string, number>;

/** A stable enrolment error code. */
export type EnrolmentErrorCode = keyof typeof ENROLMENT_ERRORS;

/** Shorthand: an enrolment error with its HTTP status in `detail.status`. */
export function enrolmentError(
  code: EnrolmentErrorCode,
  message: string,
  options: { cause?: unknown; detail?: Record<string, unknown> } = {},
): WatashiError<EnrolmentErrorCode> {
  return new WatashiError(code, message, {
    ...(options.cause === undefined ? {} : { cause: options.cause }),
    detail: { status: ENROLMENT_ERRORS[code], ...(options.detail ?? {}) },
  });
}
