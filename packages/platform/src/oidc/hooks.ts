/**
 * Koa middleware around oidc-provider's own endpoints (routes.ts passes them as `outer`):
 *
 * - Audit (store/audit.ts; claim names only, never values): `oidc.disclosure` whenever the token
 *   or userinfo endpoint releases claims to an RP (rp, claim names, endpoint, time). A claim
 *   released inside `verified_claims` is recorded as `verified_claims.<name>` (e.g.
 *   `verified_claims.birthdate`).
 * - Logout: RP-initiated logout (`/oidc/session/end`) ends oidc-provider's session, sends
 *   back-channel logout tokens to the RPs of that session (OpenID Back-Channel Logout 1.0) and,
 *   when the resident confirms a full sign-out, ends the Watashi session as well.
 * - `response_mode=form_post`: the CSP of the self-submitting page allows the RP's origin.
 */
import { decodeJwt } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { PlatformDeps } from '../server/context.ts';
import { lookupSession, SESSION_COOKIE } from '../server/sessions.ts';
import { AuditWriter } from '../store/audit.ts';
import { isWatashiClaim } from './claims.ts';
import { cspAllowingFormRedirect, type OidcMiddleware } from './provider.ts';

/** `verified_claims.<name>` for every claim released inside `verified_claims` (object or array). */
function verifiedClaimNames(released: Record<string, unknown>): string[] {
  const vc = released['verified_claims'];
  const elements = Array.isArray(vc) ? vc : vc === undefined ? [] : [vc];
  const names = new Set<string>();
  for (const e of elements) {
    const claims = (e as { claims?: unknown } | null)?.claims;
    if (typeof claims === 'object' && claims !== null)
      for (const c of Object.keys(claims)) if (isWatashiClaim(c)) names.add(`verified_claims.${c}`);
  }
  return [...names];
}

/** Audits claims released by the token and userinfo endpoints (names only). */
export function disclosureAudit(deps: PlatformDeps): OidcMiddleware {
  const writer = new AuditWriter(deps.db);
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    const route = ctx.oidc?.route;
    if ((route !== 'token' && route !== 'userinfo') || ctx.status !== 200) return;
    const body = ctx.body as Record<string, unknown> | undefined;
    let released: Record<string, unknown> = {};
    if (route === 'userinfo' && body !== undefined) released = body;
    if (route === 'token' && typeof body?.['id_token'] === 'string') released = decodeJwt(body['id_token']);
    const claims = [...Object.keys(released).filter(isWatashiClaim), ...verifiedClaimNames(released)].sort();
    const clientId = ctx.oidc.client?.clientId;
    const accountId = ctx.oidc.account?.accountId;
    if (clientId === undefined || accountId === undefined) return;
    // The response waits for the record; concurrent disclosures share one commit (group commit).
    await writer.append({
      actor: `rp:${clientId}`,
      type: 'oidc.disclosure',
      accountId,
      at: deps.now(),
      payload: { clientId, endpoint: route, claims },
    });
  };
}

/**
 * RP-initiated logout ends the Watashi session too (OIDC RP-Initiated Logout 1.0 §2: the OP logs
 * the End-User out; Watashi's session is the OP session), after oidc-provider has ended its own
 * and sent the back-channel logout tokens.
 */
export function logoutPropagation(deps: PlatformDeps): OidcMiddleware {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    if (ctx.oidc?.route !== 'end_session_confirm' || ctx.status !== 303) return;
    if (ctx.oidc.params?.['logout'] === undefined) return;
    const token = ctx.cookies.get(SESSION_COOKIE, { signed: false });
    if (token === undefined || token === '') return;
    const s = await lookupSession(deps, token);
    if (s !== null)
      await deps.db
        .updateTable('sessions')
        .set({ revoked_at: deps.now() })
        .where('id', '=', s.id)
        .where('revoked_at', 'is', null)
        .execute();
    ctx.cookies.set(SESSION_COOKIE, null, { path: '/', signed: false, httpOnly: true, sameSite: 'lax' });
  };
}

/**
 * `response_mode=form_post` (OAuth 2.0 Form Post Response Mode): oidc-provider answers with a page
 * whose form posts the code to the RP's redirect URI. Under the server's `form-action 'self'`
 * the browser would refuse that submission, so the page also allows the origin of that one
 * redirect URI — only once oidc-provider has matched it against the client's registration.
 */
export function formPostCsp(): OidcMiddleware {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    const mode = ctx.oidc?.params?.['response_mode'];
    const redirectUri = ctx.oidc?.params?.['redirect_uri'];
    if (typeof mode !== 'string' || !mode.startsWith('form_post') || typeof redirectUri !== 'string') return;
    if (ctx.oidc.client?.redirectUriAllowed(redirectUri) !== true || !ctx.response.is('html')) return;
    const widened = cspAllowingFormRedirect(ctx.response.get('content-security-policy'), redirectUri);
    if (widened !== undefined) ctx.set('content-security-policy', widened);
  };
}
