/**
 * Step-up, the one home of the rule (docs/architecture.md §6; RFC 9470): what a relying party's
 * request needs beyond the current sign-in, and which of the resident's ways would meet it. The
 * OpenID Provider sends a resident whose session falls short to the wallet's step-up page
 * (oidc/login.ts), which reads this through the interaction API (`GET /oidc/interaction/:uid/
 * details`, oidc/interaction-api.ts) — the only endpoint that answers it, so the page never offers
 * a way that would only fail at the RP (issue 17: a step-up the passkey could not reach said "sign
 * in again", and the RP then received `unmet_authentication_requirements`).
 *
 * Each live authenticator is assessed exactly as a login by it would be (authn/context.ts
 * `loginContext`: the account's identity level now, the authenticator's facts, a fresh
 * authentication time) against the request's requirement.
 */
import { acrRow, decide, type AssuranceRequirement } from '../assurance/policy.ts';
import { sessionContext } from '../oidc/assurance.ts';
import type { PlatformDeps, SessionContext } from '../server/context.ts';
import { loginContext } from './context.ts';
import { authenticatorFacts } from './passkeys.ts';

/** What a step-up needs and the resident's ways to it ({@link stepUpView}). */
export interface StepUpView {
  /** `authentication`: sign in again with one of `ways`; `proofing`: re-prove with the card first. */
  readonly reason: 'authentication' | 'proofing';
  /** The lowest level that meets the request. */
  readonly needed: { readonly ial: number; readonly aal: number };
  readonly ways: StepUpWay[];
  /** False when no way of this resident meets it (e.g. level 3 without a hardware key). */
  readonly possible: boolean;
}

/** A way the resident has to reach a level. */
export type StepUpWay = 'passkey' | 'hardware_key' | 'card' | 'card_reproof';

/**
 * What the signed-in session `s` lacks to meet `requirement`, and which of the resident's ways
 * reach it; null when the session already meets it.
 */
export async function stepUpView(
  deps: PlatformDeps,
  s: SessionContext,
  requirement: AssuranceRequirement,
): Promise<StepUpView | null> {
  const decision = decide(requirement, await sessionContext(deps, s));
  if (decision.satisfied) return null;
  const rows = (requirement.acrValues ?? []).map(acrRow).filter((r) => r !== undefined);
  const lowest = rows.sort((a, b) => a.ial + a.aal - (b.ial + b.aal))[0];
  const needed = {
    ial: Math.max(requirement.minIal ?? 0, lowest?.ial ?? 0),
    aal: Math.max(requirement.minAal ?? 0, lowest?.aal ?? 0),
  };
  if (decision.stepUp === 'impossible')
    return { reason: 'authentication', needed, ways: [], possible: false };
  if (decision.stepUp === 'proofing')
    return { reason: 'proofing', needed, ways: ['card_reproof'], possible: true };
  const rowsOfAccount = await deps.db
    .selectFrom('authenticators')
    .selectAll()
    .where('account_id', '=', s.accountId)
    .where('revoked_at', 'is', null)
    .execute();
  const ways = new Set<StepUpWay>();
  for (const row of rowsOfAccount) {
    const ctx = await loginContext(deps, s.accountId, authenticatorFacts(row, row.user_verified));
    if (!decide(requirement, ctx).satisfied) continue;
    if (row.type === 'card_auth') ways.add('card');
    else if (ctx.aal >= 3) ways.add('hardware_key');
    else ways.add('passkey');
  }
  const order: StepUpWay[] = ['passkey', 'hardware_key', 'card'];
  const found = order.filter((w) => ways.has(w));
  return { reason: 'authentication', needed, ways: found, possible: found.length > 0 };
}
