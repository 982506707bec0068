/**
 * Watashi's OpenID Provider (docs/architecture.md §3.3 "PKI in, OIDC out"): panva's oidc-provider configured
 * for the platform. RPs see standard OpenID Connect; they never touch X.509.
 *
 * Profile:
 * - issuer `${publicUrl}/oidc`; discovery at `/oidc/.well-known/openid-configuration`, which also
 *   links the published assurance table (`watashi_assurance_table`, docs/architecture.md §6).
 * - authorization code flow only (`response_types: code`), PKCE required for every client with
 *   S256 only (RFC 7636 §4.2; oidc-provider 9 implements S256 only), PAR (RFC 9126), DPoP
 *   (RFC 9449), client authentication `private_key_jwt` (RFC 7523) or `client_secret_basic`,
 *   refresh tokens (scope `offline_access`) rotated at every use except for DPoP-bound RPs
 *   (FAPI 2.0 §5.3.2.1), revocation (RFC 7009),
 *   RP-initiated logout, back-channel logout, introspection (RFC 7662) for RPs registered as
 *   resource servers; dynamic registration and the development interactions off.
 * - pairwise `sub` for every RP (OIDC Core §8.1): HMAC-SHA-256 under the key store's `pairwise`
 *   secret over the RP's sector identifier and the account id. It is derived from the account id,
 *   never from a certificate or the basic 4 information, so it stays the same across card
 *   renewal, moves and re-proofing; the My Number appears nowhere. Operators must never rotate
 *   the `pairwise` secret: every RP would see new subjects.
 * - `acr_values_supported` is the assurance table's vocabulary; the login check below enforces
 *   requested and registered levels (plain `acr_values` included, which oidc-provider itself
 *   does not enforce — docs/performance.md §1.6).
 * - ID tokens are signed ES256 by keys held in the key store (`signingKeys('oidc')`, through
 *   oidc-provider's ExternalSigningKey, an experimental feature acknowledged by version below);
 *   the JWKS endpoint publishes their public halves only.
 * - claims come from the account's sealed basic 4 information (claims.ts), released only when
 *   the RP is registered for them and the resident consented (consent-step.ts).
 * - `verified_claims` (OpenID Connect for Identity Assurance 1.0; verified-claims.ts) through the
 *   `claims` parameter only: the same claims, narrowed the same way, stated as verified under the
 *   `jp_jpki` trust framework while the resident's JPKI anchor is good and current; never while
 *   it is revoked, on hold, expired, unknown or the account needs re-proofing (fail closed).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import Provider, {
  errors,
  ExternalSigningKey,
  interactionPolicy,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { WatashiError } from '@watashi/pki';
import { ASSURANCE_TABLE } from '../assurance/table.ts';
import { evaluateIdentityProofing } from '../assurance/evaluate.ts';
import { decide, selectAcr } from '../assurance/policy.ts';
import { accountProofingFacts } from '../authn/context.ts';
import { openBasic4 } from '../enrolment/seal-basic4.ts';
import type { SigningKey } from '../keys/key-store.ts';
import { activationSeconds, signingOrder } from '../keys/rotation.ts';
import type { PlatformDeps, SessionContext } from '../server/context.ts';
import { lookupSession, SESSION_COOKIE } from '../server/sessions.ts';

import { cacheFound, kyselyOidcAdapter, OidcModelStore } from './adapter.ts';
import { checkIdentityAnchor, requestedAcrValues, requirementOf, sessionContext } from './assurance.ts';
import { CLAIMS, claimsFromBasic4, isWatashiClaim, SCOPE_CLAIMS } from './claims.ts';
import { approvalClaim } from './approvals.ts';
import { APPROVAL_CLAIM, CIBA_DEFAULT_EXPIRY, cibaFeature, cibaProtocol, pairwiseRecorder } from './ciba.ts';
import { liveConsent } from './consents.ts';
import { pickUiLocale, UI_LOCALES, walletErrorUrl, type WalletErrorKind } from './locales.ts';
import { pairwiseSubject } from './pairwise.ts';
import { clientMetadata, REGISTRY_METADATA } from './registry.ts';
import { statusCheckedAt } from '../lifecycle/coverage.ts';
import {
  assertVerifiedClaimsRequest,
  buildVerifiedClaims,
  parseVerifiedClaimsRequest,
  VERIFIED_CLAIMS_METADATA,
  VerifiedClaimsRequestError,
  type VerificationRecord,
} from './verified-claims.ts';

/**
 * How long a running platform keeps a registry entry it loaded (oidc-provider asks for the client
 * on every request): a removed RP is refused everywhere within this time.
 */
