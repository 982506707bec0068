/**
 * The OpenID Provider's HTTP edge in the platform's Fastify app (issue 4).
 *
 * Mounting: every `/oidc/*` request not matched by a more specific route goes to oidc-provider's
 * Koa handler (`provider.callback()`) through `reply.hijack()` — docs/dependencies.md §5.1 — inside a
 * Fastify route, so the route guard still applies (`auth: 'public'`, rate-limit bucket). The body
 * is left unread for oidc-provider, which parses its own. The provider is built on first use,
 * because the issuer comes from `publicUrl`, which `listen()` may only set then.
 *
 * Interactions (oidc-provider's `interactions.url`): `GET /oidc/interaction/:uid`.
 * - login: when a Watashi session (cookie `watashi_session`) exists, its authentication context
 *   now (oidc/assurance.ts) is checked against the request's requirement with the assurance
 *   policy (`decide`): met → the login is finished with acr (chosen by `selectAcr`), amr and
 *   auth_time from the session; not met and impossible (unknown acr only, or the resident
 *   already authenticated during this interaction and still falls short) → the RP receives
 *   `unmet_authentication_requirements` (OpenID Connect Core errata / Unmet Authentication
 *   Requirements 1.0); otherwise (no session, `prompt=login`, `max_age` passed, or a step-up is
 *   possible) → 303 to the wallet login page:
 *
 *       /wallet/login?return_to=<path>[&acr_values=<space-separated>][&step_up=authentication|proofing][&prompt=login]
 *
 *   `return_to` is always a same-origin path `/oidc/interaction/<uid>`; the wallet signs the
 *   resident in (passkey, card…) and then navigates to it. The wallet must accept only paths
 *   under `/oidc/interaction/` there (no open redirect). `acr_values` lists what would satisfy
 *   the RP; `step_up=proofing` means the identity level is short (re-proof with the card).
 * - consent: a server-rendered page naming the RP, its stated purpose and the claims it would
 *   receive (what it asked for ∩ what it is registered for); approve/deny is a form POST to
 *   `/oidc/interaction/:uid/consent` carrying a CSRF token bound to the interaction and the
 *   Watashi session (HMAC under the key store), answered with 303.
 *
 * Logout: RP-initiated logout (`/oidc/session/end`) ends oidc-provider's session, sends back-channel
 * logout tokens to the RPs of that session (OpenID Back-Channel Logout 1.0) and, when the resident
 * confirms a full sign-out, ends the Watashi session as well.
 *
 * Audit (store/audit.ts; claim names only, never values): `oidc.consent.granted` /
 * `oidc.consent.denied` at the consent step, `oidc.disclosure` whenever the token or userinfo
 * endpoint releases claims to an RP (rp, claim names, endpoint, time). A claim released inside
 * `verified_claims` is recorded as `verified_claims.<name>` (e.g. `verified_claims.birthdate`).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { decodeJwt } from 'jose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { z } from 'zod';
import { decide, selectAcr } from '../assurance/policy.ts';
import type { PlatformDeps, SessionContext } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { lookupSession, SESSION_COOKIE } from '../server/sessions.ts';
import { appendAudit, AuditWriter } from '../store/audit.ts';
import { checkIdentityAnchor, requestedAcrValues, requirementOf, sessionContext } from './assurance.ts';
import { CLAIMS, isWatashiClaim, SCOPE_CLAIMS, type WatashiClaim } from './claims.ts';
import { recordConsent, registerConsentRoutes } from './consents.ts';
import { registerDisclosureRoutes } from './disclosures.ts';
import { isVerifiedClaim, requestedVerifiedClaims } from './verified-claims.ts';
import { findPersona, listPersonas, registerPersonaRoutes, type Persona } from './personas.ts';
import { activationSeconds, signingOrder } from '../keys/rotation.ts';
import {
  createOidcProvider,
  cspAllowingFormRedirect,
  escapeHtml,
  OIDC_PREFIX,
  registryOf,
} from './provider.ts';

/** Where residents sign in (the wallet's login page). */
export const WALLET_LOGIN_PATH = '/wallet/login';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The OpenID Provider mounted in an app. */
export interface MountedOidc {
  /** The provider (built on first call). */
  provider(): Promise<Provider>;
}

