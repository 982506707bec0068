/**
 * The consent step of an interaction (oidc-provider's `consent` prompt): a page naming the RP,
 * its stated purpose and the claims it would receive (what it asked for ∩ what it is registered
 * for); approve/deny is a form POST to `/oidc/interaction/:uid/consent` carrying a CSRF token
 * bound to the interaction and the Watashi session (HMAC under the key store), answered with 303.
 *
 * Audit (store/audit.ts; claim names only, never values): `oidc.consent.granted` /
 * `oidc.consent.denied`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { PlatformDeps, SessionContext } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { appendAudit } from '../store/audit.ts';
import { CLAIMS, isWatashiClaim, SCOPE_CLAIMS, type WatashiClaim } from './claims.ts';
import { recordConsent, type ConsentRecord } from './consents.ts';
import {
  allowFormRedirectTo,
  csrfToken,
  finish,
  interactionOf,
  interactionPath,
  sameToken,
  type Details,
} from './interaction.ts';
import {
  ALL_OPTION,
  consentChoices,
  releaseOf,
  rememberedConsent,
  type ConsentChoices,
} from './consent-view.ts';
import type { UiLocale } from './locales.ts';
import { listPersonas } from './personas.ts';
import { escapeHtml, registryOf } from './provider.ts';
import { isVerifiedClaim, requestedVerifiedClaims } from './verified-claims.ts';

/** The consent form's body. */
export const consentBody = z.strictObject({
  csrf: z.string().min(1).max(128),
  decision: z.enum(['approve', 'deny']),
  // An option of the consent screen (consent-view.ts): a persona id, '' for everything this
  // service asks for, 'previous' for the same as last time. Absent: the preselected option.
  persona: z.string().max(64).optional(),
});

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

