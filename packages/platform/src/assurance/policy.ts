/**
 * The policy engine (docs/architecture.md §6): does an authentication context meet what an RP asks for, and
 * if not, what would fix it — used for RFC 9470 step-up (`insufficient_user_authentication`) and
 * OpenID Connect `acr` enforcement. Every decision is explained.
 */
import { reason, type Reason } from './reasons.ts';
import { ASSURANCE_TABLE, EIDAS_ORDER, type AcrRow, type Aal, type Fal, type Ial } from './table.ts';
import type { AuthenticationContext } from './evaluate.ts';

/** What an RP (its registration, or this request) requires. */
export interface AssuranceRequirement {
  readonly minIal?: Ial;
  readonly minAal?: Aal;
  readonly minFal?: Fal;
  /** Acceptable acr values; at least one must be met (OIDC Core §3.1.2.1 `acr_values`, or an essential `acr` claim). */
  readonly acrValues?: readonly string[];
}

/** What is missing, requirement by requirement. */
export interface MissingAssurance {
  readonly ial?: { readonly required: Ial; readonly actual: Ial };
  readonly aal?: { readonly required: Aal; readonly actual: Aal };
  readonly fal?: { readonly required: Fal; readonly actual: Fal };
  /** The acr values asked for, none of which is met. */
  readonly acr?: readonly string[];
}

/** The decision. `stepUp`: what would let the resident meet the requirement. */
export type AssuranceDecision =
  | { readonly satisfied: true; readonly reasons: readonly Reason[] }
  | {
      readonly satisfied: false;
      /**
       * `authentication`: authenticate again, more strongly (RFC 9470 `insufficient_user_authentication`);
       * `proofing`: re-proof the identity with the card first; `impossible`: nothing the resident can
       * do in this transaction (unknown acr values only, or a federation level the RP's protocol does not give).
       */
      readonly stepUp: 'authentication' | 'proofing' | 'impossible';
      readonly missing: MissingAssurance;
      readonly reasons: readonly Reason[];
    };

const ACR_ROWS: ReadonlyMap<string, AcrRow> = new Map(ASSURANCE_TABLE.acrValues.map((r) => [r.value, r]));

/** The table row of a known acr value (Watashi, eIDAS or EAP vocabulary), else undefined. */
export function acrRow(acr: string): AcrRow | undefined {
  return ACR_ROWS.get(acr);
}

/** The facts an acr value is checked against: a whole context, or what an acr value itself implies. */
interface Capabilities {
  readonly ial: Ial;
  readonly aal: Aal;
  readonly eidas: AuthenticationContext['eidas'];
  readonly phishingResistant: boolean;
  readonly hardwareProtected: boolean;
}

function eidasRank(e: AuthenticationContext['eidas']): number {
  return e === null ? -1 : EIDAS_ORDER.indexOf(e);
}

function meets(cap: Capabilities, req: AcrRow): boolean {
  return (
    cap.ial >= req.ial &&
    cap.aal >= req.aal &&
    (!req.phishingResistant || cap.phishingResistant) &&
    (!req.hardwareProtected || cap.hardwareProtected) &&
    (req.vocabulary !== 'eidas' || eidasRank(cap.eidas) >= eidasRank(req.eidas))
  );
}

function capabilitiesOfAcr(row: AcrRow): Capabilities {
  if (row.vocabulary === 'watashi') {
    return {
      ial: row.ial,
      aal: row.aal,
      eidas: row.eidas,
      phishingResistant: row.phishingResistant,
      hardwareProtected: row.hardwareProtected,
    };
  }
  // An eIDAS or EAP value asserts only its own property, nothing about the Japanese levels.
  return {
    ial: 0,
    aal: 0,
    eidas: row.eidas,
    phishingResistant: row.phishingResistant,
    hardwareProtected: row.hardwareProtected,
  };
}

/**
 * Whether an issued acr value satisfies a required one. Watashi values are ordered as a product
 * (identity level and authentication level both at least as high); eIDAS URIs by low < substantial
 * < high, met by a Watashi value whose mapped eIDAS level is high enough; `phr`/`phrh` are met by
 * level-3 authentication (which is always phishing-resistant and hardware-bound) or by themselves
 * (`phrh` implies `phr`). Unknown values on either side never satisfy (fail closed).
 */
