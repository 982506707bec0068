/**
 * A small relying party for Watashi, on node:http and openid-client (no framework): copy it as a
 * starting point. Routes:
 *
 * - `GET /` — home: "log in", "log in at a higher level" (step-up with `acr_values`), or the
 *   signed-in resident and "log out".
 * - `GET /login[?step_up=1]` — starts an authorization code request with PKCE S256, state and nonce
 *   (OIDC Core §3.1.2.1, RFC 7636) and redirects to the OP.
 * - `GET <redirect URI path>` — the callback: exchanges the code (client_secret_basic), validates
 *   the ID token (openid-client checks iss, aud, exp, nonce, signature), reads userinfo.
 * - `GET /me` — the ID token's acr / amr / auth_time and the claims received from userinfo.
 * - `POST /logout` — forgets the local session and sends the browser to the OP's end-session
 *   endpoint (OpenID Connect RP-Initiated Logout 1.0 §2) with `id_token_hint`.
 *
 * Content-Security-Policy: `form-action` names this origin and the OP's. CSP Level 3 §6.4.2 applies
 * `form-action` to every redirect that follows a form submission, so the 303 from `POST /logout` to
 * the OP's end-session endpoint is blocked by Chromium under `form-action 'self'` alone (the browser
 * stays on a blank page and the resident is still signed in at the OP).
 *
 * Sessions live in memory (a Map keyed by a random cookie): enough for an example, not for a
 * deployment with several processes.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as oidc from 'openid-client';
import type { RpConfig } from './config.ts';

/** The example's cookie; named apart from the OP's cookies, which share the host `localhost`. */
export const SESSION_COOKIE = 'example_rp_session';

/** A login in progress: what the callback must check (OIDC Core §3.1.2.1, RFC 7636 §4). */
interface PendingLogin {
  readonly codeVerifier: string;
  readonly state: string;
  readonly nonce: string;
  readonly acrValues: string | undefined;
  readonly startedAt: number;
}

/** A signed-in resident as this RP knows them. */
interface SignedIn {
  readonly idToken: string;
  readonly idTokenClaims: oidc.IDToken;
  readonly userinfo: oidc.UserInfoResponse;
  readonly requestedAcr: string | undefined;
}

interface Session {
  pending?: PendingLogin;
  user?: SignedIn;
}

/** A pending login older than this is forgotten (the OP's interaction lasts 15 minutes). */
const PENDING_TTL_MS = 15 * 60_000;

/** The running example. */
export interface RelyingPartyServer {
  readonly server: Server;
  /** The URL it listens on (`http://host:port`). */
  readonly url: string;
  close(): Promise<void>;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * A page with landmarks (banner with the site name and navigation, main): screen readers and
 * keyboard users jump between them (WCAG 2.2 SC 1.3.1, 2.4.1).
 */
const page = (title: string, body: string, nav = ''): string =>
  `<!doctype html>
<html lang="ja">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;font-size:1rem;line-height:1.6;max-width:44rem;margin:0 auto;padding:0 1rem}header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;border-bottom:1px solid #ccc;padding:.75rem 0}header p{margin:0}nav ul{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;margin:0;padding:0}a,button{display:inline-flex;align-items:center;min-height:44px;font-size:1rem}button{padding:0 1rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;border-bottom:1px solid #ddd;padding:.5rem .25rem;overflow-wrap:anywhere}th{width:40%}code{overflow-wrap:anywhere}details pre{background:#f4f4f4;padding:.5rem;overflow:auto}form{display:inline}</style></head>
<body>
<header>
<p><a href="/">Example RP</a> — a sample relying party for Watashi</p>
<nav aria-label="Example RP"><ul>${nav}</ul></nav>
</header>
<main>
${body}
</main>
</body>
</html>
`;

/** The navigation of a signed-in page: the claims page and log out (a POST, see `logout`). */
const signedInNav =
  '<li><a href="/me">受け取った情報 / Claims</a></li><li><form method="post" action="/logout"><button>ログアウト / Log out</button></form></li>';

/** A claim value in words: strings as they are, booleans as yes/no, objects one member per row. */
function claimValue(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'はい / yes' : 'いいえ / no';
  if (typeof v === 'string' || typeof v === 'number') return escapeHtml(String(v));
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.map(claimValue).join(', ');
  if (typeof v === 'object')
    return `<table><tbody>${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${claimValue(x)}</td></tr>`)
      .join('')}</tbody></table>`;
  return escapeHtml(JSON.stringify(v));
}

/** Claims as a table, claim → value (each value cell's id is `<id>-<claim>`, for tests and scripts). */
const claimsTable = (id: string, caption: string, claims: Record<string, unknown>): string =>
  Object.keys(claims).length === 0
    ? `<p id="${id}">(none)</p>`
    : `<table id="${id}"><caption>${escapeHtml(caption)}</caption><thead><tr><th scope="col">claim</th><th scope="col">value</th></tr></thead><tbody>
