/**
 * CRLReason (RFC 5280 §5.3.1):
 *
 * ```asn1
 * CRLReason ::= ENUMERATED {
 *   unspecified (0), keyCompromise (1), cACompromise (2), affiliationChanged (3), superseded (4),
 *   cessationOfOperation (5), certificateHold (6), -- value 7 is not used
 *   removeFromCRL (8), privilegeWithdrawn (9), aACompromise (10) }
 * ```
 *
 * JPKI uses affiliationChanged, cessationOfOperation, superseded and certificateHold
 * (docs/jpki.md §2.2).
 */

/** A revocation reason by its RFC 5280 §5.3.1 name. */
export type CrlReason =
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

/** ENUMERATED value of each reason (RFC 5280 §5.3.1). */
export const CRL_REASON_CODE: Readonly<Record<CrlReason, number>> = {
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

/** Reason name by ENUMERATED value; index 7 (unused by the standard) is undefined. */
export const CRL_REASON_BY_CODE: ReadonlyArray<CrlReason | undefined> = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  undefined,
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
];

/** The reason for an ENUMERATED value, or undefined when the value is not an RFC 5280 reason. */
export function crlReasonOf(code: number): CrlReason | undefined {
  return CRL_REASON_BY_CODE[code];
}
