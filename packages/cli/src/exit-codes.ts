/**
 * Exit codes derived from error codes (docs/conventions.md §14). Scripts can rely on them:
 *   0 ok · 1 unexpected failure · 2 usage error · 3 bad input (malformed DER, wrong format)
 *   4 verification failed (signature, chain, revoked) · 5 not found · 6 PIN incorrect or blocked
 *   7 the simulator or another service could not be reached · 8 conflict (already exists, refused by a rule)
 *   9 done, but work was deferred to a retry (e.g. `sweep_provisions_deferred`: J-LIS did not answer)
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  badInput: 3,
  verification: 4,
  notFound: 5,
  pin: 6,
  unreachable: 7,
  conflict: 8,
  deferred: 9,
} as const;

/**
 * The simulator's 409 codes (jlis-sim `http/problem.ts`): the request is well-formed but the state
 * of the resident, card or consent refuses it.
 */
const SIM_STATE_CONFLICTS = new Set([
  'resident_not_living',
  'no_active_card',
  'card_not_active',
  'card_not_lost',
  'device_not_active',
  'signing_certificate_absent',
  'consent_withdrawn',
]);

/** Maps a stable error code to an exit code. */
export function exitCodeFor(code: string | undefined): number {
  if (!code) return EXIT.failure;
  // The command did what it could; the rest waits for a retry job (scripts may simply run it again later).
  if (/_deferred$/.test(code)) return EXIT.deferred;
  // A missing or malformed option the command checks itself (`watashi device enrol`).
  if (/^usage_/.test(code)) return EXIT.usage;
  // A PKCS#11 token refused its user PIN (C_Login).
  if (code === 'pkcs11_login_failed') return EXIT.pin;
  if (code === 'pkcs11_module_unavailable') return EXIT.unreachable;
  // A malformed PIN (`card_pin_format`, `pin_format`) is bad input: it is refused before any try is used.
  if (/_format$/.test(code)) return EXIT.badInput;
  // Card protocol (`card_pin_*`, @watashi/jpki) and the simulator's admin API (`pin_incorrect`, `pin_blocked`).
  if (/^card_pin_|^pin_(incorrect|blocked)$/.test(code)) return EXIT.pin;
  if (/not_found$|^unknown_/.test(code)) return EXIT.notFound;
  if (/^(der_|oid_|time_)|_malformed$|_format$|^invalid_|^bad_request|^body_too_large/.test(code))
    return EXIT.badInput;
  // @watashi/signature: a TSA or responder that did not answer, then every other verdict of a report.
  if (/^signature_(timestamp|evidence)_unavailable$/.test(code)) return EXIT.unreachable;
  if (/^signature_/.test(code)) return EXIT.verification;
  if (/signature_invalid|^path_|revoked|_mismatch$|^ocsp_|^trust_/.test(code)) return EXIT.verification;
  // After the verification rule, so that `*_signature_invalid` stays a verification failure.
  if (/_invalid$|^unsupported_media_type$/.test(code)) return EXIT.badInput;
  if (/unreachable|transport_failed|^http_/.test(code)) return EXIT.unreachable;
  if (
    /conflict|already|refused|duplicate|_in_use$|_locked$|_occupied$|_reused$/.test(code) ||
    SIM_STATE_CONFLICTS.has(code)
  )
    return EXIT.conflict;
  return EXIT.failure;
}