${Object.entries(claims)
  .map(
    ([k, v]) =>
      `<tr><th scope="row"><code>${escapeHtml(k)}</code></th><td id="${id}-${escapeHtml(k)}">${claimValue(v)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`;

/** The ID token's acr (OIDC Core §2), a string when present. */
const acrOf = (c: oidc.IDToken): string => (typeof c.acr === 'string' ? c.acr : '-');

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The pages' Content-Security-Policy. `form-action` must also allow the OP's origin: the logout
 * form posts here and is answered with a 303 to the OP's end-session endpoint, and CSP Level 3
 * §6.4.2 checks every redirect of a form submission against `form-action`.
 */
export function contentSecurityPolicy(opOrigin: string): string {
  return `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${opOrigin}; frame-ancestors 'none'; base-uri 'none'`;
}

function send(res: ServerResponse, status: number, html: string, csp: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': csp,
  });
  res.end(html);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store' });
  res.end();
}

/** Discovers the OP and starts the example RP; resolves once it listens. */
export async function startRelyingParty(config: RpConfig): Promise<RelyingPartyServer> {
  // openid-client refuses plain http; config.ts only lets it through for a loopback issuer.
  const insecure = config.issuer.protocol === 'http:';
  if (insecure)
    process.emitWarning(
      `example RP: plain http to ${config.issuer.origin} (development only; use https in production)`,
    );
  const op = await oidc.discovery(
    config.issuer,
    config.clientId,
    // Watashi signs ID tokens with ES256 only (its discovery document says so).
    { id_token_signed_response_alg: 'ES256' },
    oidc.ClientSecretBasic(config.clientSecret),
    insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );
  // The end-session endpoint's origin (normally the issuer's): where the logout form's redirect goes.
  const endSession = op.serverMetadata().end_session_endpoint ?? config.issuer.href;
  const csp = contentSecurityPolicy(new URL(endSession).origin);
  const show = (res: ServerResponse, status: number, html: string): void => send(res, status, html, csp);
  const sessions = new Map<string, Session>();
  const secureCookie = config.redirectUri.protocol === 'https:';

  const sessionOf = (req: IncomingMessage, res: ServerResponse): Session => {
    const id = cookieOf(req, SESSION_COOKIE);
    const found = id === undefined ? undefined : sessions.get(id);
    if (found !== undefined) return found;
    const fresh: Session = {};
    const newId = randomBytes(32).toString('base64url');
    sessions.set(newId, fresh);
    res.setHeader(
      'set-cookie',
      `${SESSION_COOKIE}=${newId}; Path=/; HttpOnly; SameSite=Lax${secureCookie ? '; Secure' : ''}`,
    );
    return fresh;
  };

  const home = (s: Session): string => {
    if (s.user === undefined)
      return page(
        'Example RP',
        `<h1>Example RP</h1>
<p>Not signed in. Log in with your Watashi private ID (民間ID).</p>
<p><a href="/login">ログイン / Log in</a></p>
<p><a href="/login?step_up=1">より高いレベルでログイン / Log in at a higher level</a> (asks for <code>acr_values=${escapeHtml(config.stepUpAcr)}</code>)</p>`,
        '<li><a href="/login">ログイン / Log in</a></li>',
      );
    return page(
      'Example RP',
      `<h1>Example RP</h1>
<p>Signed in as <code>${escapeHtml(s.user.idTokenClaims.sub)}</code> at <code>${escapeHtml(acrOf(s.user.idTokenClaims))}</code>.</p>
<p><a href="/me">ID token and claims</a> · <a href="/login?step_up=1">step up to ${escapeHtml(config.stepUpAcr)}</a></p>`,
      signedInNav,
    );
  };

  const login = async (s: Session, stepUp: boolean, res: ServerResponse): Promise<void> => {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const pending: PendingLogin = {
      codeVerifier,
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      acrValues: stepUp ? config.stepUpAcr : undefined,
      startedAt: Date.now(),
    };
    s.pending = pending;
    const url = oidc.buildAuthorizationUrl(op, {
      redirect_uri: config.redirectUri.href,
      scope: config.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
      ...(pending.acrValues === undefined ? {} : { acr_values: pending.acrValues }),
    });
    redirect(res, url.href);
  };

  const callback = async (s: Session, current: URL, res: ServerResponse): Promise<void> => {
    const pending = s.pending;
    delete s.pending;
    if (pending === undefined || Date.now() - pending.startedAt > PENDING_TTL_MS) {
      show(res, 400, page('Login failed', '<h1>No login in progress</h1><p><a href="/">Start again</a></p>'));
      return;
    }
    let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    try {
      // Checks state, exchanges the code with the PKCE verifier, validates the ID token and nonce.
      tokens = await oidc.authorizationCodeGrant(op, current, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      // An OP refusal (access_denied, unmet_authentication_requirements, …) or a failed check.
      const err = e as { error?: unknown; error_description?: unknown; message?: unknown };
      const what = typeof err.error === 'string' ? err.error : String(err.message);
      const detail = typeof err.error_description === 'string' ? err.error_description : '';
      show(
        res,
        400,
        page(
          'Login failed',
          `<h1>Login failed</h1><p><code>${escapeHtml(what)}</code></p><p>${escapeHtml(detail)}</p><p><a href="/">Back</a></p>`,
        ),
      );
      return;
    }
    const claims = tokens.claims();
    if (claims === undefined) throw new Error('no ID token in the token response');
    // OIDC Core §5.3.2: the userinfo sub must equal the ID token's sub (openid-client checks it).
    const userinfo = await oidc.fetchUserInfo(op, tokens.access_token, claims.sub);
    s.user = { idToken: tokens.id_token!, idTokenClaims: claims, userinfo, requestedAcr: pending.acrValues };
    redirect(res, '/me');
  };

  const me = (s: Session): string => {
    const u = s.user!;
    const c = u.idTokenClaims;
    const authTime = typeof c.auth_time === 'number' ? new Date(c.auth_time * 1000).toISOString() : '-';
    const { sub: _sub, ...released } = u.userinfo;
    return page(
      'Example RP — signed in',
      `<h1>Signed in</h1>
<dl>
<dt>sub (pairwise: this RP's own identifier for the resident)</dt><dd><code id="sub">${escapeHtml(c.sub)}</code></dd>
<dt>acr (assurance level of this sign-in)</dt><dd><code id="acr">${escapeHtml(acrOf(c))}</code>${u.requestedAcr === undefined ? '' : ` (asked for ${escapeHtml(u.requestedAcr)})`}</dd>
<dt>amr (how the resident authenticated)</dt><dd><code id="amr">${escapeHtml(JSON.stringify(c.amr ?? []))}</code></dd>
<dt>auth_time</dt><dd><code id="auth_time">${escapeHtml(authTime)}</code></dd>
</dl>
<h2>受け取った情報 / Claims received (userinfo)</h2>
${claimsTable('claims', 'userinfo: claim → value', released)}
<details><summary>ID token claims (JSON)</summary>
<pre id="id_token_claims">${escapeHtml(JSON.stringify(c, null, 2))}</pre>
</details>
<p><a href="/login?step_up=1">Step up to ${escapeHtml(config.stepUpAcr)}</a></p>`,
      signedInNav,
    );
  };

  const logout = (s: Session, res: ServerResponse): void => {
    const user = s.user;
    delete s.user;
    if (user === undefined) {
      redirect(res, '/');
      return;
    }
    // A 303 from this form's POST to the OP: allowed by the pages' form-action (see `send`).
    const end = oidc.buildEndSessionUrl(op, {
      id_token_hint: user.idToken,
      post_logout_redirect_uri: config.postLogoutRedirectUri.href,
    });
    redirect(res, end.href);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', config.redirectUri.origin);
    const s = sessionOf(req, res);
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    if (route === 'GET /') show(res, 200, home(s));
    else if (route === 'GET /login') await login(s, url.searchParams.get('step_up') === '1', res);
    else if (route === `GET ${config.redirectUri.pathname}`)
      // The callback URL as the OP built it: the registered redirect URI plus the response.
      await callback(s, new URL(`${config.redirectUri.href}${url.search}`), res);
    else if (route === 'GET /me') {
      if (s.user === undefined) redirect(res, '/');
      else show(res, 200, me(s));
    } else if (route === 'POST /logout') logout(s, res);
    else show(res, 404, page('Not found', '<h1>Not found</h1>'));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      console.error('example RP:', e);
      if (!res.headersSent) show(res, 500, page('Error', '<h1>Something went wrong</h1>'));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : config.port;
  return {
    server,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
