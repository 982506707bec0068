/**
 * The assurance engine (docs/architecture.md §3.2, §6): pure functions from recorded facts to levels, each
 * decision explained by reasons. No I/O; every time-dependent rule takes `now`.
 *
 * - `evaluateIdentityProofing`: the account's 身元確認保証レベル now (drops with the anchor).
 * - `evaluateAuthenticator`: what one authenticator proves (factors, level alone, caps).
 * - `evaluateFederation`: the FAL of one assertion.
 * - `evaluateAuthentication`: the whole authentication context of a login (ial, aal, fal, acr, amr,
 *   NIST and eIDAS equivalents).
 */
import type { CrlReason } from '@watashi/pki';
import { reason, type Reason } from './reasons.ts';
import {
  ASSURANCE_TABLE,
  acrFor,
  authenticationRow,
  eidasOf,
  nistAalOf,
  nistFalOf,
  nistIalOf,
  type Aal,
  type EidasLoa,
  type Fal,
  type Ial,
  type NistAal,
  type NistFal,
  type NistIal,
} from './table.ts';

// ---------------------------------------------------------------------------------------------
// Identity proofing

/** The JPKI certificate an account is anchored on: signing (署名用) or user authentication (利用者証明用). */
export type AnchorKind = 'jpki-sign' | 'jpki-auth';
/** Last known status of the anchor certificate. */
export type AnchorCheckStatus = 'good' | 'revoked' | 'hold' | 'unknown' | 'expired';

/** The anchor as recorded by the lifecycle sweep (docs/architecture.md §3.4). */
export interface AnchorFacts {
  readonly kind: AnchorKind;
  readonly status: AnchorCheckStatus;
  /** When `status` was last established (OCSP response or CRL used). */
  readonly lastCheckedAt: Date;
  /** RFC 5280 §5.3.1 reason name when revoked (`affiliationChanged`, `keyCompromise` …). */
  readonly reason?: CrlReason | (string & {});
}

/** What the engine needs to know about an account's identity proofing. */
export interface AccountProofingFacts {
  readonly anchor?: AnchorFacts;
  /** Set by the lifecycle when the resident must sign again (`accounts.status = needs_reproofing`). */
  readonly reproofingRequired?: boolean;
  /** When the identity was last verified (enrolment or re-proofing). */
  readonly proofedAt?: Date;
}

/** Tunable windows of `evaluateIdentityProofing`. */
export interface ProofingOptions {
  /** A `good` status older than this no longer supports level 3. Default 48 h: two daily CRL cycles. */
  readonly freshSeconds?: number;
  /** A `good` status older than this no longer supports level 2 either. Default 30 days. */
  readonly maxUnconfirmedSeconds?: number;
}

/** Default `freshSeconds`: two daily CRL cycles (docs/jpki.md §2.2), so one missed sweep is tolerated. */
const DEFAULT_FRESH_SECONDS = 48 * 3600;
/** Default `maxUnconfirmedSeconds`. */
const DEFAULT_MAX_UNCONFIRMED_SECONDS = 30 * 24 * 3600;
/** Tolerated clock difference between the sweep workers and the evaluating node. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Result of `evaluateIdentityProofing`. */
export interface IdentityProofingResult {
  readonly level: Ial;
  /** Always at least one reason; the last one states the rule that fixed the level. */
  readonly reasons: readonly Reason[];
  /** When the identity was verified (for OIDC4IDA `verification.time`), if known. */
  readonly verifiedAt?: Date;
  /** When the anchor status was last established, if there is an anchor. */
  readonly evidenceCheckedAt?: Date;
  /** True when the level is below 3 and re-proofing with the card would restore it. */
  readonly reproofingWouldHelp: boolean;
}

const COMPROMISE_REASONS: ReadonlySet<string> = new Set(['keyCompromise', 'cACompromise', 'aACompromise']);

function assertDate(value: unknown, what: string): asserts value is Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TypeError(`${what} must be a valid Date`);
  }
}

