/**
 * The consent step of an interaction (oidc-provider's `consent` prompt): the wallet's consent page
 * (`/wallet/consent/<uid>`) shows the RP, its stated purpose and the choices (consent-view.ts) and
 * answers through the interaction API (interaction-api.ts) with a CSRF token bound to the
 * interaction and the Watashi session. What a consent releases: requested ∩ registered ∩ the
 * option chosen; it is recorded (consents.ts) and granted on oidc-provider's Grant here.
 *
 * Audit (store/audit.ts; claim names only, never values): `oidc.consent.granted` /
 * `oidc.consent.denied`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { PlatformDeps, SessionContext } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { appendAudit } from '../store/audit.ts';
import { CLAIMS, isWatashiClaim, SCOPE_CLAIMS, type WatashiClaim } from './claims.ts';
import { recordPairwiseSubject } from './ciba.ts';
import { recordConsent, type ConsentRecord } from './consents.ts';
import { WALLET_CONSENT_PATH, type Details } from './interaction.ts';
import {
  ALL_OPTION,
  consentChoices,
  releaseOf,
  rememberedConsent,
  type ConsentChoices,
} from './consent-view.ts';
import { pickUiLocale, type UiLocale } from './locales.ts';
import { listPersonas } from './personas.ts';
import { registryOf } from './provider.ts';
import { requestedVerifiedClaims } from './verified-claims.ts';

/** The claims a request asks for: its OIDC scopes' claims and the `claims` parameter's names. */
export function requestedClaims(details: Details): Set<WatashiClaim> {
  const out = new Set<WatashiClaim>();
  const scope = typeof details.params['scope'] === 'string' ? details.params['scope'] : '';
  for (const s of scope.split(' '))
    if (Object.hasOwn(SCOPE_CLAIMS, s))
      for (const c of SCOPE_CLAIMS[s as keyof typeof SCOPE_CLAIMS]) out.add(c);
  const raw = details.params['claims'];
  if (typeof raw === 'string') {
    try {
      const parsed = JSON.parse(raw) as Record<string, Record<string, unknown> | null | undefined>;
      for (const target of ['id_token', 'userinfo'])
        for (const c of Object.keys(parsed[target] ?? {})) if (isWatashiClaim(c)) out.add(c);
    } catch {
      // Refused by oidc-provider before any interaction; nothing requested.
    }
  }
  for (const c of requestedVerifiedClaims(raw).claims) out.add(c);
  return out;
}

/** What a consent would release: requested ∩ registered, in the catalogue's order. */
export function releasable(details: Details, client: Record<string, unknown>): WatashiClaim[] {
  const allowed = new Set(registryOf(client).allowedClaims);
  const requested = requestedClaims(details);
  return (Object.keys(CLAIMS) as WatashiClaim[]).filter((c) => requested.has(c) && allowed.has(c));
}

/**
 * Hands the consent step to the wallet's consent page, in the language the RP's `ui_locales`
 * picked (the page reads and answers the interaction through interaction-api.ts).
 */
export function toConsentPage(reply: FastifyReply, details: Details): FastifyReply {
  const lang = pickUiLocale(details.params['ui_locales']);
  const q = lang === undefined ? '' : `?${new URLSearchParams({ lang }).toString()}`;
  return reply
    .header('cache-control', 'no-store')
    .redirect(`${WALLET_CONSENT_PATH}/${encodeURIComponent(details.uid)}${q}`, 303);
}

/** The claim lists of an oidc-provider Grant (its `openid` and `rejected.openid` members). */
interface GrantClaims {
  openid?: { claims?: string[] };
  rejected?: { openid?: { claims?: string[] } };
}

/** Removes Watashi's claims from a grant's granted and rejected claims (both set again after). */
function forgetWatashiClaims(grant: GrantClaims): void {
  for (const holder of [grant.openid, grant.rejected?.openid])
    if (holder?.claims !== undefined) holder.claims = holder.claims.filter((c) => !isWatashiClaim(c));
}

/** The consent choices of an interaction for the signed-in resident. */
export async function choicesOf(
  deps: PlatformDeps,
  s: SessionContext,
  details: Details,
  client: Record<string, unknown>,
  locale: UiLocale,
  remembered?: ConsentRecord,
): Promise<ConsentChoices> {
  return consentChoices(deps, {
    accountId: s.accountId,
    requested: releasable(details, client),
    personas: await listPersonas(deps, s.accountId),
    remembered: remembered ?? (await rememberedConsent(deps, s.accountId, String(client['client_id']))),
    locale,
  });
}

