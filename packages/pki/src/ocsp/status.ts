/**
 * Named OCSP enumerations. The wire numbers live here and nowhere else: the public API speaks
 * `'malformedRequest'`, `'revoked'`, `'keyCompromise'` (STYLE.md: no bare numeric statuses).
 */
import { pkiError } from '../errors.ts';

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

/**
 * RFC 5280 §5.3.1 CRLReason, as used in OCSP RevokedInfo (RFC 6960 §4.2.1). Structurally the same
 * union as the CRL module's `CrlReason`.
 *
 * ```asn1
 * CRLReason ::= ENUMERATED { unspecified (0), keyCompromise (1), cACompromise (2),
 *   affiliationChanged (3), superseded (4), cessationOfOperation (5), certificateHold (6),
 *   -- value 7 is not used -- removeFromCRL (8), privilegeWithdrawn (9), aACompromise (10) }
 * ```
 */
export type OcspRevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'removeFromCRL'
  | 'privilegeWithdrawn'
  | 'aACompromise';

const REASON: Record<OcspRevocationReason, number> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};

/** Wire value of a revocation reason (RangeError for a name outside the union: a caller bug). */
export function reasonCode(r: OcspRevocationReason): number {
  const n = REASON[r] as number | undefined;
  if (n === undefined) throw new RangeError(`unknown CRLReason ${String(r)}`);
  return n;
}

/** Revocation reason from its wire value (`ocsp_malformed` for 7 and values above 10). */
export function reasonName(n: number): OcspRevocationReason {
  for (const [name, v] of Object.entries(REASON) as [OcspRevocationReason, number][])
    if (v === n) return name;
  throw pkiError('ocsp_malformed', `undefined CRLReason ${n}`);
}