/**
 * The account's identity assurance level now.
 *
 * | anchor | level | why |
 * |---|---|---|
 * | none | 0 | nothing verified: no IAL claim (SP 800-63C-4 §2.5) |
 * | signing cert, good, checked ≤ `freshSeconds` ago | 3 | JP-2019 §2.3: JPKI signing certificate |
 * | signing cert, good, older check (≤ `maxUnconfirmedSeconds`), or `unknown` | 2 | verified by strong evidence, currency not confirmed (fail closed: no 3) |
 * | good but older than `maxUnconfirmedSeconds` | 1 | verified once, long unconfirmed |
 * | hold, expired, revoked (affiliationChanged, superseded, …), re-proofing required | 1 | verified once, evidence no longer current; the account and its pairwise `sub`s stay, re-proofing restores 3 |
 * | revoked for key compromise | 0 | the enrolment signature itself is in doubt |
 * | revoked for cessationOfOperation (death or emigration) | 0 | the resident record ended |
 * | user-authentication cert | ≤ 1 | no identity attributes in that certificate |
 */
export function evaluateIdentityProofing(
  account: AccountProofingFacts,
  now: Date,
  options: ProofingOptions = {},
): IdentityProofingResult {
  assertDate(now, 'now');
  const freshSeconds = options.freshSeconds ?? DEFAULT_FRESH_SECONDS;
  const maxUnconfirmed = options.maxUnconfirmedSeconds ?? DEFAULT_MAX_UNCONFIRMED_SECONDS;
  if (!(freshSeconds > 0) || !(maxUnconfirmed >= freshSeconds)) {
    throw new RangeError('need 0 < freshSeconds <= maxUnconfirmedSeconds');
  }
  if (account.proofedAt !== undefined) assertDate(account.proofedAt, 'proofedAt');
  const base = account.proofedAt === undefined ? {} : { verifiedAt: account.proofedAt };

  const anchor = account.anchor;
  if (anchor === undefined) {
    return { level: 0, reasons: [reason('proofing_none')], reproofingWouldHelp: true, ...base };
  }
  if (anchor.kind !== 'jpki-sign' && anchor.kind !== 'jpki-auth') {
    throw new TypeError(`unknown anchor kind ${String(anchor.kind)}`);
  }
  assertDate(anchor.lastCheckedAt, 'anchor.lastCheckedAt');
  const withEvidence = { ...base, evidenceCheckedAt: anchor.lastCheckedAt };
  const ageSeconds = Math.floor((now.getTime() - anchor.lastCheckedAt.getTime()) / 1000);
  const detail = {
    status: anchor.status,
    checkedSecondsAgo: ageSeconds,
    ...(anchor.reason ? { reason: anchor.reason } : {}),
  };

  // Status first: what the anchor certificate says now.
  let level: Ial;
  let statusReason: Reason;
  switch (anchor.status) {
    case 'good':
      if (anchor.lastCheckedAt.getTime() - now.getTime() > CLOCK_SKEW_MS) {
        level = 2;
        statusReason = reason('anchor_check_in_future', detail);
      } else if (ageSeconds <= freshSeconds) {
        level = 3;
        statusReason = reason('anchor_sign_current', detail);
      } else if (ageSeconds <= maxUnconfirmed) {
        level = 2;
        statusReason = reason('anchor_status_stale', { ...detail, freshSeconds });
      } else {
        level = 1;
        statusReason = reason('anchor_status_outdated', { ...detail, maxUnconfirmedSeconds: maxUnconfirmed });
      }
      break;
    case 'unknown':
      level = 2;
      statusReason = reason('anchor_status_unknown', detail);
      break;
    case 'hold':
      level = 1;
      statusReason = reason('anchor_on_hold', detail);
      break;
    case 'expired':
      level = 1;
      statusReason = reason('anchor_expired', detail);
      break;
    case 'revoked':
      if (anchor.reason !== undefined && COMPROMISE_REASONS.has(anchor.reason)) {
        level = 0;
        statusReason = reason('anchor_revoked_compromise', detail);
      } else if (anchor.reason === 'cessationOfOperation') {
        level = 0;
        statusReason = reason('anchor_revoked_subject_ceased', detail);
      } else if (anchor.reason === 'certificateHold') {
        // RFC 5280 §5.3.1: a CRL entry with certificateHold is a suspension, not a revocation.
        level = 1;
        statusReason = reason('anchor_on_hold', detail);
      } else {
        level = 1;
        statusReason = reason('anchor_revoked', detail);
      }
      break;
    default:
      throw new TypeError(`unknown anchor status ${String(anchor.status)}`);
  }
  const reasons: Reason[] = [statusReason];

  // The user-authentication certificate carries no basic 4 information (docs/jpki.md §1.3).
  if (anchor.kind === 'jpki-auth' && level > 1) {
    level = 1;
    reasons.push(reason('anchor_auth_no_attributes'));
  }
  if (account.reproofingRequired === true && level > 1) {
    level = 1;
    reasons.push(reason('reproofing_required'));
  }
  return { level, reasons, reproofingWouldHelp: level < 3, ...withEvidence };
}

