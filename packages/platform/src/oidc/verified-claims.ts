/**
 * `verified_claims` (OpenID Connect for Identity Assurance 1.0, "OIDC4IDA", and OpenID Identity
 * Assurance Schema Definition 1.0, "IDA-schema"; issue 4): the basic 4 information (基本4情報) a
 * resident proved by signing with the JPKI signing certificate (署名用電子証明書), with how, when
 * and under which rules it was verified.
 *
 * Request (OIDC4IDA §5.3–5.6): the `claims` parameter's `id_token` and/or `userinfo` member holds
 * `verified_claims` — one object or an array of them — each with a `verification` object (the
 * elements the RP wants back, with optional `value`/`values`/`max_age` constraints) and a non-empty
 * `claims` object (the claims wanted inside). A malformed one is refused at the authorization
 * endpoint with `invalid_request` ({@link assertVerifiedClaimsRequest}).
 *
 * Response ({@link buildVerifiedClaims}), for one request object:
 * - `verification.trust_framework` is always `jp_jpki` ({@link TRUST_FRAMEWORK}). The OIDF
 *   identifier registry has `jp_aml` (犯罪収益移転防止法) and `jp_mpiupa` (携帯電話不正利用防止法),
 *   but both assert that the OP verifies and maintains identities *in conformance with that Act*
 *   (record keeping, a regulated business); a self-hosted Watashi operator is not that, so
 *   claiming either would overstate. `jp_jpki` names Watashi's own framework: identity verified by
 *   a signature with a valid JPKI signing certificate (公的個人認証法 §3), its status checked with
 *   J-LIS, levels per the published assurance table. RPs that do not know it ignore the element
 *   (IDA-schema §5.4.2: recipients ignore trust frameworks they do not understand).
 * - the other `verification` elements only when asked for (OIDC4IDA §5.4: "the RP shall explicitly
 *   request any data it wants"): `assurance_level` (`ial3` / `ial2`, the 身元確認保証レベル of the
 *   assurance engine now), `time` (when the resident was last proofed: enrolment or re-proofing),
 *   `verification_process` (a pairwise reference to the anchor, below), `evidence` (one
 *   `electronic_signature`, below) and {@link STATUS_CHECKED_AT} (when the certificate's
 *   revocation status was last established — an extension element, IDA-schema §5.4.2: "implementations
 *   shall ignore any sub-element not defined in this specification or extensions").
 * - evidence `electronic_signature` (IDA-schema §5.4.4.5): `signature_type` `jpki_sign`, `issuer`
 *   the certification authority (J-LIS), `serial_number` **pairwise**: the schema requires it, but
 *   the certificate serial is the same at every RP and would let RPs correlate a resident, so
 *   Watashi sends an HMAC of the RP's sector and the anchor (issuer key hash, serial) under the key
 *   store — stable for one RP and one certificate, different across RPs, resolvable by the operator
 *   for disputes. `verification_process` is likewise an HMAC of the sector and the anchor id.
 *   `created_at` (when asked for) is when the resident signed the enrolment document.
 * - `claims`: requested ∩ {@link VERIFIED_CLAIMS} ∩ the values the caller passes (which the caller
 *   has already narrowed to registered ∩ persona ∩ consented); `value`/`values` constraints that
 *   do not match drop the claim. No claim left → no `verified_claims` element.
 *
 * Omission, never an error (OIDC4IDA §5.7.2–5.7.5): a `verification` constraint not met
 * (`trust_framework`, `assurance_level`, `evidence` type, `max_age` on `time` or on the status
 * check) omits that whole `verified_claims` element; no current verification (fail closed: the
 * caller passes none when the anchor is revoked, on hold, expired, unknown, or the account needs
 * re-proofing) omits them all. The RP then gets its plain claims, if any, and no verified ones.
 */
import { z } from 'zod';
import type { WatashiClaim } from './claims.ts';

