/**
 * Step-up: which of the resident's ways to sign in (or to re-prove) would meet what a relying party
 * asked for (docs/architecture.md §6; RFC 9470). The OpenID Provider sends a resident whose
 * session falls short to the wallet with `acr_values` and `step_up=authentication|proofing`
 * (oidc/routes.ts); the wallet's step-up screen asks this module what to offer, so that it never
 * offers a way that would only fail at the RP (issue 17: a step-up the passkey could not reach said
 * "sign in again", and the RP then received `unmet_authentication_requirements`).
 *
 * Each way is evaluated with the assurance engine exactly as a login by it would be
 * (authn/context.ts `loginContext`): the account's identity level now, the authenticator's facts,
 * a fresh authentication time. The ways:
 * - `passkey` / `device_cert`: one per live authenticator of that type;
 * - `card`: the card's user-authentication certificate, when one is bound to the account;
 * - `reproof`: signing a re-proofing document with the card's signing certificate — the identity
 *   level of a fresh, good signing anchor, with the current session's authentication kept (the
 *   re-proofing route keeps the session, enrolment/routes.ts).
 */
import type { Selectable } from 'kysely';
import {
  evaluateAuthentication,
  evaluateIdentityProofing,
  OIDC_CODE_FLOW,
  type AuthenticatorFacts,
} from '../assurance/evaluate.ts';
import { decide, type AssuranceRequirement, type MissingAssurance } from '../assurance/policy.ts';
import { requirementOf } from '../oidc/assurance.ts';
import type { PlatformDeps, SessionContext } from '../server/context.ts';
import type { AuthenticatorsTable } from '../store/schema.ts';
import { accountProofingFacts, ENROLMENT_SIGNATURE_FACTS } from './context.ts';
import { authenticatorFacts } from './passkeys.ts';

/** One way the wallet can offer. */
export interface StepUpWay {
  readonly method: 'passkey' | 'device_cert' | 'card' | 'reproof';
  /** The authenticator it uses (passkey, device certificate, bound card); absent for `reproof`. */
  readonly authenticatorId?: string;
  readonly label?: string | null;
  /** Doing it now would meet the requirement. */
  readonly meets: boolean;
}

/** What the step-up screen needs. */
export interface StepUpOptions {
  /** The current session already meets the requirement. */
  readonly satisfied: boolean;
  /** What the current session lacks (levels, or acr values none of which is met). */
  readonly missing: MissingAssurance;
  /**
   * `authentication`: sign in again with a way that meets; `proofing`: re-prove with the card
   * first; `impossible`: no way meets (e.g. AAL3 without a hardware key): the wallet says so
   * plainly and the RP is told; `none`: already satisfied.
   */
  readonly stepUp: 'authentication' | 'proofing' | 'impossible' | 'none';
  readonly ways: readonly StepUpWay[];
}

function meetsWith(
  requirement: AssuranceRequirement,
  proofing: ReturnType<typeof evaluateIdentityProofing>,
  facts: readonly AuthenticatorFacts[],
  authTime: Date,
  now: Date,
): boolean {
  const context = evaluateAuthentication(
    { proofing, authenticators: facts, federation: OIDC_CODE_FLOW, authTime },
    now,
  );
  return context.aal > 0 && decide(requirement, context).satisfied;
}

/**
 * The ways for the signed-in `session` to meet `acrValues` (the `acr_values` the OP handed to the
 * wallet; an RP's registered minimum is already folded in there, oidc/routes.ts).
 */
export async function stepUpOptions(
  deps: PlatformDeps,
  session: SessionContext,
  acrValues: readonly string[],
): Promise<StepUpOptions> {
  const now = deps.now();
  const requirement = requirementOf(undefined, acrValues);
  const proofing = evaluateIdentityProofing(await accountProofingFacts(deps, session.accountId), now);
  const rows: Selectable<AuthenticatorsTable>[] = await deps.db
    .selectFrom('authenticators')
    .selectAll()
    .where('account_id', '=', session.accountId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .execute();
  const sessionRow = rows.find((r) => r.id === session.authenticatorId);
  // The current session's facts, as oidc/assurance.ts sessionContext computes them.
  const current: AuthenticatorFacts[] =
    sessionRow !== undefined
      ? [authenticatorFacts(sessionRow, sessionRow.user_verified)]
      : session.authenticatorId === null
        ? [ENROLMENT_SIGNATURE_FACTS]
        : [];
  const context = evaluateAuthentication(
    { proofing, authenticators: current, federation: OIDC_CODE_FLOW, authTime: session.authTime },
    now,
  );
  const decision = decide(requirement, context);
  const ways: StepUpWay[] = rows.map((r) => ({
    method: r.type === 'card_auth' ? 'card' : r.type === 'device_cert' ? 'device_cert' : 'passkey',
    authenticatorId: r.id,
    label: r.label,
    meets: meetsWith(requirement, proofing, [authenticatorFacts(r, r.user_verified)], now, now),
  }));
  // Re-proving: a fresh, good signing anchor; the session (and its authentication) is kept.
  const reproofed = evaluateIdentityProofing(
    { anchor: { kind: 'jpki-sign', status: 'good', lastCheckedAt: now }, proofedAt: now },
    now,
  );
  ways.push({
    method: 'reproof',
    meets: meetsWith(requirement, reproofed, current, session.authTime, now),
  });
  const satisfied = decision.satisfied && context.aal > 0;
  return {
    satisfied,
    missing: decision.satisfied ? {} : decision.missing,
    stepUp: satisfied
      ? 'none'
      : ways.some((w) => w.meets)
        ? ways.some((w) => w.meets && w.method !== 'reproof')
          ? 'authentication'
          : 'proofing'
        : 'impossible',
    ways,
  };
}