// ---------------------------------------------------------------------------------------------
// One authenticator

/** Kinds of authenticator the platform binds (`device_cert` is the store's name for a device key). */
export type AssuranceAuthenticatorType = 'passkey' | 'device_key' | 'device_cert' | 'card_auth' | 'password';
/** How the key was activated, when known. WebAuthn reports only the UV flag, not the method. */
export type Activation = 'pin' | 'biometric' | 'fingerprint' | 'face' | 'none';
/** Authentication factor kinds; `user-verification` is a local check of unreported method (PIN or biometric). */
export type FactorKind = 'possession' | 'knowledge' | 'inherence' | 'user-verification';

/** The facts of one authenticator as used in this session. */
export interface AuthenticatorFacts {
  readonly type: AssuranceAuthenticatorType;
  /** Synced or syncable (WebAuthn BE flag). `undefined` = not reported, treated as syncable (fail closed). */
  readonly synced: boolean | undefined;
  /** WebAuthn BE flag, if the caller keeps it separately. */
  readonly backupEligible?: boolean;
  /** WebAuthn BS flag. */
  readonly backedUp?: boolean;
  /** An attestation statement was presented at registration. */
  readonly attested: boolean;
  /** The attestation chained to a trusted root (FIDO MDS, platform key attestation root). */
  readonly attestationTrusted?: boolean;
  /** The authenticator verified the user locally (WebAuthn UV flag; card PIN verified). */
  readonly userVerified: boolean;
  readonly keyProtection: 'hardware' | 'software' | 'unknown';
  /** Verifier-impersonation resistant (origin-bound WebAuthn, channel-bound signature). */
  readonly phishingResistant: boolean;
  readonly activation?: Activation;
}

/** Result of `evaluateAuthenticator`. */
export interface AuthenticatorAssessment {
  /** The level this authenticator reaches on its own. */
  readonly level: Exclude<Aal, 0>;
  readonly factors: readonly FactorKind[];
  /** Cryptographic (proof of possession of a key): replay-resistant. */
  readonly cryptographic: boolean;
  /** Non-exportable key in verified hardware, not syncable. */
  readonly hardwareBound: boolean;
  readonly phishingResistant: boolean;
  /** RFC 8176 (and OIDC EAP `pop`) method references. */
  readonly amr: readonly string[];
  readonly reasons: readonly Reason[];
}

const AUTHENTICATOR_TYPES: ReadonlySet<string> = new Set([
  'passkey',
  'device_key',
  'device_cert',
  'card_auth',
  'password',
]);

function isBiometric(a: Activation | undefined): boolean {
  return a === 'biometric' || a === 'fingerprint' || a === 'face';
}

