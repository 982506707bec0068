/**
 * Test support for the OpenID Provider: the real platform (createPlatform) listening on
 * 127.0.0.1 with publicUrl = its own URL (so the issuer is reachable by a stock client), residents
 * enrolled with hosted cards of an in-process J-LIS simulator and signed in with a software
 * passkey through the authn API, a "browser" with a cookie jar that follows redirects by hand,
 * and RPs registered through the registry and driven by openid-client.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import * as client from 'openid-client';
import { exportJWK, generateKeyPair } from 'jose';
import type { JpkiTrustStore } from '@watashi/jpki';
import { createJpkiBackend } from '../../src/jlis/index.ts';
import { addRelyingParty, type RelyingPartyInput } from '../../src/oidc/registry.ts';
import { createPlatform } from '../../src/platform.ts';
import type { PlatformDeps } from '../../src/server/context.ts';
import { SESSION_COOKIE } from '../../src/server/sessions.ts';
import type { EngineContext } from '../db/harness.ts';
import type { ConsentDetailsJson } from '../../src/oidc/interaction-api.ts';
import { enrolResident, type Resident, type TestPlatform } from '../authn/support.ts';
import type { TestSim } from '../enrolment/support.ts';
import {
  SoftAuthenticator,
  type CreationOptionsJSON,
  type RequestOptionsJSON,
} from '../support/soft-authenticator.ts';

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The platform with publicUrl = its listening URL (and `config` on top of the test defaults). */
export async function startOidcPlatform(
  t: EngineContext,
  sim: TestSim,
  trust: JpkiTrustStore,
  config: { readonly oidcRequirePar?: boolean } = {},
): Promise<TestPlatform & { issuer: string }> {
  // The platform runs on the real clock (oidc-provider has no injectable clock), shifted by
  // setNow for tests that need time to pass.
  let offset = 0;
  const now = (): Date => new Date(Date.now() + offset);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const jlis = { kind: 'simulator' as const, url: sim.url, operatorId: 'watashi-test' };
  const backend = () => createJpkiBackend(jlis, { now });
  const p = await createPlatform(
    {
      mode: 'simulation',
      host: '127.0.0.1',
      port,
      logLevel: 'silent',
      keyStore: { kind: 'memory' },
      jlis,
      publicUrl: url,
      rateLimits: { enabled: false },
      // Long enough for the reauthentication-decay tests to move the clock past a day.
      sessionTtlSeconds: 30 * 86_400,
      ...config,
    },
    { database: t.database, trust, backend: backend(), now },
  );
  await p.listen();
  return {
    deps: p.deps,
    url,
    issuer: `${url}/oidc`,
    setNow: (d) => (offset = d.getTime() - Date.now()),
    freshBackend: () => ((p.deps as { backend: PlatformDeps['backend'] }).backend = backend()),
    close: () => p.close(),
  };
}

/** A resident with a registered passkey, signed in with it (session with an authenticator). */
export interface PasskeyResident extends Resident {
  readonly auth: SoftAuthenticator;
  /** Signs in again with the passkey (a new Watashi session); returns the cookie. */
  login(): Promise<string>;
}

/** Enrols a resident, registers a device-bound passkey and signs in with it. */
export async function passkeyResident(p: TestPlatform, sim: TestSim): Promise<PasskeyResident> {
  const r = await enrolResident(p, sim);
  const auth = new SoftAuthenticator(new URL(p.url).origin);
  const o = await r.client.post('/api/authn/passkeys/registration/options');
  if (o.status !== 200) throw new Error(`registration options: ${JSON.stringify(o.body)}`);
  const reg = await r.client.post('/api/authn/passkeys/registration', {
    response: auth.create(o.body as unknown as CreationOptionsJSON).response,
  });
  if (reg.status !== 201) throw new Error(`registration: ${JSON.stringify(reg.body)}`);
  const login = async (): Promise<string> => {
    const lo = await r.client.post('/api/authn/passkeys/login/options');
    const res = await r.client.post('/api/authn/passkeys/login', {
      response: auth.get(lo.body as unknown as RequestOptionsJSON),
    });
    if (res.status !== 200 || r.client.cookie === undefined)
      throw new Error(`login: ${JSON.stringify(res.body)}`);
    return r.client.cookie;
  };
  await login();
  return { ...r, auth, login };
}