export function acrSatisfies(acr: string, requiredAcr: string): boolean {
  const have = acrRow(acr);
  const want = acrRow(requiredAcr);
  if (have === undefined || want === undefined) return false;
  const cap = capabilitiesOfAcr(have);
  switch (want.vocabulary) {
    case 'watashi':
      return have.vocabulary === 'watashi' && meets(cap, want);
    case 'eidas':
      // Compare on the eIDAS scale only: an issued eIDAS URI carries no Japanese levels.
      return eidasRank(cap.eidas) >= eidasRank(want.eidas);
    case 'eap':
      return (
        (!want.phishingResistant || cap.phishingResistant) &&
        (!want.hardwareProtected || cap.hardwareProtected)
      );
  }
}

/** Whether a login's context satisfies one acr value (uses the context's own phishing-resistance flags). */
export function contextSatisfiesAcr(ctx: AuthenticationContext, requiredAcr: string): boolean {
  const want = acrRow(requiredAcr);
  return want !== undefined && meets(ctx, want);
}

/**
 * The acr to put in the ID token: the context's own value when the RP asked for nothing or for
 * that value; otherwise the first requested value the context meets, in the RP's order of
 * preference (OIDC Core §3.1.2.1, §5.5.1.1 for an essential `acr`); otherwise the context's own.
 */
export function selectAcr(ctx: AuthenticationContext, requested?: readonly string[]): string | null {
  if (ctx.acr === null || requested === undefined || requested.length === 0) return ctx.acr;
  if (requested.includes(ctx.acr)) return ctx.acr;
  return requested.find((v) => contextSatisfiesAcr(ctx, v)) ?? ctx.acr;
}

function checkLevel(value: number | undefined, min: number, max: number, what: string): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max)) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}`);
  }
}

/**
 * Decides whether `actual` meets `required`, and if not, which step-up would help. Identity
 * shortfalls come first: re-proofing with the card is needed before any new authentication can
 * help. Unknown acr values are reported and ignored; if only unknown values were asked for,
 * the request cannot be met.
 */
export function decide(required: AssuranceRequirement, actual: AuthenticationContext): AssuranceDecision {
  checkLevel(required.minIal, 0, 3, 'minIal');
  checkLevel(required.minAal, 0, 3, 'minAal');
  checkLevel(required.minFal, 1, 3, 'minFal');

  const reasons: Reason[] = [];
  const missing: {
    ial?: { required: Ial; actual: Ial };
    aal?: { required: Aal; actual: Aal };
    fal?: { required: Fal; actual: Fal };
    acr?: readonly string[];
  } = {};
  let needProofing = false;
  let needAuthentication = false;
  let impossible = false;

  if (required.minIal !== undefined && actual.ial < required.minIal) {
    missing.ial = { required: required.minIal, actual: actual.ial };
    needProofing = true;
    reasons.push(reason('ial_insufficient', { required: required.minIal, actual: actual.ial }));
  }
  if (required.minAal !== undefined && actual.aal < required.minAal) {
    missing.aal = { required: required.minAal, actual: actual.aal };
    needAuthentication = true;
    reasons.push(reason('aal_insufficient', { required: required.minAal, actual: actual.aal }));
  }
  if (required.minFal !== undefined && actual.fal < required.minFal) {
    missing.fal = { required: required.minFal, actual: actual.fal };
    impossible = true;
    reasons.push(reason('fal_insufficient', { required: required.minFal, actual: actual.fal }));
  }

  const acrValues = required.acrValues ?? [];
  if (acrValues.length > 0) {
    const known: AcrRow[] = [];
    for (const v of acrValues) {
      const row = acrRow(v);
      if (row === undefined) reasons.push(reason('acr_unknown', { acr: v }));
      else known.push(row);
    }
    if (!known.some((row) => meets(actual, row))) {
      missing.acr = [...acrValues];
      reasons.push(reason('acr_unsatisfied', { requested: acrValues.join(' ') }));
      if (known.length === 0) impossible = true;
      // Cheapest fix: a value that only needs a new authentication, else one that needs proofing.
      else if (known.some((row) => row.ial <= actual.ial)) needAuthentication = true;
      else needProofing = true;
    }
  }

  if (!needProofing && !needAuthentication && !impossible) {
    return { satisfied: true, reasons: [reason('requirement_satisfied', { acr: actual.acr ?? 'none' })] };
  }
  const stepUp = impossible ? 'impossible' : needProofing ? 'proofing' : 'authentication';
  return { satisfied: false, stepUp, missing, reasons };
}