/**
 * What one authenticator proves and the level it reaches alone (docs/architecture.md §3.2, SP 800-63B-4 §2):
 *
 * - a password is one knowledge factor: level 1;
 * - a key proves possession; the authenticator's own user verification adds a second factor:
 *   a PIN always, a biometric only when it activates a device-bound key (not syncable, not
 *   software-held: a biometric cannot encrypt a key, so around a software key it is an app-level
 *   gate, and on a syncable key it does not bind the copies on other devices), an unreported
 *   method (plain WebAuthn UV) as SP 800-63B-4 Appendix B allows;
 * - two factors give level 2, and level 3 only with a non-syncable key whose hardware protection
 *   is established (a trusted attestation, or the J-LIS-issued card key) and a phishing-resistant
 *   protocol: a synced passkey or a software key is capped at 2;
 * - the card's user-authentication certificate with its PIN is level 3.
 */
export function evaluateAuthenticator(a: AuthenticatorFacts): AuthenticatorAssessment {
  if (!AUTHENTICATOR_TYPES.has(a.type)) throw new TypeError(`unknown authenticator type ${String(a.type)}`);

  if (a.type === 'password') {
    return {
      level: 1,
      factors: ['knowledge'],
      cryptographic: false,
      hardwareBound: false,
      phishingResistant: false,
      amr: ['pwd'],
      reasons: [reason('password_single_factor')],
    };
  }

  const reasons: Reason[] = [reason('possession_proven', { type: a.type })];
  const factors: FactorKind[] = ['possession'];
  const isCard = a.type === 'card_auth';
  // WebAuthn BE/BS flags: either set means the key can live elsewhere. Not reported: assume it can.
  const syncable = a.synced !== false || a.backupEligible === true || a.backedUp === true;
  // The card key is generated in the card (or the smartphone SE) and certified by J-LIS: its
  // certificate is the attestation (docs/jpki.md §1.3, §2.3).
  const hardwareVerified =
    a.keyProtection === 'hardware' && (isCard || (a.attested && a.attestationTrusted === true));
  const hardwareBound = hardwareVerified && !syncable;

  const amr: string[] = ['pop', hardwareBound ? 'hwk' : 'swk', 'user'];
  if (isCard) amr.push('sc');

  if (!a.userVerified) {
    reasons.push(reason('activation_absent', a.activation ? { activation: a.activation } : undefined));
  } else if (a.activation === 'none') {
    // Contradictory facts (UV set, activation "none"): count nothing (fail closed).
    reasons.push(reason('activation_absent', { activation: 'none' }));
  } else if (a.activation === 'pin') {
    factors.push('knowledge');
    amr.push('pin');
    reasons.push(reason('activation_pin'));
  } else if (isBiometric(a.activation)) {
    if (!syncable && a.keyProtection !== 'software') {
      factors.push('inherence');
      if (a.activation === 'fingerprint') amr.push('fpt');
      if (a.activation === 'face') amr.push('face');
      reasons.push(reason('activation_biometric', { activation: a.activation as string }));
    } else {
      reasons.push(
        reason('biometric_not_bound', {
          activation: a.activation as string,
          syncable,
          keyProtection: a.keyProtection,
        }),
      );
    }
  } else {
    factors.push('user-verification');
    reasons.push(reason('activation_user_verified'));
  }

  let level: Exclude<Aal, 0>;
  if (factors.length < 2) {
    level = 1;
    reasons.push(reason('single_factor'));
  } else {
    const caps: Reason[] = [];
    if (syncable)
      caps.push(
        reason('cap_syncable', {
          synced: String(a.synced),
          backupEligible: a.backupEligible ?? 'unreported',
        }),
      );
    if (a.keyProtection === 'software') caps.push(reason('cap_software_key'));
    else if (!hardwareVerified) {
      caps.push(
        reason('cap_hardware_unverified', {
          keyProtection: a.keyProtection,
          attested: a.attested,
          attestationTrusted: a.attestationTrusted ?? false,
        }),
      );
    }
    if (!a.phishingResistant) caps.push(reason('cap_not_phishing_resistant'));
    if (caps.length === 0) {
      level = 3;
      reasons.push(reason(isCard ? 'card_auth_top' : 'multi_factor_hardware_bound'));
    } else {
      level = 2;
      reasons.push(...caps, reason('multi_factor'));
    }
  }
  return {
    level,
    factors,
    cryptographic: true,
    hardwareBound,
    phishingResistant: a.phishingResistant,
    amr,
    reasons,
  };
}