/** A user agent: a cookie jar (name → value, path) and manual redirects. */
export class Browser {
  readonly jar = new Map<string, { value: string; path: string }>();

  constructor(watashiCookie?: string) {
    if (watashiCookie !== undefined) this.setWatashi(watashiCookie);
  }

  /** Replaces the Watashi session cookie (`watashi_session=…`). */
  setWatashi(cookie: string): void {
    const v = cookie.slice(cookie.indexOf('=') + 1);
    this.jar.set(SESSION_COOKIE, { value: v, path: '/' });
  }

  private cookieHeader(url: URL): string {
    return [...this.jar.entries()]
      .filter(
        ([, c]) =>
          url.pathname === c.path ||
          url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) ||
          c.path === '/',
      )
      .map(([n, c]) => `${n}=${c.value}`)
      .join('; ');
  }

  /** One request; stores Set-Cookie; returns the response (redirects not followed). */
  async request(url: string, init: { method?: string; body?: URLSearchParams } = {}): Promise<Response> {
    const u = new URL(url);
    const res = await fetch(u, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        cookie: this.cookieHeader(u),
        ...(init.body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(init.body === undefined ? {} : { body: init.body.toString() }),
    });
    for (const c of res.headers.getSetCookie()) {
      const parts = c.split(';').map((x) => x.trim());
      const [pair, ...attrs] = parts;
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expired = attrs.some((a) => /^expires=thu, 01 jan 1970/i.test(a)) || value === '';
      if (expired) this.jar.delete(name);
      else this.jar.set(name, { value, path });
    }
    return res;
  }
}

/** A JSON request with the browser's cookies (the wallet's pages calling the interaction API). */
export async function browserJson(
  b: Browser,
  url: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const u = new URL(url);
  const cookie = [...b.jar.entries()]
    .filter(([, c]) => c.path === '/' || u.pathname === c.path || u.pathname.startsWith(`${c.path}/`))
    .map(([n, c]) => `${n}=${c.value}`)
    .join('; ');
  const res = await fetch(u, {
    method: init.method ?? 'GET',
    redirect: 'manual',
    headers: {
      cookie,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** Where a front-channel journey stopped. */
export type Stop =
  | { readonly kind: 'callback'; readonly url: URL }
  | { readonly kind: 'wallet'; readonly url: URL }
  | {
      readonly kind: 'consent';
      readonly url: URL;
      /** The interaction's uid and what the wallet's consent page is told (`…/details`). */
      readonly uid: string;
      readonly details: ConsentDetailsJson;
    }
  | { readonly kind: 'page'; readonly url: URL; readonly status: number; readonly body: string };

/** Follows redirects from `start` until the RP callback, the wallet, a consent page or another page. */
export async function follow(
  b: Browser,
  start: string,
  redirectUri: string,
  init: { method?: string; body?: URLSearchParams } = {},
): Promise<Stop> {
  let res = await b.request(start, init);
  let url = new URL(start);
  for (let i = 0; i < 20; i++) {
    const loc = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && loc !== null) {
      url = new URL(loc, url);
      if (url.href.startsWith(redirectUri)) return { kind: 'callback', url };
      if (url.pathname === '/wallet/login' || url.pathname === '/wallet/step-up')
        return { kind: 'wallet', url };
      const consent = /^\/wallet\/consent\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
      if (consent !== null) {
        const uid = consent[1]!;
        const d = await browserJson(b, new URL(`/oidc/interaction/${uid}/details`, url).href);
        if (d.status !== 200) throw new Error(`consent details: ${JSON.stringify(d.body)}`);
        return { kind: 'consent', url, uid, details: d.body as unknown as ConsentDetailsJson };
      }
      res = await b.request(url.href);
      continue;
    }
    const body = await res.text();
    return { kind: 'page', url, status: res.status, body };
  }
  throw new Error('too many redirects');
}

/**
 * Answers the consent page as the wallet's page does (the interaction API): `fields.persona` is
 * the option chosen, the preselected one when absent.
 */
export async function answerConsent(
  b: Browser,
  stop: Extract<Stop, { kind: 'consent' }>,
  decision: 'approve' | 'deny',
  redirectUri: string,
  fields: { persona?: string } = {},
): Promise<Stop> {
  const res = await browserJson(b, new URL(`/oidc/interaction/${stop.uid}/decision`, stop.url).href, {
    method: 'POST',
    body: { csrf: stop.details.csrf, decision, persona: fields.persona ?? stop.details.selected },
  });
  if (res.status !== 200) throw new Error(`consent decision: ${res.status} ${JSON.stringify(res.body)}`);
  return follow(b, new URL(String(res.body['location']), stop.url).href, redirectUri);
}

/** A registered RP and its openid-client configuration. */
export interface TestRp {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly config: client.Configuration;
}

/** Registers an RP (client_secret_basic or private_key_jwt) and discovers the issuer with openid-client. */
export async function registerRp(
  p: TestPlatform & { issuer: string },
  options: Partial<RelyingPartyInput> & { auth?: 'client_secret_basic' | 'private_key_jwt' } = {},
): Promise<TestRp> {
  const redirectUri = `http://127.0.0.1:9/cb/${Math.random().toString(36).slice(2)}`;
  const auth = options.auth ?? 'client_secret_basic';
  let clientAuth: client.ClientAuth;
  let extra: Partial<RelyingPartyInput> = {};
  if (auth === 'private_key_jwt') {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    extra = { jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid: 'k1' }] } };
    clientAuth = client.PrivateKeyJwt({ key: privateKey, kid: 'k1' });
  } else {
    clientAuth = client.None();
  }
  const { auth: _auth, ...rest } = options;
  const added = await addRelyingParty(p.deps, {
    name: 'Test RP',
    purpose: 'テストのため / testing',
    redirectUris: [redirectUri],
    tokenEndpointAuthMethod: auth,
    allowedClaims: ['name', 'birthdate', 'over_20'],
    ...extra,
    ...rest,
  });
  if (auth === 'client_secret_basic') clientAuth = client.ClientSecretBasic(added.clientSecret);
  const config = await client.discovery(
    new URL(p.issuer),
    added.relyingParty.clientId,
    { id_token_signed_response_alg: 'ES256' },
    clientAuth,
    { execute: [client.allowInsecureRequests] },
  );
  return { clientId: added.relyingParty.clientId, redirectUri, config };
}

