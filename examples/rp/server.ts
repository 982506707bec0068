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

const page = (title: string, body: string): string =>
  `<!doctype html>
<html lang="ja">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}dt{font-weight:bold}pre{background:#f4f4f4;padding:.5rem;overflow:auto}form{display:inline}</style></head>
<body>
<p><a href="/">Example RP</a> — a sample relying party for Watashi</p>
${body}
</body>
</html>
`;

/** The ID token's acr (OIDC Core §2), a string when present. */
const acrOf = (c: oidc.IDToken): string => (typeof c.acr === 'string' ? c.acr : '-');

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
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
      );
    return page(
      'Example RP',
      `<h1>Example RP</h1>
<p>Signed in as <code>${escapeHtml(s.user.idTokenClaims.sub)}</code> at <code>${escapeHtml(acrOf(s.user.idTokenClaims))}</code>.</p>
<p><a href="/me">ID token and claims</a> · <a href="/login?step_up=1">step up to ${escapeHtml(config.stepUpAcr)}</a></p>
<form method="post" action="/logout"><button>ログアウト / Log out</button></form>`,
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
      send(res, 400, page('Login failed', '<h1>No login in progress</h1><p><a href="/">Start again</a></p>'));
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
      send(
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
<h2>Claims received (userinfo)</h2>
<pre id="claims">${escapeHtml(JSON.stringify(released, null, 2))}</pre>
<h2>ID token claims</h2>
<pre>${escapeHtml(JSON.stringify(c, null, 2))}</pre>
<p><a href="/login?step_up=1">Step up to ${escapeHtml(config.stepUpAcr)}</a></p>
<form method="post" action="/logout"><button>ログアウト / Log out</button></form>`,
    );
  };

  const logout = (s: Session, res: ServerResponse): void => {
    const user = s.user;
    delete s.user;
    if (user === undefined) {
      redirect(res, '/');
      return;
    }
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
    if (route === 'GET /') send(res, 200, home(s));
    else if (route === 'GET /login') await login(s, url.searchParams.get('step_up') === '1', res);
    else if (route === `GET ${config.redirectUri.pathname}`)
      // The callback URL as the OP built it: the registered redirect URI plus the response.
      await callback(s, new URL(`${config.redirectUri.href}${url.search}`), res);
    else if (route === 'GET /me') {
      if (s.user === undefined) redirect(res, '/');
      else send(res, 200, me(s));
    } else if (route === 'POST /logout') logout(s, res);
    else send(res, 404, page('Not found', '<h1>Not found</h1>'));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      console.error('example RP:', e);
      if (!res.headersSent) send(res, 500, page('Error', '<h1>Something went wrong</h1>'));
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