// ---------------------------------------------------------------------------------------------
// Federation

/** How an assertion is delivered (SP 800-63C-4 §2, Table 1). */
export interface FederationFacts {
  /** Signed with approved cryptography; Watashi never issues unsigned assertions. */
  readonly signed: true;
  readonly audience: 'single' | 'multiple';
  /** Injection protection: the transaction begins at the RP (code flow with PKCE / nonce). */
  readonly rpInitiated: boolean;
  readonly trust: 'a-priori' | 'subscriber-driven';
  readonly keyEstablishment: 'static' | 'dynamic';
  /** The RP verifies that the subscriber controls a key named in the assertion (§3.14) or a bound authenticator (§3.15). */
  readonly holderOfKey?: boolean;
  /** Tokens sender-constrained to the RP (RFC 9449 DPoP, RFC 8705 mTLS). Recorded; does not raise the FAL. */
  readonly senderConstrained?: 'dpop' | 'mtls';
  readonly encrypted?: boolean;
}

/**
 * Watashi's OpenID Connect profile (docs/architecture.md §3.3): authorization code + PKCE begun by the RP,
 * ID token for one client, RPs registered in advance, keys published at fixed JWKS URLs.
 */
export const OIDC_CODE_FLOW: FederationFacts = {
  signed: true,
  audience: 'single',
  rpInitiated: true,
  trust: 'a-priori',
  keyEstablishment: 'static',
};

/** Result of `evaluateFederation`. */
export interface FederationAssessment {
  readonly level: Fal;
  readonly reasons: readonly Reason[];
}

/** The FAL of one assertion (SP 800-63C-4 §2.2–2.4). */
export function evaluateFederation(f: FederationFacts): FederationAssessment {
  if ((f.signed as boolean) !== true) throw new TypeError('Watashi issues signed assertions only');
  const reasons: Reason[] = [reason('fal1_signed')];
  let level: Fal = 1;
  if (f.audience === 'single' && f.rpInitiated && f.trust === 'a-priori') {
    level = 2;
    reasons.push(reason('fal2_protected'));
    if (f.holderOfKey === true && f.keyEstablishment === 'static') {
      level = 3;
      reasons.push(reason('fal3_holder_of_key'));
    }
  }
  if (level < 3 && f.senderConstrained !== undefined) {
    reasons.push(reason('fal_sender_constrained_only', { senderConstrained: f.senderConstrained }));
  }
  return { level, reasons };
}

// ---------------------------------------------------------------------------------------------
// The authentication context of a login

/** Inputs of `evaluateAuthentication`. */
export interface AuthenticationInput {
  readonly proofing: IdentityProofingResult;
  /** Every authenticator used in this session (a password and a key count together). */
  readonly authenticators: readonly AuthenticatorFacts[];
  readonly federation: FederationFacts;
  /** When the user authenticated (OIDC `auth_time`); enables the reauthentication limits. */
  readonly authTime?: Date;
}

