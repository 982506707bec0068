/**
 * Named OCSP enumerations. The wire numbers live here and nowhere else: the public API speaks
 * `'malformedRequest'`, `'revoked'`, `'keyCompromise'` (docs/conventions.md: no bare numeric statuses).
 * Revocation reasons are the CRL module's `CrlReason`.
 */
import { pkiError } from '../errors.ts';
import { CRL_REASON_CODE, crlReasonOf, type CrlReason } from '../crl/reason.ts';

/**
 * RFC 6960 §4.2.1 OCSPResponseStatus.
 *
 * ```asn1
 * OCSPResponseStatus ::= ENUMERATED { successful (0), malformedRequest (1), internalError (2),
 *   tryLater (3), -- (4) is not used -- sigRequired (5), unauthorized (6) }
 * ```
 */
export type OcspResponseStatus =
  'successful' | 'malformedRequest' | 'internalError' | 'tryLater' | 'sigRequired' | 'unauthorized';

/** The statuses of an error response (every status but `successful`, RFC 6960 §2.3). */
export type OcspErrorStatus = Exclude<OcspResponseStatus, 'successful'>;

const RESPONSE_STATUS: Record<OcspResponseStatus, number> = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
};

/** Wire value of a response status (RangeError for a name outside the union: a caller bug). */
export function responseStatusCode(s: OcspResponseStatus): number {
  const n = RESPONSE_STATUS[s] as number | undefined;
  if (n === undefined) throw new RangeError(`unknown OCSPResponseStatus ${String(s)}`);
  return n;
}

/** Response status from its wire value (`ocsp_malformed` for 4 and anything undefined). */
export function responseStatusName(n: number): OcspResponseStatus {
  for (const [name, v] of Object.entries(RESPONSE_STATUS) as [OcspResponseStatus, number][])
    if (v === n) return name;
  throw pkiError('ocsp_malformed', `undefined OCSPResponseStatus ${n}`);
}

/** RevokedInfo's revocationReason is an RFC 5280 §5.3.1 CRLReason (RFC 6960 §4.2.1): one vocabulary with CRLs. */
export function reasonCode(r: CrlReason): number {
  const n = CRL_REASON_CODE[r] as number | undefined;
  if (n === undefined) throw new RangeError(`unknown CRLReason ${String(r)}`);
  return n;
}

/** Revocation reason from its wire value (`ocsp_malformed` for 7 and values above 10). */
export function reasonName(n: number): CrlReason {
  const r = crlReasonOf(n);
  if (r === undefined) throw pkiError('ocsp_malformed', `undefined CRLReason ${n}`);
  return r;
}