export const CLIENT_CACHE_MS = 2000;
/** Error codes of the OpenID Provider's setup. */
export type OidcSetupErrorCode =
  /** The key store cannot sign (no `signingKeys` capability). */
  | 'oidc_signing_unavailable'
  /** No public URL to derive the issuer from. */
  | 'oidc_issuer_unknown';

/** Path prefix of every OpenID Provider endpoint. */
export const OIDC_PREFIX = '/oidc';

/** A key-store key as oidc-provider's ExternalSigningKey: it signs through the store. */
class StoreSigningKey extends ExternalSigningKey {
  readonly #key: SigningKey;
  readonly #public: KeyObject;

  constructor(key: SigningKey) {
    super();
    this.#key = key;
    this.#public = createPublicKey({ key: { ...key.publicJwk }, format: 'jwk' });
  }

  override get kid(): string {
    return this.#key.keyId;
  }

  override get alg(): string {
    return this.#key.alg;
  }

  override keyObject(): KeyObject {
    return this.#public;
  }

  override sign(data: Uint8Array): Promise<Uint8Array> {
    return this.#key.sign(data);
  }
}

/** The issuer of a platform: `${publicUrl}/oidc`. */
export function issuerOf(deps: Pick<PlatformDeps, 'config'>): string {
  const base = deps.config.publicUrl;
  if (base === undefined)
    throw new WatashiError('oidc_issuer_unknown', 'the OpenID Provider needs publicUrl');
  return `${base.replace(/\/+$/, '')}${OIDC_PREFIX}`;
}

/** The Watashi session a Koa context's cookie names, or null. */
async function watashiSessionOf(deps: PlatformDeps, ctx: KoaContextWithOIDC): Promise<SessionContext | null> {
  const token = ctx.cookies.get(SESSION_COOKIE, { signed: false });
  return token === undefined || token === '' ? null : lookupSession(deps, token);
}

/** The registry fields of a loaded client. */
export function registryOf(client: { readonly [k: string]: unknown } | undefined): {
  purpose: string;
  allowedClaims: string[];
  minAcr: string | undefined;
  sector: string;
  resourceServer: boolean;
} {
  const c = client ?? {};
  const allowed = c['watashi_allowed_claims'];
  return {
    purpose: typeof c['watashi_purpose'] === 'string' ? c['watashi_purpose'] : '',
    allowedClaims: Array.isArray(allowed) ? allowed.filter((x): x is string => typeof x === 'string') : [],
    minAcr: typeof c['watashi_min_acr'] === 'string' ? c['watashi_min_acr'] : undefined,
    sector: typeof c['watashi_sector_identifier'] === 'string' ? c['watashi_sector_identifier'] : '',
    resourceServer: c['watashi_resource_server'] === true,
  };
}

/**
 * Login check (added to oidc-provider's `login` prompt): the provider's own session is only a
 * cache of a Watashi session. It must name a live Watashi session of the same account from the
 * same sign-in (auth_time), whose context meets this request's requirement, with the acr the
 * request would get — computed after the sensitive-moment anchor check when the login releases
 * identity (`checkIdentityAnchor`); otherwise the login prompt runs again (login.ts decides: reuse,
 * step up, or refuse).
 */
function watashiSessionCheck(deps: PlatformDeps): interactionPolicy.Check {
  return new interactionPolicy.Check(
    'watashi_session',
    'the Watashi session does not satisfy this request',
    'login_required',
    async (ctx) => {
      const { oidc } = ctx;
      if (oidc.session === undefined || oidc.session.accountId === undefined) return true;
      const s = await watashiSessionOf(deps, ctx);
      if (s === null || s.accountId !== oidc.session.accountId) return true;
      if (oidc.session.loginTs !== Math.floor(s.authTime.getTime() / 1000)) return true;
      const requirement = requirementOf(
        registryOf(oidc.client).minAcr,
        requestedAcrValues(oidc.params ?? {}),
      );
      // The sensitive-moment check runs here too: with a provider session no interaction is shown,
      // and the stored anchor status would otherwise answer (a lost card kept IAL3 until the sweep).
      await checkIdentityAnchor(deps, s.accountId, requirement, oidc.params ?? {});
      const context = await sessionContext(deps, s);
      if (context.aal === 0) return true;
      if (!decide(requirement, context).satisfied) return true;
      return selectAcr(context, requirement.acrValues) !== oidc.session.acr;
    },
  );
}