/** The authentication context of a login, as carried into ID tokens and step-up decisions. */
export interface AuthenticationContext {
  readonly ial: Ial;
  readonly aal: Aal;
  readonly fal: Fal;
  /** The Watashi acr value (`urn:watashi:ac:jp:ial3-aal3` …); null when not authenticated. */
  readonly acr: string | null;
  /** RFC 8176 values, sorted. */
  readonly amr: readonly string[];
  readonly nist: { readonly ial: NistIal; readonly aal: NistAal; readonly fal: NistFal };
  readonly eidas: EidasLoa | null;
  /** At least one phishing-resistant cryptographic authenticator was used (EAP `phr`). */
  readonly phishingResistant: boolean;
  /** ... and it was a hardware-bound key (EAP `phrh`). */
  readonly hardwareProtected: boolean;
  /** Version of the assurance table the levels were computed with. */
  readonly tableVersion: string;
  readonly reasons: readonly Reason[];
}

function reauthenticationCap(aal: Aal, ageSeconds: number): Aal {
  let level = aal;
  while (level > 0 && ageSeconds > authenticationRow(level as 1 | 2 | 3).reauthenticationSeconds) {
    level = (level - 1) as Aal;
  }
  return level;
}

/**
 * The authentication context of a login: the account's identity level now, the session's
 * authentication level from the combination of authenticators used (SP 800-63B-4 §2.2, §2.3),
 * the assertion's federation level, the acr and amr to issue, and the NIST and eIDAS equivalents
 * (eIDAS = the lowest element, 2015/1502 Annex).
 */
export function evaluateAuthentication(input: AuthenticationInput, now: Date): AuthenticationContext {
  assertDate(now, 'now');
  const reasons: Reason[] = [...input.proofing.reasons];
  const ial = input.proofing.level;

  const assessed = input.authenticators.map(evaluateAuthenticator);
  let aal: Aal = 0;
  if (assessed.length === 0) {
    reasons.push(reason('no_authenticator'));
  } else {
    for (const a of assessed) reasons.push(...a.reasons);
    aal = Math.max(...assessed.map((a) => a.level)) as Aal;
    reasons.push(reason('aal_from_authenticator', { aal }));
    const password = assessed.some((a) => !a.cryptographic && a.factors.includes('knowledge'));
    const singleFactorKeys = assessed.filter((a) => a.cryptographic && a.factors.length === 1);
    if (password && singleFactorKeys.some((k) => k.hardwareBound && k.phishingResistant) && aal < 3) {
      aal = 3;
      reasons.push(reason('aal_password_plus_hardware_key'));
    } else if (password && singleFactorKeys.length > 0 && aal < 2) {
      aal = 2;
      reasons.push(reason('aal_password_plus_key'));
    }
  }

  if (input.authTime !== undefined && aal > 0) {
    assertDate(input.authTime, 'authTime');
    const ageSeconds = Math.floor((now.getTime() - input.authTime.getTime()) / 1000);
    const capped = reauthenticationCap(aal, ageSeconds);
    if (capped < aal) {
      reasons.push(reason('reauthentication_due', { from: aal, to: capped, ageSeconds }));
      aal = capped;
    }
  }

  const federation = evaluateFederation(input.federation);
  reasons.push(...federation.reasons);

  const eidas = eidasOf(ial, aal);
  reasons.push(reason(eidas === null ? 'eidas_none' : 'eidas_minimum', { ial, aal, eidas: eidas ?? 'none' }));

  const kinds = new Set(assessed.flatMap((a) => a.factors));
  const amr = new Set(assessed.flatMap((a) => a.amr));
  if (aal >= 2 && kinds.size >= 2) amr.add('mfa');

  const used = aal > 0 ? assessed : [];
  return {
    ial,
    aal,
    fal: federation.level,
    acr: aal === 0 ? null : acrFor(ial, aal),
    amr: [...amr].sort(),
    nist: { ial: nistIalOf(ial), aal: nistAalOf(aal), fal: nistFalOf(federation.level) },
    eidas,
    phishingResistant: used.some((a) => a.cryptographic && a.phishingResistant),
    hardwareProtected: used.some((a) => a.hardwareBound && a.phishingResistant),
    tableVersion: ASSURANCE_TABLE.version,
    reasons,
  };
}
