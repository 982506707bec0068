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
import { recordConsent } from './consents.ts';
import {
  allowFormRedirectTo,
  csrfToken,
  finish,
  interactionOf,
  interactionPath,
  sameToken,
  type Details,
} from './interaction.ts';
import { findPersona, listPersonas, type Persona } from './personas.ts';
import { escapeHtml, registryOf } from './provider.ts';
import { isVerifiedClaim, requestedVerifiedClaims } from './verified-claims.ts';

/** The consent form's body. */
export const consentBody = z.strictObject({
  csrf: z.string().min(1).max(128),
  decision: z.enum(['approve', 'deny']),
  // A persona id, or empty for the default "only what this service asks for".
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
  personas: readonly Persona[];
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
${personaChoice(input.claims, input.personas)}
<button type="submit" name="decision" value="approve">同意する / Approve</button>
<button type="submit" name="decision" value="deny">同意しない / Deny</button>
</form>
</main>
</body>
</html>
`;
}

/**
 * The persona picker: the default releases what is listed above; a persona releases only the
 * listed claims it also holds (requested ∩ registered ∩ persona), shown per persona.
 */
function personaChoice(claims: readonly WatashiClaim[], personas: readonly Persona[]): string {
  if (personas.length === 0) return '';
  const label = (cs: readonly WatashiClaim[]): string =>
    cs.length === 0 ? '仮名の識別子のみ / identifier only' : cs.map((c) => CLAIMS[c].ja).join('、');
  const options = personas.map((p) => {
    const released = withPersona(claims, p);
    return `<option value="${escapeHtml(p.id)}">${escapeHtml(p.name)}: ${escapeHtml(label(released))}</option>`;
  });
  return `<p><label>ペルソナ / Persona <select name="persona" id="persona">
<option value="" selected>求められた情報のみ / Only what this service asks for</option>
${options.join('\n')}
</select></label></p>`;
}

/** requested ∩ registered (`claims`) narrowed to a persona's claims. */
export function withPersona(claims: readonly WatashiClaim[], persona: Persona | undefined): WatashiClaim[] {
  if (persona === undefined) return [...claims];
  const held = new Set(persona.claims);
  return claims.filter((c) => held.has(c));
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
    personas: await listPersonas(deps, s.accountId),
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
  const personaId = parsed.data.persona ?? '';
  const persona = personaId === '' ? undefined : await findPersona(deps, s.accountId, personaId);
  if (personaId !== '' && persona === undefined) throw problem('persona_not_found', 400, 'no such persona');
  const release = withPersona(releasable(details, client), persona);
  const residence = persona?.residence ?? 'prefecture';
  const grant =
    (details.grantId === undefined ? undefined : await p.Grant.find(details.grantId)) ??
    new p.Grant({ accountId: s.accountId, clientId });
  const scopes = (typeof details.params['scope'] === 'string' ? details.params['scope'] : '')
    .split(' ')
    .filter((x) => x === 'openid' || x === 'offline_access' || Object.hasOwn(SCOPE_CLAIMS, x));
  grant.addOIDCScope(scopes.join(' '));
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
      persona: persona === undefined ? null : { id: persona.id, name: persona.name },
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
        ...(persona === undefined ? {} : { personaId: persona.id }),
      },
    });
  });
  return finish(p, req, reply, { consent: { grantId } }, true);
}