/** Records a denial and finishes the interaction with `access_denied`; returns the resume URL. */
export async function denyConsent(
  deps: PlatformDeps,
  p: Provider,
  req: FastifyRequest,
  reply: FastifyReply,
  s: SessionContext,
  clientId: string,
): Promise<string> {
  await deps.database.transaction(async (trx) => {
    await appendAudit(trx, {
      actor: `account:${s.accountId}`,
      type: 'oidc.consent.denied',
      accountId: s.accountId,
      at: deps.now(),
      payload: { clientId },
    });
  });
  return p.interactionResult(
    req.raw,
    reply.raw,
    { error: 'access_denied', error_description: 'the resident declined' },
    { mergeWithLastSubmission: false },
  );
}

/**
 * Grants consent with option `optionId` of the consent screen (absent: the preselected one, which
 * never sends more than the last consent to this RP); returns oidc-provider's resume URL.
 * `persona_not_found` (400) when the option is not one of this resident's.
 */
export async function grantConsent(
  deps: PlatformDeps,
  p: Provider,
  req: FastifyRequest,
  reply: FastifyReply,
  s: SessionContext,
  details: Details,
  client: Record<string, unknown>,
  optionId: string | undefined,
): Promise<string> {
  const clientId = String(client['client_id']);
  const requested = releasable(details, client);
  const remembered = await rememberedConsent(deps, s.accountId, clientId);
  const personas = await listPersonas(deps, s.accountId);
  const chosen =
    optionId ??
    (remembered === undefined
      ? ALL_OPTION
      : (await choicesOf(deps, s, details, client, 'ja', remembered)).selected);
  const picked = releaseOf(chosen, requested, personas, remembered);
  if (picked === undefined) throw problem('persona_not_found', 400, 'no such persona');
  const release = picked.claims;
  const residence = picked.residence;
  const persona = picked.persona;
  const grant =
    (details.grantId === undefined ? undefined : await p.Grant.find(details.grantId)) ??
    new p.Grant({ accountId: s.accountId, clientId });
  const scopes = (typeof details.params['scope'] === 'string' ? details.params['scope'] : '')
    .split(' ')
    .filter((x) => x === 'openid' || x === 'offline_access' || Object.hasOwn(SCOPE_CLAIMS, x));
  grant.addOIDCScope(scopes.join(' '));
  // This consent replaces what the grant said about Watashi's claims before: a claim rejected by
  // an earlier, narrower choice would otherwise stay rejected (oidc-provider's Grant removes
  // rejected claims from the granted ones), so a wider choice made now would send less.
  forgetWatashiClaims(grant as unknown as GrantClaims);
  // Everything not released is rejected, so a scope's other claims never leak through it.
  grant.rejectOIDCClaims((Object.keys(CLAIMS) as WatashiClaim[]).filter((c) => !release.includes(c)));
  if (release.length > 0) grant.addOIDCClaims(release);
  // The verified_claims container (OIDC4IDA): its contents stay bounded by `release`
  // (provider.ts), so granting it alone adds no claim.
  if (requestedVerifiedClaims(details.params['claims']).asked) grant.addOIDCClaims(['verified_claims']);
  const grantId = await grant.save();
  await deps.database.transaction(async (trx) => {
    const at = deps.now();
    await recordConsent(trx, {
      accountId: s.accountId,
      clientId,
      grantId,
      persona,
      claims: release,
      residence,
      scopes,
      at,
    });
    // The RP may name this resident by its pairwise sub in a CIBA request (ciba.ts).
    await recordPairwiseSubject(deps, trx, registryOf(client).sector, s.accountId, at);
    // The persona by id only: its name is the resident's own words.
    await appendAudit(trx, {
      actor: `account:${s.accountId}`,
      type: 'oidc.consent.granted',
      accountId: s.accountId,
      at,
      payload: {
        clientId,
        claims: release,
        scopes,
        ...(persona === null ? {} : { personaId: persona.id }),
      },
    });
  });
  return p.interactionResult(req.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true });
}
