/**
 * The authentication context of a login (docs/architecture.md §3.2, §6): the account's identity-proofing
 * level now (its current signing-certificate anchor and its last known status), the
 * authenticator's own level from its recorded facts, combined by the assurance engine
 * (assurance/evaluate.ts) into the session's acr and amr. Levels are computed, never typed in.
 *
 * The federation facts are Watashi's OIDC code flow (`OIDC_CODE_FLOW`): a session's context is
 * what later ID tokens carry; the FAL does not enter the acr.
 */
import type { FastifyReply } from 'fastify';
import type { PlatformDeps } from '../server/context.ts';
import { startSession, type StartedSession } from '../server/sessions.ts';
import { statusCheckedAt } from '../lifecycle/coverage.ts';
import {
  evaluateAuthentication,
  evaluateIdentityProofing,
  OIDC_CODE_FLOW,
  type AccountProofingFacts,
  type AnchorCheckStatus,
  type AuthenticationContext,
  type AuthenticatorFacts,
} from '../assurance/evaluate.ts';

/** What the engine needs about the account's proofing, read from accounts + anchors. */
export async function accountProofingFacts(
  deps: PlatformDeps,
  accountId: string,
): Promise<AccountProofingFacts> {
  const account = await deps.db
    .selectFrom('accounts')
    .select(['status', 'proofed_at'])
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (account === undefined) return {};
  const anchor = await deps.db
    .selectFrom('anchors')
    .select(['status', 'revocation_reason', 'not_after'])
    .select(statusCheckedAt().as('status_checked_at'))
    .where('account_id', '=', accountId)
    .where('purpose', '=', 'sign')
    .where('superseded_by', 'is', null)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  const now = deps.now();
  const status: AnchorCheckStatus | undefined =
    anchor === undefined
      ? undefined
      : anchor.status === 'good' && anchor.not_after.getTime() <= now.getTime()
        ? 'expired'
        : anchor.status;
  return {
    ...(anchor === undefined || status === undefined
      ? {}
      : {
          anchor: {
            kind: 'jpki-sign' as const,
            status,
            lastCheckedAt: anchor.status_checked_at,
            ...(anchor.revocation_reason === null ? {} : { reason: anchor.revocation_reason }),
          },
        }),
    reproofingRequired: account.status === 'needs_reproofing',
    ...(account.proofed_at === null ? {} : { proofedAt: account.proofed_at }),
  };
}

/**
 * What the enrolment signature proves as an authentication: the card's signing key (hardware,
 * device-bound, activated by the signing PIN). Like card login it is not verifier-impersonation
 * resistant (the wallet, not the browser origin, decides what the card signs), so it is not
 * counted as phishing resistant.
 *
 * A session without an authenticator was started by an enrolment signature: enrolment/routes.ts is
 * the only place that starts one, and these facts are what it proved (oidc/assurance.ts).
 */
export const ENROLMENT_SIGNATURE_FACTS: AuthenticatorFacts = {
  type: 'card_auth',
  synced: false,
  attested: true,
  attestationTrusted: true,
  userVerified: true,
  keyProtection: 'hardware',
  phishingResistant: false,
  activation: 'pin',
};

/** The authentication context of a login with `facts` by `accountId` now. */
export async function loginContext(
  deps: PlatformDeps,
  accountId: string,
  facts: AuthenticatorFacts,
): Promise<AuthenticationContext> {
  const now = deps.now();
  const proofing = evaluateIdentityProofing(await accountProofingFacts(deps, accountId), now);
  return evaluateAuthentication(
    { proofing, authenticators: [facts], federation: OIDC_CODE_FLOW, authTime: now },
    now,
  );
}

/** Computes the context and starts the session (cookie `watashi_session`). */
export async function startLoginSession(
  deps: PlatformDeps,
  reply: FastifyReply,
  input: { accountId: string; authenticatorId: string; facts: AuthenticatorFacts },
): Promise<{ session: StartedSession; context: AuthenticationContext }> {
  const context = await loginContext(deps, input.accountId, input.facts);
  const session = await startSession(deps, reply, {
    accountId: input.accountId,
    authenticatorId: input.authenticatorId,
    acr: context.acr,
    amr: context.amr,
    authTime: deps.now(),
  });
  return { session, context };
}