/** Watashi's trust framework identifier (see the module comment for why not `jp_aml`). */
export const TRUST_FRAMEWORK = 'jp_jpki';
/** The only evidence type Watashi uses (IDA-schema §5.4.4.5). */
export const EVIDENCE_TYPE = 'electronic_signature';
/** `signature_type` of that evidence: a signature with the JPKI signing certificate (署名用電子証明書). */
export const SIGNATURE_TYPE = 'jpki_sign';
/** `issuer` of that evidence: the certification authority of every JPKI signing certificate. */
export const JPKI_SIGN_CA =
  'Japan Agency for Local Authority Information Systems (J-LIS), JPKI for digital signature';
/** Extension element of `verification`: when the anchor's revocation status was last established. */
export const STATUS_CHECKED_AT = 'watashi_status_checked_at';
/** The claims Watashi can state as verified: the basic 4 information and its parts. */
export const VERIFIED_CLAIMS = [
  'name',
  'family_name',
  'given_name',
  'birthdate',
  'gender',
  'address',
] as const satisfies readonly WatashiClaim[];
/** A claim that can be released inside `verified_claims`. */
export type VerifiedClaim = (typeof VERIFIED_CLAIMS)[number];

/** Whether `c` may appear inside `verified_claims`. */
export function isVerifiedClaim(c: string): c is VerifiedClaim {
  return (VERIFIED_CLAIMS as readonly string[]).includes(c);
}

/** Discovery metadata (OIDC4IDA §8). */
export const VERIFIED_CLAIMS_METADATA = {
  verified_claims_supported: true,
  trust_frameworks_supported: [TRUST_FRAMEWORK],
  evidence_supported: [EVIDENCE_TYPE],
  claims_in_verified_claims_supported: [...VERIFIED_CLAIMS],
} as const;

// --- Request -----------------------------------------------------------------------------------

const purpose = z.string().min(3).max(300);
/** `null` or `{ essential?, purpose?, value?, values? }` (OIDC Core §5.5.1). */
const constrainable = z.union([
  z.null(),
  z.object({
    essential: z.boolean().optional(),
    purpose: purpose.optional(),
    value: z.string().optional(),
    values: z.array(z.string()).min(1).optional(),
  }),
]);
/** `null` or `{ essential?, purpose?, max_age? }` (OIDC4IDA §5.5.2). */
const datetime = z.union([
  z.null(),
  z.object({
    essential: z.boolean().optional(),
    purpose: purpose.optional(),
    max_age: z.number().int().min(0).optional(),
  }),
]);
const simple = z.union([
  z.null(),
  z.object({ essential: z.boolean().optional(), purpose: purpose.optional() }),
]);
/** One evidence filter: its `type` must name a type with `value` (OIDC4IDA §5.4). */
const evidenceFilter = z.looseObject({
  type: z.object({ value: z.string().min(1) }),
  signature_type: simple.optional(),
  issuer: simple.optional(),
  serial_number: simple.optional(),
  created_at: datetime.optional(),
});
const verificationRequest = z.looseObject({
  trust_framework: constrainable,
  assurance_level: constrainable.optional(),
  time: datetime.optional(),
  verification_process: simple.optional(),
  evidence: z.array(evidenceFilter).min(1).max(8).optional(),
  [STATUS_CHECKED_AT]: datetime.optional(),
});
const claimRequest = z.union([
  z.null(),
  z.looseObject({
    essential: z.boolean().optional(),
    purpose: purpose.optional(),
    value: z.unknown().optional(),
    values: z.array(z.unknown()).min(1).optional(),
  }),
]);
const oneRequest = z.looseObject({
  verification: verificationRequest,
  claims: z.record(z.string(), claimRequest).refine((o) => Object.keys(o).length > 0, 'must not be empty'),
});
const verifiedClaimsRequest = z.union([oneRequest, z.array(oneRequest).min(1).max(8)]);

/** One parsed `verified_claims` request object. */
export type VerifiedClaimsRequest = z.output<typeof oneRequest>;

/** Why a `claims` parameter's `verified_claims` is malformed (a caller turns it into `invalid_request`). */
export class VerifiedClaimsRequestError extends Error {
  override readonly name = 'VerifiedClaimsRequestError';
}

