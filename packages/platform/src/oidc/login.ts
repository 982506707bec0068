/**
 * The login step of an interaction (oidc-provider's `login` prompt): when a Watashi session
 * (cookie `watashi_session`) exists, its authentication context now (oidc/assurance.ts) is
 * checked against the request's requirement with the assurance policy (`decide`): met → the
 * login is finished with acr (chosen by `selectAcr`), amr and auth_time from the session; not met
 * and impossible (unknown acr only, or the resident already authenticated during this interaction
 * and still falls short) → the RP receives `unmet_authentication_requirements` (OpenID Connect
 * Core errata / Unmet Authentication Requirements 1.0); otherwise (no session, `prompt=login`,
 * `max_age` passed, or a step-up is possible) → 303 to the wallet's sign-in page
 * (interaction.ts `toWallet`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { decide, selectAcr } from '../assurance/policy.ts';
import type { PlatformDeps } from '../server/context.ts';
import { checkIdentityAnchor, requestedAcrValues, requirementOf, sessionContext } from './assurance.ts';
import { finish, STEP_UP_MARK, toWallet, type Details } from './interaction.ts';
import { registryOf } from './provider.ts';

/** Whether this interaction sent the resident to sign in and they have a different session since. */
export function reauthenticatedSince(details: Details, sessionId: string): boolean {
  const mark = (details.result as Record<string, { sessionId?: string | null } | undefined> | undefined)?.[
    STEP_UP_MARK
  ];
  return mark !== undefined && mark.sessionId !== sessionId;
}

/** Runs the login step of an interaction (see the module comment). */
export async function loginStep(
  deps: PlatformDeps,
  provider: Provider,
  req: FastifyRequest,
  reply: FastifyReply,
  details: Details,
  client: Record<string, unknown>,
): Promise<FastifyReply> {
  const requirement = requirementOf(registryOf(client).minAcr, requestedAcrValues(details.params));
  const s = req.session;
  if (s === null) return toWallet(provider, req, reply, details, { ...requirement });
  // Signed in anew since this interaction sent the resident to the wallet: the session is a
  // fresh authentication (prompt=login, max_age), and a shortfall now is final.
  const reauthenticated = reauthenticatedSince(details, s.id);
  const authSeconds = Math.floor(s.authTime.getTime() / 1000);
  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  const prompt = details.params['prompt'];
  const prompts = typeof prompt === 'string' ? prompt.split(' ') : [];
  if (prompts.includes('login') && !reauthenticated)
    return toWallet(provider, req, reply, details, { ...requirement, prompt: 'login' });
  const maxAge = Number(details.params['max_age']);
  if (Number.isFinite(maxAge) && nowSeconds - authSeconds > maxAge && !reauthenticated)
    return toWallet(provider, req, reply, details, { ...requirement, prompt: 'login' });
  // A login that releases identity (an IAL above 1 or verified_claims) checks the anchor by OCSP
  // now (docs/architecture.md §3.4, oidc/assurance.ts checkIdentityAnchor; reused while fresh, billed to this
  // RP in the fee ledger). A revoked or held answer applies the sweep's effects before the context
  // is computed, so the level the RP gets reflects it: a step-up to re-proofing, or a refusal.
  await checkIdentityAnchor(deps, s.accountId, requirement, details.params);
  const context = await sessionContext(deps, s);
  if (context.aal === 0 && !reauthenticated)
    return toWallet(provider, req, reply, details, { ...requirement });
  const decision = decide(requirement, context);
  if (decision.satisfied && context.aal > 0)
    return finish(
      provider,
      req,
      reply,
      {
        login: {
          accountId: s.accountId,
          acr: selectAcr(context, requirement.acrValues) ?? undefined,
          amr: [...context.amr],
          ts: authSeconds,
          remember: false,
        },
      },
      false,
    );
  if (decision.satisfied || decision.stepUp === 'impossible' || reauthenticated)
    return finish(
      provider,
      req,
      reply,
      {
        error: 'unmet_authentication_requirements',
        error_description: 'the requested authentication level cannot be met',
      },
      false,
    );
  return toWallet(provider, req, reply, details, { ...requirement, stepUp: decision.stepUp });
}