function consentHtml(input: {
  uid: string;
  rpName: string;
  purpose: string;
  claims: readonly WatashiClaim[];
  choices: ConsentChoices;
  offline: boolean;
  verified: boolean;
  csrf: string;
}): string {
  const items =
    input.claims.length === 0
      ? '<li>仮名の識別子のみ（この事業者専用） / A pseudonymous identifier only (specific to this service)</li>'
      : input.claims
          .map((c) => `<li>${escapeHtml(CLAIMS[c].ja)} / ${escapeHtml(CLAIMS[c].en)}</li>`)
          .join('\n');
  const offline = input.offline
    ? '<p>あなたがいない間も、この事業者は情報を再取得できます。 / This service may fetch them again while you are away.</p>\n'
    : '';
  const verified = input.verified
    ? '<p id="verified">上記のうち氏名・生年月日・性別・住所は、マイナンバーカードの署名用電子証明書で確認済みであることと、その確認日時・証明書の有効性を最後に確かめた日時・保証レベルを添えて提供します。 / Of the above, name, date of birth, sex and address are sent as verified with your My Number Card signing certificate, with when they were verified, when the certificate was last checked, and the assurance level.</p>\n'
    : '';
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>情報の提供 / Share information</title>
</head>
<body>
<main>
<h1>${escapeHtml(input.rpName)}</h1>
<p>利用目的 / Purpose: ${escapeHtml(input.purpose)}</p>
<p>次の情報を提供します / The service will receive:</p>
<ul id="claims">
${items}
</ul>
${verified}${offline}<form method="post" action="${interactionPath(input.uid)}/consent">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
${personaChoice(input.choices)}
<button type="submit" name="decision" value="approve">同意する / Approve</button>
<button type="submit" name="decision" value="deny">同意しない / Deny</button>
</form>
</main>
</body>
</html>
`;
}

/**
 * The persona picker: one option per persona (requested ∩ registered ∩ persona), everything this
 * service asks for, and "the same as last time" when the remembered choice would now send more;
 * the preselected option never sends more than the resident's last consent to this RP.
 */
function personaChoice(choices: ConsentChoices): string {
  if (choices.options.length < 2) return '';
  const label = (o: ConsentChoices['options'][number]): string => {
    const sent =
      o.values.length === 0
        ? '仮名の識別子のみ / identifier only'
        : o.values.map((v) => CLAIMS[v.claim].ja).join('、');
    if (o.kind === 'all') return `求められた情報のみ / Only what this service asks for: ${sent}`;
    if (o.kind === 'previous') return `前回と同じ / Same as last time: ${sent}`;
    return `${o.name ?? ''}: ${sent}`;
  };
  const options = choices.options.map(
    (o) =>
      `<option value="${escapeHtml(o.id)}"${o.id === choices.selected ? ' selected' : ''}>${escapeHtml(label(o))}</option>`,
  );
  const news =
    choices.newClaims.length === 0
      ? ''
      : `<p id="new-claims">前回より多くの情報が求められています / This service now asks for more: ${choices.newClaims
          .map((c) => escapeHtml(CLAIMS[c].ja))
          .join('、')}</p>\n`;
  return `${news}<p><label>ペルソナ / Persona <select name="persona" id="persona">
${options.join('\n')}
</select></label></p>`;
}

/** What a consent would release: requested ∩ registered, in the catalogue's order. */
export function releasable(details: Details, client: Record<string, unknown>): WatashiClaim[] {
  const allowed = new Set(registryOf(client).allowedClaims);
  const requested = requestedClaims(details);
  return (Object.keys(CLAIMS) as WatashiClaim[]).filter((c) => requested.has(c) && allowed.has(c));
}

/** Answers the consent step with the consent page. */
export async function consentPage(
  deps: PlatformDeps,
  reply: FastifyReply,
  s: SessionContext,
  details: Details,
  client: Record<string, unknown>,
): Promise<FastifyReply> {
  const scope = typeof details.params['scope'] === 'string' ? details.params['scope'].split(' ') : [];
  const html = consentHtml({
    uid: details.uid,
    rpName: typeof client['client_name'] === 'string' ? client['client_name'] : String(client['client_id']),
    purpose: registryOf(client).purpose,
    claims: releasable(details, client),
    choices: await choicesOf(deps, s, details, client, 'ja'),
    offline: scope.includes('offline_access'),
    verified:
      requestedVerifiedClaims(details.params['claims']).asked &&
      releasable(details, client).some(isVerifiedClaim),
    csrf: await csrfToken(deps, details.uid, s.id),
  });
  return allowFormRedirectTo(reply, details.params['redirect_uri'])
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(html);
}

/** Handles the consent form's POST (approve or deny). */
export async function consentDecision(
  deps: PlatformDeps,
  p: Provider,
  req: FastifyRequest,
  reply: FastifyReply,
  uid: string,
): Promise<FastifyReply> {
  const parsed = consentBody.safeParse(req.body ?? {});
  if (!parsed.success) throw problem('request_invalid', 400, 'csrf and decision are required');
  const s = req.session;
  if (s === null) throw problem('session_required', 401, 'sign in first');
  if (!sameToken(parsed.data.csrf, await csrfToken(deps, uid, s.id)))
    throw problem('csrf_invalid', 403, 'the form is stale or was not issued to this session');
  const { details, client } = await interactionOf(p, req, reply, uid);
  if (details.prompt.name !== 'consent' || details.session?.accountId !== s.accountId)
    throw problem('oidc_interaction_not_found', 400, 'nothing to consent to here');
  const clientId = String(client['client_id']);
  if (parsed.data.decision === 'deny') {
    await deps.database.transaction(async (trx) => {
      await appendAudit(trx, {
        actor: `account:${s.accountId}`,
        type: 'oidc.consent.denied',
        accountId: s.accountId,
        at: deps.now(),
        payload: { clientId },
      });
    });
    return finish(
      p,
      req,
      reply,
      { error: 'access_denied', error_description: 'the resident declined' },
      false,
    );
  }
  const url = await grantConsent(deps, p, req, reply, s, details, client, parsed.data.persona);
  return reply.header('cache-control', 'no-store').redirect(url, 303);
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