/** A target's `verified_claims` request: its objects, and whether they came as an array. */
export interface ParsedVerifiedClaimsRequest {
  readonly requests: readonly VerifiedClaimsRequest[];
  readonly array: boolean;
}

/** The `verified_claims` request of one target, or undefined when it asks for none. */
export function parseVerifiedClaimsRequest(value: unknown): ParsedVerifiedClaimsRequest | undefined {
  if (value === undefined) return undefined;
  const r = verifiedClaimsRequest.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new VerifiedClaimsRequestError(
      `verified_claims${issue === undefined || issue.path.length === 0 ? '' : `.${issue.path.join('.')}`}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return Array.isArray(r.data) ? { requests: r.data, array: true } : { requests: [r.data], array: false };
}

/**
 * Checks the `verified_claims` of a parsed `claims` parameter (both targets); throws
 * {@link VerifiedClaimsRequestError} naming the first problem.
 */
export function assertVerifiedClaimsRequest(claims: {
  readonly id_token?: unknown;
  readonly userinfo?: unknown;
}): void {
  for (const target of ['id_token', 'userinfo'] as const) {
    const t = claims[target];
    if (typeof t === 'object' && t !== null && 'verified_claims' in t) {
      const vc = (t as { verified_claims?: unknown }).verified_claims;
      // OIDC Core §5.5: a bare `null` asks for the claim with no detail; IDA needs the structure.
      if (vc === null) throw new VerifiedClaimsRequestError('verified_claims: needs verification and claims');
      parseVerifiedClaimsRequest(vc);
    }
  }
}

/**
 * The verifiable claim names a `claims` parameter (a JSON string, already accepted by
 * oidc-provider) asks for inside `verified_claims`, and whether it asks for `verified_claims` at all.
 */
export function requestedVerifiedClaims(raw: unknown): { asked: boolean; claims: Set<VerifiedClaim> } {
  const out = { asked: false, claims: new Set<VerifiedClaim>() };
  if (typeof raw !== 'string') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return out; // refused by oidc-provider before any interaction
  }
  for (const target of ['id_token', 'userinfo']) {
    const vc = (parsed as Record<string, Record<string, unknown> | undefined> | null)?.[target]?.[
      'verified_claims'
    ];
    let parsedRequest: ParsedVerifiedClaimsRequest | undefined;
    try {
      parsedRequest = parseVerifiedClaimsRequest(vc);
    } catch {
      parsedRequest = undefined; // refused at the authorization endpoint
    }
    if (parsedRequest === undefined) continue;
    out.asked = true;
    for (const r of parsedRequest.requests)
      for (const c of Object.keys(r.claims)) if (isVerifiedClaim(c)) out.claims.add(c);
  }
  return out;
}

// --- Response ----------------------------------------------------------------------------------

/** What the OP knows about the resident's current verification (see the module comment). */
export interface VerificationRecord {
  /** The assurance engine's identity level now; only 2 and 3 carry verified claims. */
  readonly level: 2 | 3;
  /** When the resident was last proofed (enrolment or re-proofing). */
  readonly verifiedAt: Date;
  /** When the anchor's revocation status was last established. */
  readonly statusCheckedAt: Date;
  /** Pairwise reference to the anchor (`verification_process`). */
  readonly process: string;
  /** Pairwise stand-in for the certificate serial (`evidence[0].serial_number`). */
  readonly serialNumber: string;
  /** When the enrolment document was signed, if recorded. */
  readonly signedAt?: Date;
}

/** ISO 8601 `YYYY-MM-DDThh:mm:ssZ` in UTC (IDA-schema §5.4.2; OIDC4IDA §9: UTC, no local zone). */
export function idaTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function matches(c: z.output<typeof constrainable> | undefined, actual: string): boolean {
  if (c === undefined || c === null) return true;
  if (c.value !== undefined && c.value !== actual) return false;
  if (c.values !== undefined && !c.values.includes(actual)) return false;
  return true;
}

function fresh(c: z.output<typeof datetime> | undefined, at: Date, now: Date): boolean {
  if (c === undefined || c === null || c.max_age === undefined) return true;
  return (now.getTime() - at.getTime()) / 1000 <= c.max_age;
}

function claimMatches(c: z.output<typeof claimRequest>, actual: unknown): boolean {
  if (c === null) return true;
  // OIDC Core §5.5.1: value / values name the value(s) the RP wants; compared as JSON.
  const same = (x: unknown): boolean => JSON.stringify(x) === JSON.stringify(actual);
  if (c.value !== undefined && !same(c.value)) return false;
  if (c.values !== undefined && !c.values.some(same)) return false;
  return true;
}

/** One `verified_claims` element for one request object, or undefined when it must be omitted. */
function buildOne(
  request: VerifiedClaimsRequest,
  values: Readonly<Partial<Record<WatashiClaim, unknown>>>,
  record: VerificationRecord,
  now: Date,
): Record<string, unknown> | undefined {
  const v = request.verification;
  const level = `ial${record.level}`;
  if (!matches(v.trust_framework, TRUST_FRAMEWORK)) return undefined;
  if (!matches(v.assurance_level, level)) return undefined;
  if (!fresh(v.time, record.verifiedAt, now)) return undefined;
  if (!fresh(v[STATUS_CHECKED_AT], record.statusCheckedAt, now)) return undefined;
  const evidenceFilters = v.evidence?.filter((e) => e.type.value === EVIDENCE_TYPE);
  if (v.evidence !== undefined && evidenceFilters?.length === 0) return undefined;
  if (
    evidenceFilters?.some((e) => record.signedAt !== undefined && !fresh(e.created_at, record.signedAt, now))
  )
    return undefined;

  const claims: Record<string, unknown> = {};
  for (const [name, constraint] of Object.entries(request.claims)) {
    if (!isVerifiedClaim(name) || !Object.hasOwn(values, name)) continue;
    const value = values[name];
    if (value === undefined || !claimMatches(constraint, value)) continue;
    claims[name] = value;
  }
  // IDA-schema §5.3: `claims` is required and not empty; with nothing to state, omit the element.
  if (Object.keys(claims).length === 0) return undefined;

  const verification: Record<string, unknown> = { trust_framework: TRUST_FRAMEWORK };
  if (v.assurance_level !== undefined) verification['assurance_level'] = level;
  if (v.time !== undefined) verification['time'] = idaTime(record.verifiedAt);
  if (v.verification_process !== undefined) verification['verification_process'] = record.process;
  if (evidenceFilters !== undefined) {
    const askedCreatedAt = evidenceFilters.some((e) => e.created_at !== undefined);
    verification['evidence'] = [
      {
        type: EVIDENCE_TYPE,
        signature_type: SIGNATURE_TYPE,
        issuer: JPKI_SIGN_CA,
        serial_number: record.serialNumber,
        ...(askedCreatedAt && record.signedAt !== undefined ? { created_at: idaTime(record.signedAt) } : {}),
      },
    ];
  }
  if (v[STATUS_CHECKED_AT] !== undefined) verification[STATUS_CHECKED_AT] = idaTime(record.statusCheckedAt);
  return { verification, claims };
}

/**
 * The `verified_claims` value for a target's request objects: one object for a one-object
 * request, an array (of those that could be fulfilled) for an array request, undefined when
 * nothing can be stated (no request, no current verification, constraints unmet, no claims).
 */
export function buildVerifiedClaims(
  request: ParsedVerifiedClaimsRequest | undefined,
  values: Readonly<Partial<Record<WatashiClaim, unknown>>>,
  record: VerificationRecord | undefined,
  now: Date,
): Record<string, unknown> | Record<string, unknown>[] | undefined {
  if (request === undefined || record === undefined) return undefined;
  if (record.level !== 2 && record.level !== 3) throw new RangeError('verified claims need level 2 or 3');
  const built = request.requests
    .map((r) => buildOne(r, values, record, now))
    .filter((x): x is Record<string, unknown> => x !== undefined);
  if (built.length === 0) return undefined;
  return request.array ? built : built[0];
}