/** A started authorization request (PKCE S256). */
export interface Started {
  readonly url: URL;
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
}

/** Builds an authorization URL with PKCE, state and nonce. */
export async function authorizationUrl(rp: TestRp, params: Record<string, string> = {}): Promise<Started> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(rp.config, {
    redirect_uri: rp.redirectUri,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, verifier, state, nonce };
}

/** Exchanges the code of a callback URL (openid-client validates the ID token). */
export function exchange(rp: TestRp, started: Started, callback: URL) {
  return client.authorizationCodeGrant(rp.config, callback, {
    pkceCodeVerifier: started.verifier,
    expectedState: started.state,
    expectedNonce: started.nonce,
    idTokenExpected: true,
  });
}

/** A full login: authorize → (consent approved) → callback → tokens. */
export async function login(
  b: Browser,
  rp: TestRp,
  params: Record<string, string> = {},
): Promise<{ tokens: Awaited<ReturnType<typeof exchange>>; started: Started; callback: URL }> {
  const started = await authorizationUrl(rp, params);
  let stop = await follow(b, started.url.href, rp.redirectUri);
  if (stop.kind === 'consent') stop = await answerConsent(b, stop, 'approve', rp.redirectUri);
  if (stop.kind !== 'callback')
    throw new Error(`login stopped at ${stop.kind} ${stop.url.href} ${'body' in stop ? stop.body : ''}`);
  const tokens = await exchange(rp, started, stop.url);
  return { tokens, started, callback: stop.url };
}

/** The OAuth error openid-client reports for a failed call ('resolved' when it did not fail). */
export async function oauthError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = e as { error?: unknown; cause?: { error?: unknown } };
    const code = err.error ?? err.cause?.error;
    return typeof code === 'string' ? code : (e as Error).message;
  }
  return 'resolved';
}

export { client };

/** A back-channel logout endpoint on loopback that records every request it receives. */
export interface LogoutReceiver {
  /** `http://127.0.0.1:<port>`; any path is accepted. */
  readonly url: string;
  /** What arrived, in order: the request path and its body. */
  readonly received: Array<{ path: string; body: string }>;
  close(): Promise<void>;
}

/** Starts a {@link LogoutReceiver}. */
export async function startLogoutReceiver(): Promise<LogoutReceiver> {
  const received: Array<{ path: string; body: string }> = [];
  const port = await freePort();
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