const uidParams = z.strictObject({ uid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
const consentBody = z.strictObject({
  csrf: z.string().min(1).max(128),
  decision: z.enum(['approve', 'deny']),
  // A persona id, or empty for the default "only what this service asks for".
  persona: z.string().max(64).optional(),
});

const interactionPath = (uid: string): string => `${OIDC_PREFIX}/interaction/${uid}`;

/** CSRF token of a consent form: HMAC over the interaction uid and the Watashi session id. */
async function csrfToken(deps: PlatformDeps, uid: string, sessionId: string): Promise<string> {
  const { mac } = await deps.keys.mac(
    'oidc-consent-csrf',
    new TextEncoder().encode(`${uid}\u0000${sessionId}`),
  );
  return Buffer.from(mac).toString('base64url');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The claims a request asks for: its OIDC scopes' claims and the `claims` parameter's names. */
function requestedClaims(details: Details): Set<WatashiClaim> {
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

function walletLogin(
  reply: FastifyReply,
  uid: string,
  options: { acrValues?: readonly string[]; stepUp?: 'authentication' | 'proofing'; prompt?: 'login' },
): FastifyReply {
  const q = new URLSearchParams({ return_to: interactionPath(uid) });
  if (options.acrValues !== undefined && options.acrValues.length > 0)
    q.set('acr_values', options.acrValues.join(' '));
  if (options.stepUp !== undefined) q.set('step_up', options.stepUp);
  if (options.prompt !== undefined) q.set('prompt', options.prompt);
  return reply.header('cache-control', 'no-store').redirect(`${WALLET_LOGIN_PATH}?${q.toString()}`, 303);
}

async function finish(
  provider: Provider,
  req: FastifyRequest,
  reply: FastifyReply,
  result: Parameters<Provider['interactionResult']>[2],
  merge: boolean,
): Promise<FastifyReply> {
  const url = await provider.interactionResult(req.raw, reply.raw, result, {
    mergeWithLastSubmission: merge,
  });
  return reply.header('cache-control', 'no-store').redirect(url, 303);
}

/** Marker saved on the interaction when the resident is sent to the wallet: which session fell short. */
const STEP_UP_MARK = 'watashi_wallet_login';

/** Records that this interaction sent the resident to sign in (with the session they had), then redirects. */
async function toWallet(
  provider: Provider,
  req: FastifyRequest,
  reply: FastifyReply,
  details: Details,
  options: { acrValues?: readonly string[]; stepUp?: 'authentication' | 'proofing'; prompt?: 'login' },
): Promise<FastifyReply> {
  await provider.interactionResult(
    req.raw,
    reply.raw,
    { [STEP_UP_MARK]: { sessionId: req.session?.id ?? null } },
    { mergeWithLastSubmission: false },
  );
  return walletLogin(reply, details.uid, options);
}

async function loginStep(
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
  const mark = (details.result as Record<string, { sessionId?: string | null } | undefined> | undefined)?.[
    STEP_UP_MARK
  ];
  const reauthenticated = mark !== undefined && mark.sessionId !== s.id;
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
function withPersona(claims: readonly WatashiClaim[], persona: Persona | undefined): WatashiClaim[] {
  if (persona === undefined) return [...claims];
  const held = new Set(persona.claims);
  return claims.filter((c) => held.has(c));
}

/** What a consent would release: requested ∩ registered, in the catalogue's order. */
function releasable(details: Details, client: Record<string, unknown>): WatashiClaim[] {
  const allowed = new Set(registryOf(client).allowedClaims);
  const requested = requestedClaims(details);
  return (Object.keys(CLAIMS) as WatashiClaim[]).filter((c) => requested.has(c) && allowed.has(c));
}

async function consentPage(
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

/**
 * CSP `form-action` also governs where a form submission is redirected (CSP 3 §6.4.1): the consent
 * POST ends, through oidc-provider's resume, in a 303 to the RP's redirect URI, which browsers
 * would block under `form-action 'self'`. The page therefore also allows that one origin — the
 * redirect URI oidc-provider already matched against the RP's registration.
 */
function allowFormRedirectTo(reply: FastifyReply, redirectUri: unknown): FastifyReply {
  const csp = reply.getHeader('content-security-policy');
  const widened = typeof csp === 'string' ? cspAllowingFormRedirect(csp, redirectUri) : undefined;
  return widened === undefined ? reply : reply.header('content-security-policy', widened);
}

async function interactionOf(
  provider: Provider,
  req: FastifyRequest,
  reply: FastifyReply,
  uid: string,
): Promise<{ details: Details; client: Record<string, unknown> }> {
  let details: Details;
  try {
    details = await provider.interactionDetails(req.raw, reply.raw);
  } catch {
    throw problem(
      'oidc_interaction_not_found',
      400,
      'this sign-in has expired; start again from the service',
    );
  }
  if (details.uid !== uid) throw problem('oidc_interaction_not_found', 400, 'interaction mismatch');
  const clientId = details.params['client_id'];
  const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
  if (client === undefined)
    throw problem('oidc_interaction_not_found', 400, 'the service is no longer registered');
  return { details, client: client.metadata() };
}

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
function disclosureAudit(deps: PlatformDeps) {
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
function logoutPropagation(deps: PlatformDeps) {
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
function formPostCsp() {
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

/** Registers the OpenID Provider (catch-all mount and interaction routes). */
export async function registerOidcRoutes(app: FastifyInstance, deps: PlatformDeps): Promise<MountedOidc> {
  // The provider and its Koa handler, rebuilt when the signing keys in the key store change: an
  // instance reads them again on the first request at least `keyStore.refreshSeconds` after it last
  // did (keys/rotation.ts), so a key added on a shared key directory by `watashi keys rotate` is
  // published by every instance answering requests within that time. State lives in the database
  // and in cookies signed under the store's MAC secret, so a request finishes on the provider it
  // began on and the next one may run on the new one.
  interface Built {
    readonly provider: Provider;
    readonly callback: ReturnType<Provider['callback']>;
    readonly kids: string;
  }
  const refreshMs = deps.config.keyStore.refreshSeconds * 1000;
  let current: Promise<Built> | undefined;
  let checkedAt = 0;
  const build = async (previous: Promise<Built> | undefined): Promise<Built> => {
    const stored = (await deps.keys.signingKeys?.('oidc')) ?? [];
    const keys = signingOrder(stored, deps.now(), activationSeconds(deps.config.keyStore.refreshSeconds));
    const kids = keys.map((k) => k.keyId).join(' ');
    const before = await previous?.catch(() => undefined);
    if (before !== undefined && before.kids === kids) return before;
    const p = await createOidcProvider(deps, {
      outer: [disclosureAudit(deps), logoutPropagation(deps), formPostCsp()],
      ...(stored.length === 0 ? {} : { keys }),
    });
    // oidc-provider answers its own failures with server_error; the operator sees why here.
    p.on('server_error', (_ctx: unknown, err: unknown) => app.log.error({ err }, 'oidc: server error'));
    if (before !== undefined) app.log.info({ kids }, 'oidc: signing keys changed, provider rebuilt');
    return { provider: p, callback: p.callback(), kids };
  };
  const built = (): Promise<Built> => {
    const t = performance.now();
    if (current !== undefined && t - checkedAt < refreshMs) return current;
    checkedAt = t;
    const next = build(current);
    current = next;
    next.catch(() => {
      // A failed build is retried by the next request.
      if (current === next) current = undefined;
    });
    return next;
  };
  const provider = async (): Promise<Provider> => (await built()).provider;

  // oidc-provider's own endpoints, body unread.
  await app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => {
      done(null);
    });
    scope.route({
      method: ['GET', 'POST', 'OPTIONS', 'DELETE', 'PUT'],
      url: `${OIDC_PREFIX}/*`,
      config: { auth: 'public', rateLimit: 'default' },
      handler: async (req, reply) => {
        const { callback: cb } = await built();
        const raw = req.raw as IncomingMessage & { originalUrl?: string };
        const url = raw.url ?? '/';
        // oidc-provider derives its mount path from originalUrl minus url (docs/dependencies.md §5.1).
        raw.originalUrl = url;
        raw.url = url.slice(OIDC_PREFIX.length) || '/';
        await reply.hijack();
        await new Promise<void>((resolve) => {
          reply.raw.once('finish', resolve);
          reply.raw.once('close', resolve);
          void cb(raw, reply.raw);
        });
      },
    });
    done();
  });

  // Interactions (forms are application/x-www-form-urlencoded).
  await app.register(async (scope) => {
    await scope.register(formbody);
    scope.get(
      `${OIDC_PREFIX}/interaction/:uid`,
      { config: { auth: 'public', rateLimit: 'authentication' } },
      async (req, reply) => {
        const { uid } = uidParams.parse(req.params);
        const p = await provider();
        const { details, client } = await interactionOf(p, req, reply, uid);
        if (details.prompt.name === 'login') return loginStep(deps, p, req, reply, details, client);
        if (details.prompt.name === 'consent') {
          const s = req.session;
          if (s === null || s.accountId !== details.session?.accountId)
            return toWallet(p, req, reply, details, { prompt: 'login' });
          return consentPage(deps, reply, s, details, client);
        }
        throw problem('oidc_interaction_unsupported', 400, `unsupported prompt ${details.prompt.name}`);
      },
    );

    scope.post(
      `${OIDC_PREFIX}/interaction/:uid/consent`,
      { config: { auth: 'session', rateLimit: 'authentication' } },
      async (req, reply) => {
        const { uid } = uidParams.parse(req.params);
        const parsed = consentBody.safeParse(req.body ?? {});
        if (!parsed.success) throw problem('request_invalid', 400, 'csrf and decision are required');
        const s = req.session;
        if (s === null) throw problem('session_required', 401, 'sign in first');
        if (!sameToken(parsed.data.csrf, await csrfToken(deps, uid, s.id)))
          throw problem('csrf_invalid', 403, 'the form is stale or was not issued to this session');
        const p = await provider();
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
        if (personaId !== '' && persona === undefined)
          throw problem('persona_not_found', 400, 'no such persona');
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
      },
    );
  });

  registerPersonaRoutes(app, deps);
  registerConsentRoutes(app, deps);
  registerDisclosureRoutes(app, deps);

  return { provider };
}