/** Minimal HTML page (errors, logout) in the platform's style: no scripts, no external resources. */
function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${title}</title>\n</head>\n<body>\n<main>\n${body}\n</main>\n</body>\n</html>\n`;
}

/** HTML-escapes text for element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `fetch` without oidc-provider's special-use-address dispatcher (simulation mode only). */
function loopbackFetch(url: URL | string | Request, options?: RequestInit): Promise<Response> {
  const { dispatcher: _ssrfGuard, ...rest } = (options ?? {}) as RequestInit & { dispatcher?: unknown };
  return globalThis.fetch(url, rest);
}

/**
 * `csp` with `form-action` also allowing the origin of `redirectUri` (an http(s) URI oidc-provider
 * has matched against the RP's registration), or undefined when there is nothing to add. CSP 3
 * applies `form-action` to the redirects that follow a form submission, and the consent and logout
 * forms of the OP end in a 303 to the RP.
 */
export function cspAllowingFormRedirect(csp: string, redirectUri: unknown): string | undefined {
  if (typeof redirectUri !== 'string') return undefined;
  let origin: string;
  try {
    origin = new URL(redirectUri).origin;
  } catch {
    return undefined;
  }
  if (origin === 'null' || !csp.includes("form-action 'self'")) return undefined; // no origin (custom scheme)
  return csp.replace("form-action 'self'", `form-action 'self' ${origin}`);
}

/**
 * The resident's current verification as `verified_claims` states it to an RP of `sector`, or
 * undefined when none may be stated (fail closed): the account must be live, its current signing
 * anchor `good` and unexpired, and the assurance engine's identity level now 2 or 3. The anchor
 * reference and the certificate serial are sent pairwise — HMAC under the key store over the
 * sector and the anchor — so that two RPs cannot correlate the resident through them.
 */
export async function verificationRecordOf(
  deps: PlatformDeps,
  accountId: string,
  sector: string,
): Promise<VerificationRecord | undefined> {
  if (sector === '') return undefined;
  const now = deps.now();
  const account = await deps.db
    .selectFrom('accounts')
    .select(['status', 'proofed_at'])
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (account?.status !== 'live' || account.proofed_at === null) return undefined;
  const anchor = await deps.db
    .selectFrom('anchors')
    .select(['id', 'status', 'not_after', 'evidence', 'serial', 'issuer_key_hash'])
    .select(statusCheckedAt().as('status_checked_at'))
    .where('account_id', '=', accountId)
    .where('purpose', '=', 'sign')
    .where('superseded_by', 'is', null)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (anchor?.status !== 'good' || anchor.not_after.getTime() <= now.getTime()) return undefined;
  const { level } = evaluateIdentityProofing(await accountProofingFacts(deps, accountId), now);
  if (level !== 2 && level !== 3) return undefined;
  const pairwise = async (kind: string, ...parts: string[]): Promise<string> =>
    Buffer.from(
      (
        await deps.keys.mac(
          'ida-reference',
          new TextEncoder().encode([kind, sector, ...parts].join('\u0000')),
        )
      ).mac,
    ).toString('base64url');
  const signedAtRaw = (anchor.evidence as { signedAt?: unknown } | null)?.signedAt;
  const signedAt = typeof signedAtRaw === 'string' ? new Date(signedAtRaw) : undefined;
  return {
    level,
    verifiedAt: account.proofed_at,
    statusCheckedAt: anchor.status_checked_at,
    process: await pairwise('verification_process', anchor.id),
    serialNumber: await pairwise(
      'serial_number',
      Buffer.from(anchor.issuer_key_hash).toString('hex'),
      anchor.serial,
    ),
    ...(signedAt === undefined || Number.isNaN(signedAt.getTime()) ? {} : { signedAt }),
  };
}

/** An account id (accounts.id is a uuid). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Koa middleware run by the provider around its routes (`provider.use`). */
export type OidcMiddleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;

/** Clock skew allowed on a client assertion's `iat` (seconds). */
export const CLIENT_ASSERTION_SKEW_SECONDS = 30;
/** How far ahead a client assertion's `exp` may lie (seconds, plus the skew). */
export const CLIENT_ASSERTION_MAX_LIFETIME_SECONDS = 300;
/**
 * Algorithms accepted for `private_key_jwt` client assertions: no RS256 (PKCS#1 v1.5; FAPI 2.0
 * Security Profile §5.4.1 allows PS256, ES256 and EdDSA only).
 */
export const CLIENT_ASSERTION_ALGS = ['PS256', 'ES256', 'EdDSA'] as const;

/** The largest form body oidc-provider itself reads (its lib/shared/selective_body.js). */
const FORM_BODY_LIMIT = 56 * 1024;

/** Whether a parameter name or value (string or repeated) holds a NUL character. */
function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  return Array.isArray(value) && value.some(hasNul);
}

/** Reads a request body of at most `limit` bytes; undefined when it is larger. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, received);
}

/**
 * Refuses, with `invalid_request`, any OpenID Provider request whose query or form parameters
 * (names or values) hold a NUL character (%00), before oidc-provider sees it: the provider would
 * store such a `state`, `nonce`, `login_hint`… in an interaction or a pushed request, and
 * PostgreSQL's jsonb cannot hold U+0000 (its docs, §8.14 "JSON Types"), which made a 500. No
 * parameter of OAuth 2.0 or OpenID Connect can legitimately carry one (RFC 6749 Appendix A:
 * every value is a VSCHAR/NQCHAR/NQSCHAR string, %x20-7E or printable Unicode).
 *
 * A form body is read here (with oidc-provider's own size limit) and handed on as `req.body`,
 * which oidc-provider accepts from an upstream parser (it then warns once per process).
 */
export function rejectNulParameters(): OidcMiddleware {
  const refuse = (ctx: KoaContextWithOIDC, description: string): void => {
    ctx.status = 400;
    ctx.set('cache-control', 'no-store');
    // At the authorization endpoint the user agent is a browser and nothing is verified yet (not
    // even the redirect URI), so the error is a page, as oidc-provider's own renderError does.
    if (ctx.path === '/auth' || ctx.path.startsWith('/auth/')) {
      ctx.type = 'html';
      ctx.body = page(
        'エラー / Error',
        `<h1>エラー / Error</h1>\n<p><code>invalid_request</code></p>\n<p>${escapeHtml(description)}</p>`,
      );
      return;
    }
    ctx.body = { error: 'invalid_request', error_description: description };
  };
  return async (ctx, next) => {
    const query = ctx.query as Record<string, unknown>;
    if (Object.entries(query).some(([k, v]) => hasNul(k) || hasNul(v))) {
      refuse(ctx, 'parameters must not contain NUL characters');
      return;
    }
    if (ctx.method === 'POST' && typeof ctx.is('application/x-www-form-urlencoded') === 'string') {
      const raw = await readBody(ctx.req, FORM_BODY_LIMIT);
      if (raw === undefined) {
        refuse(ctx, 'failed to parse the request body');
        return;
      }
      let text: string;
      try {
        text = new TextDecoder(ctx.request.charset || 'utf-8').decode(raw);
      } catch {
        refuse(ctx, 'failed to parse the request body');
        return;
      }
      const form = parseQuery(text);
      if (Object.entries(form).some(([k, v]) => hasNul(k) || hasNul(v))) {
        refuse(ctx, 'parameters must not contain NUL characters');
        return;
      }
      (ctx.req as IncomingMessage & { body?: string }).body = text;
    }
    await next();
  };
}

/**
 * oidc-provider's endpoints whose CORS depends on the client (token, revocation, introspection,
 * PAR, userinfo), as paths under the issuer.
 */
const CLIENT_CORS_PATHS = new Set(['/token', '/token/revocation', '/token/introspection', '/request', '/me']);

/**
 * Removes oidc-provider's CORS preflight answer at the client-based endpoints: a preflight
 * carries no client credentials, so oidc-provider answers it for any origin and checks the
 * client only at the actual request (`clientBasedCORS`). Only a public client's browser code may
 * call these endpoints cross-origin, and the registry holds confidential clients only, so no
 * origin passes the preflight. (Were public clients ever registered, this would have to allow
 * the origins of their redirect URIs.)
 */
export function noClientCorsPreflight(): OidcMiddleware {
  return async (ctx, next) => {
    await next();
    if (ctx.method !== 'OPTIONS' || !CLIENT_CORS_PATHS.has(ctx.path)) return;
    for (const h of Object.keys(ctx.response.headers))
      if (h.toLowerCase().startsWith('access-control-')) ctx.remove(h);
  };
}

/**
 * Builds the provider (does not mount it). `outer` middleware runs around everything else, so it
 * sees a token response only once the tokens in it are stored (see {@link OidcModelStore}).
 */
export async function createOidcProvider(
  deps: PlatformDeps,
  options: {
    readonly outer?: readonly OidcMiddleware[];
    /**
     * The signing keys to publish, the one that signs first (keys/rotation.ts `signingOrder`).
     * Default: the key store's, in that order now.
     */
    readonly keys?: readonly SigningKey[];
  } = {},
): Promise<Provider> {
  const issuer = issuerOf(deps);
  if (deps.keys.signingKeys === undefined)
    throw new WatashiError('oidc_signing_unavailable', 'the key store cannot hold signing keys');
  // oidc-provider signs with the first key of the JWKS that fits the algorithm.
  const keys =
    options.keys ??
    signingOrder(
      await deps.keys.signingKeys('oidc'),
      deps.now(),
      activationSeconds(deps.config.keyStore.refreshSeconds),
    );
  // Cookie signing keys (oidc-provider signs its session and interaction cookies): derived from
  // the key store's MAC secret for this purpose, so they survive restarts and never sit in config.
  const cookieKey = Buffer.from(
    (await deps.keys.mac('oidc-cookies', new TextEncoder().encode('v1'))).mac,
  ).toString('base64url');

  const policy = interactionPolicy.base();
  policy.get('login')?.checks.add(watashiSessionCheck(deps));
  // The token endpoint's statements, batched across concurrent requests (adapter.ts).
  const store = new OidcModelStore(deps.db, deps.now);
  const recordSubject = pairwiseRecorder(deps);

  const configuration: Configuration = {
    adapter: kyselyOidcAdapter({
      db: deps.db,
      now: deps.now,
      store,
      findClient: cacheFound((id) => clientMetadata(deps, id), CLIENT_CACHE_MS),
    }),
    clients: [],
    // oidc-provider refuses outgoing requests to RP-supplied URLs (back-channel logout, jwks_uri;
    // it fetches no request_uri) to loopback and private addresses against SSRF. Its dispatcher
    // checks the address the socket actually connected to and destroys it before anything is sent,
    // so DNS rebinding does not get round it and production needs no pinning here (the events
    // deliverer, which uses no dispatcher, pins instead: lifecycle/events/pinned-post.ts). Should
    // it fail to build that dispatcher it only warns; lifecycle/events.test.ts asserts it holds.
    // In simulation the RPs and the simulator all run on this machine, so that check is lifted
    // there and only there.
    ...(deps.config.mode === 'simulation' ? { fetch: loopbackFetch } : {}),
    jwks: { keys: keys.map((k) => new StoreSigningKey(k)) },
    cookies: { keys: [cookieKey] },
    acrValues: ASSURANCE_TABLE.acrValues.map((r) => r.value),
    claims: {
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
      // Every ID token states how the resident authenticated (issue 4), asked for or not; an ID
      // token from a CIBA approval also carries its evidence (ciba.ts, docs/approvals.md).
      openid: ['sub', 'acr', 'amr', 'auth_time', APPROVAL_CLAIM],
      // OIDC4IDA §5.3: asked for through the claims parameter only (verified-claims.ts).
      verified_claims: null,
      ...Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]])),
    },
    scopes: ['openid', 'offline_access', ...Object.keys(SCOPE_CLAIMS)],
    responseTypes: ['code'],
    subjectTypes: ['pairwise'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'private_key_jwt',
      subject_type: 'pairwise',
    },
    clientAuthMethods: ['private_key_jwt', 'client_secret_basic'],
    // Also what discovery advertises as token_endpoint_auth_signing_alg_values_supported.
    enabledJWA: { clientAuthSigningAlgValues: [...CLIENT_ASSERTION_ALGS] },
    // Checked after the assertion's signature (oidc-provider verifies it first). An assertion
    // valid for long would keep its jti in replay detection as long (RFC 7523 §3 item 4 lets the
    // server bound exp); one issued in the future is a client clock error or a forgery attempt.
    assertJwtClientAuthClaimsAndHeader(_ctx, claims) {
      const now = Math.floor(deps.now().getTime() / 1000);
      if (typeof claims['iat'] === 'number' && claims['iat'] > now + CLIENT_ASSERTION_SKEW_SECONDS)
        throw new errors.InvalidClientAuth('client assertion iat is in the future');
      if (
        typeof claims['exp'] !== 'number' ||
        claims['exp'] > now + CLIENT_ASSERTION_MAX_LIFETIME_SECONDS + CLIENT_ASSERTION_SKEW_SECONDS
      )
        throw new errors.InvalidClientAuth(
          `client assertion exp is more than ${CLIENT_ASSERTION_MAX_LIFETIME_SECONDS} seconds ahead`,
        );
    },
    // OIDC Core §3.1.2.1: redirect_uri is REQUIRED, also from an RP with one registered URI
    // (oidc-provider fills it in by default), at the authorization and PAR endpoints alike.
    allowOmittingSingleRegisteredRedirectUri: false,
    // CORS at the client-authenticated endpoints (token, revocation, userinfo, PAR): only a public
    // client's browser code needs it, and only from the origin of one of its redirect URIs. The
    // registry holds confidential clients only, so no origin is allowed for them; a request with
    // an Origin header is refused (invalid_request) rather than answered for any page to read.
    clientBasedCORS(_ctx, origin, client) {
      if (client.clientAuthMethod !== 'none') return false;
      return (client.redirectUris ?? []).some((u) => URL.parse(u)?.origin === origin);
    },
    extraClientMetadata: { properties: [...REGISTRY_METADATA] },
    // The pairwise sector is the registry's (sectorIdentifier, pairwise.ts), never fetched from a
    // sector_identifier_uri (CIBA RPs carry a placeholder one: registry.ts).
    sectorIdentifierUriValidate: () => false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: {
        enabled: true,
        // OIDC4IDA §5.3–5.4: a malformed verified_claims request is refused with invalid_request.
        assertClaimsParameter(_ctx, claims) {
          try {
            assertVerifiedClaimsRequest(claims);
          } catch (e) {
            if (e instanceof VerifiedClaimsRequestError) throw new errors.InvalidRequest(e.message);
            throw e;
          }
        },
      },
      dPoP: { enabled: true },
      // RFC 9126 §5: the operator may require PAR of every RP (config oidcRequirePar); an RP
      // registered with `--require-par` has require_pushed_authorization_requests (§6).
      pushedAuthorizationRequests: {
        enabled: true,
        requirePushedAuthorizationRequests: deps.config.oidcRequirePar,
      },
      revocation: { enabled: true },
      // RFC 7662 token introspection, for resource servers to read an access token's acr,
      // auth_time and binding (cnf.jkt). §2.1: the caller must be authorised — only an RP
      // registered as a resource server (`--resource-server`) is, and only access tokens are
      // answered (a refresh token is none of a resource server's business); anyone else gets
      // `{ "active": false }` (§2.2). Chosen over RFC 9068 JWT access tokens: oidc-provider's
      // opaque tokens stay revocable at once (revocation, logout, RP removal all delete rows).
      introspection: {
        enabled: true,
        allowedPolicy: (_ctx, caller, token) =>
          registryOf(caller).resourceServer && token.kind === 'AccessToken',
      },
      registration: { enabled: false },
      resourceIndicators: { enabled: false },
      backchannelLogout: { enabled: true },
      // OpenID Connect CIBA (issue 19): poll and ping, for RPs registered with `--ciba`.
      ciba: cibaFeature(deps, { sectorOf: (client) => registryOf(client).sector, issuer }),
      userinfo: { enabled: true },
      externalSigningSupport: { enabled: true, ack: 'experimental-01' },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          // The confirmation is a form POST that ends in a 303 to the RP's post-logout URI.
          const widened = cspAllowingFormRedirect(
            ctx.response.get('content-security-policy'),
            ctx.oidc.params?.['post_logout_redirect_uri'],
          );
          if (widened !== undefined) ctx.set('content-security-policy', widened);
          ctx.type = 'html';
          ctx.body = page(
            'ログアウト / Sign out',
            `<h1>ログアウトしますか？ / Sign out?</h1>\n${form}\n<p><button form="op.logoutForm" name="logout" value="yes">ログアウト / Sign out</button> <button form="op.logoutForm">いいえ / No</button></p>`,
          );
        },
        postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = page('ログアウトしました / Signed out', '<h1>ログアウトしました / Signed out</h1>');
        },
      },
    },
    // OIDC Core §8.1: pairwise sub = HMAC(pairwise secret, sector ‖ 0x00 ‖ account id).
    async pairwiseIdentifier(ctx, accountId, client) {
      const sector = registryOf(client).sector;
      const sub = await pairwiseSubject(deps.keys, sector, accountId);
      // The RP is given this sub in an ID token or at userinfo: it may name the resident by it in
      // a CIBA request, also when the consent predates the pairwise_subjects table (ciba.ts).
      const route = (ctx as KoaContextWithOIDC | undefined)?.oidc?.route;
      if (route === 'token' || route === 'userinfo') await recordSubject(sector, sub, accountId);
      return sub;
    },
    async findAccount(ctx, sub) {
      // An account id is a UUID (a malformed sub must not fail the batch it would join).
      const account = UUID.test(sub) ? await store.account(sub) : undefined;
      // A closed or suspended private ID releases nothing, not even through a refresh token.
      if (account === undefined || account.status === 'closed' || account.status === 'suspended')
        return undefined;
      const client = ctx.oidc.client as unknown as Record<string, unknown> | undefined;
      const clientId = ctx.oidc.client?.clientId ?? '';
      const grantId = (ctx.oidc.entities as { Grant?: { jti?: string } } | undefined)?.Grant?.jti;
      // A token request of the CIBA grant: its ID token carries the approval evidence.
      const authReqId = (
        ctx.oidc.entities as { BackchannelAuthenticationRequest?: { jti?: string } } | undefined
      )?.BackchannelAuthenticationRequest?.jti;
      return {
        accountId: account.id,
        async claims(use, _scope, requested) {
          const allowed = new Set(registryOf(client).allowedClaims);
          const out: { sub: string; [claim: string]: unknown } = { sub: account.id };
          if (use === 'id_token' && authReqId !== undefined) {
            const approval = await approvalClaim(deps, authReqId, account.id, clientId);
            if (approval !== undefined) out[APPROVAL_CLAIM] = approval;
          }
          if (allowed.size === 0) return out;
          // The consent behind this grant (its persona's claims and resident_of granularity).
          const consent = await liveConsent(deps, account.id, clientId, grantId);
          // No live consent record, no claims (fail closed), whatever the grant still allows.
          if (consent === undefined) return out;
          const consented = new Set(consent.claims);
          const b4 = await openBasic4(deps, deps.db, account.id);
          if (b4 === undefined) return out;
          // Never beyond the registration or the consent, whatever the grant says (defence in depth).
          for (const [claim, value] of Object.entries(
            claimsFromBasic4(b4, deps.now(), consent?.residence ?? 'prefecture'),
          ))
            if (isWatashiClaim(claim) && allowed.has(claim) && consented.has(claim)) out[claim] = value;
          // Verified claims: the same values, only with a recorded consent (fail closed).
          const vcRequest = parseVerifiedClaimsRequest(
            (requested as { verified_claims?: unknown } | undefined)?.verified_claims,
          );
          if (vcRequest !== undefined) {
            const verified = buildVerifiedClaims(
              vcRequest,
              Object.fromEntries(Object.entries(out).filter(([c]) => isWatashiClaim(c) && consented.has(c))),
              await verificationRecordOf(deps, account.id, registryOf(client).sector),
              deps.now(),
            );
            if (verified !== undefined) out['verified_claims'] = verified;
          }
          return out;
        },
      };
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `${OIDC_PREFIX}/interaction/${interaction.uid}`,
    },
    // Refresh tokens rotate at every use, and a rotated one used again revokes the grant (a
    // replay) — except for RPs registered DPoP-bound (`--dpop`): FAPI 2.0 Security Profile
    // §5.3.2.1 has sender-constrained clients' refresh tokens not rotated, so that a client that
    // lost a token response may simply retry. Their refresh tokens are useless without the RP's
    // credentials and a DPoP proof on every token request (RFC 9449 §5), so rotation adds nothing.
    // What introspection states about an access token besides oidc-provider's own members: how
    // the resident authenticated for the grant (from the code or refresh token it was issued
    // with), stored with the token.
    extraTokenClaims(ctx, token) {
      if (token.kind !== 'AccessToken') return undefined;
      const entities = ctx.oidc.entities as {
        AuthorizationCode?: { acr?: string; authTime?: number };
        RefreshToken?: { acr?: string; authTime?: number };
      };
      const source = entities.AuthorizationCode ?? entities.RefreshToken;
      return { acr: source?.acr, auth_time: source?.authTime };
    },
    rotateRefreshToken: (ctx) => ctx.oidc.client?.dpopBoundAccessTokens !== true,
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      // CIBA §7.1 requested_expiry may shorten a request's life, never lengthen it.
      BackchannelAuthenticationRequest: (ctx) => {
        const asked = Number(ctx.oidc.params?.['requested_expiry']);
        return Number.isSafeInteger(asked) && asked > 0
          ? Math.min(asked, CIBA_DEFAULT_EXPIRY)
          : CIBA_DEFAULT_EXPIRY;
      },
      IdToken: 600,
      Interaction: 900,
      Grant: 14 * 86_400,
      RefreshToken: 14 * 86_400,
      Session: 14 * 86_400,
    },
    discovery: {
      watashi_assurance_table: `${issuer.slice(0, -OIDC_PREFIX.length)}/api/assurance/table`,
      claims_locales_supported: ['ja'],
      // OIDC Discovery §3: the languages of the wallet's sign-in, consent and error pages.
      ui_locales_supported: [...UI_LOCALES],
      ...VERIFIED_CLAIMS_METADATA,
    },
    // A browser-facing error (no redirect to the RP is allowed: unknown client, a redirect URI
    // that does not match, an expired interaction, a server error) goes to the wallet's error page
    // in the resident's language, with a way back (issue 17). JSON clients keep oidc-provider's
    // JSON errors, and errors that may be redirected to the RP stay standard OAuth redirects.
    renderError(ctx, out, error) {
      const code = String(out.error);
      const kind: WalletErrorKind =
        error instanceof errors.SessionNotFound
          ? 'expired'
          : code === 'invalid_client'
            ? 'unknown-service'
            : code === 'server_error' || ctx.status >= 500
              ? 'server'
              : 'bad-request';
      const params = (ctx.oidc as KoaContextWithOIDC['oidc'] | undefined)?.params;
      ctx.status = 303;
      ctx.set('cache-control', 'no-store');
      ctx.redirect(walletErrorUrl(kind, code, pickUiLocale(params?.['ui_locales'])));
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.proxy = deps.config.trustProxy;
  // Before anything else, so that nothing of such a request is read or stored.
  provider.use(rejectNulParameters());
  provider.use(noClientCorsPreflight());
  // CIBA's interval, slow_down and unauthorized_client, which oidc-provider does not give (ciba.ts).
  provider.use(cibaProtocol(deps));
  for (const m of options.outer ?? []) provider.use(m);
  // A POST may be a token request: the tokens it issues and the code or refresh token it used up
  // are written in one statement at its end (with those of concurrent requests). If that code or
  // refresh token was used up meanwhile by another request, the client gets invalid_grant (and
  // the grant is revoked, a replay); if the write fails, a server_error — never tokens that were
  // not stored.
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST') {
      await next();
      return;
    }
    try {
      await store.deferringSaves(next);
    } catch (e) {
      if (e instanceof errors.InvalidGrant) {
        provider.emit('grant.error', ctx, e);
        ctx.status = e.status;
        ctx.set('cache-control', 'no-store');
        ctx.body = { error: e.error, error_description: e.error_description };
        return;
      }
      if (!(e instanceof Error) || ctx.status !== 200) throw e;
      provider.emit('server_error', ctx, e);
      ctx.status = 500;
      ctx.set('cache-control', 'no-store');
      ctx.body = { error: 'server_error', error_description: 'the tokens could not be stored' };
    }
  });
  return provider;
}

export { CLAIMS };
