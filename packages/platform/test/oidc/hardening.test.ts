// The OpenID Provider's hardening (issue 15) on both engines over real HTTP, driven by
// openid-client (plain fetch and jose for what a stock client would not send): NUL characters in
// parameters, refresh tokens of sender-constrained RPs, client assertions, PAR, sid in ID and
// logout tokens, redirect_uri on every request, and CORS at the token endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import type { JpkiTrustStore } from '@watashi/jpki';
import { forEachEngine } from '../db/harness.ts';
import { simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import type { TestPlatform } from '../authn/support.ts';
import {
  answerConsent,
  authorizationUrl,
  Browser,
  client,
  follow,
  login,
  oauthError,
  passkeyResident,
  registerRp,
  startLogoutReceiver,
  startOidcPlatform,
  type LogoutReceiver,
  type PasskeyResident,
  type TestRp,
} from './support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;
let bcl: LogoutReceiver;
let bclUrl: string;
let received: LogoutReceiver['received'];

beforeAll(async () => {
  sim = await startSim('oidc-hardening', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
  bcl = await startLogoutReceiver();
  bclUrl = bcl.url;
  received = bcl.received;
});
afterAll(async () => {
  await bcl?.close();
  await sim?.close();
});

/** An RP registered for private_key_jwt with its own key (`alg` as registered and signed). */
async function keyedRp(
  p: TestPlatform & { issuer: string },
  alg: 'ES256' | 'RS256' | 'PS256',
): Promise<TestRp & { readonly key: CryptoKey }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const rp = await registerRp(p, {
    auth: 'private_key_jwt',
    jwks: { keys: [{ ...(await exportJWK(publicKey)), alg, use: 'sig', kid: 'k1' }] },
  });
  const config = new client.Configuration(
    rp.config.serverMetadata(),
    rp.clientId,
    { id_token_signed_response_alg: 'ES256' },
    client.PrivateKeyJwt({ key: privateKey, kid: 'k1' }),
  );
  client.allowInsecureRequests(config);
  return { ...rp, config, key: privateKey };
}

/** A token request with a hand-made client assertion (claims as given) and an unknown refresh token. */
async function withAssertion(
  p: TestPlatform & { issuer: string },
  rp: TestRp & { readonly key: CryptoKey },
  claims: { iat?: number; exp?: number },
): Promise<{ status: number; error: string }> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(rp.clientId)
    .setSubject(rp.clientId)
    .setAudience(p.issuer)
    .setExpirationTime(claims.exp ?? now + 60);
  if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat);
  const res = await fetch(`${p.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: 'no-such-token',
      client_id: rp.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await jwt.sign(rp.key),
    }),
  });
  return { status: res.status, error: ((await res.json()) as { error: string }).error };
}

/** Logs in with DPoP (an RP registered DPoP-bound) and returns the tokens and the DPoP handle. */
async function dpopLogin(resident: PasskeyResident, rp: TestRp, params: Record<string, string> = {}) {
  const dpop = client.getDPoPHandle(rp.config, await client.randomDPoPKeyPair('ES256'));
  const started = await authorizationUrl(rp, params);
  const b = new Browser(resident.client.cookie);
  let stop = await follow(b, started.url.href, rp.redirectUri);
  if (stop.kind === 'consent') stop = await answerConsent(b, stop, 'approve', rp.redirectUri);
  if (stop.kind !== 'callback') throw new Error(`expected the callback, stopped at ${stop.kind}`);
  const tokens = await client.authorizationCodeGrant(
    rp.config,
    stop.url,
    { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce },
    undefined,
    { DPoP: dpop },
  );
  return { tokens, dpop };
}

forEachEngine((t) => {
  let p: TestPlatform & { issuer: string };
  let resident: PasskeyResident;
  beforeAll(async () => {
    p = await startOidcPlatform(t, sim, trust);
    resident = await passkeyResident(p, sim);
  });
  afterAll(async () => {
    await p?.close();
  });

  const storedRows = async (): Promise<number> =>
    Number(
      (
        await t.db
          .selectFrom('oidc_models')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  describe('NUL characters in parameters', () => {
    for (const param of ['state', 'nonce', 'acr_values', 'login_hint', 'ui_locales', 'claims_locales']) {
      it(`fail-nul-in-${param}-at-the-authorization-endpoint-is-invalid-request-and-nothing-stored`, async () => {
        const rp = await registerRp(p);
        const started = await authorizationUrl(rp);
        started.url.searchParams.set(param, 'ja\u0000x');
        const before = await storedRows();
        const res = await new Browser(resident.client.cookie).request(started.url.href);
        expect(res.status).toBe(400);
        expect(await res.text()).toContain('invalid_request');
        expect(await storedRows()).toBe(before);
      });
    }

    it('fail-nul-in-a-parameter-name-is-invalid-request', async () => {
      const rp = await registerRp(p);
      const started = await authorizationUrl(rp);
      started.url.searchParams.set('x\u0000', '1');
      const res = await fetch(started.url, { redirect: 'manual' });
      expect(res.status).toBe(400);
    });

    it('fail-nul-in-a-pushed-authorization-request-is-invalid-request-and-nothing-stored', async () => {
      const rp = await registerRp(p);
      const before = await storedRows();
      const e = await oauthError(
        client.buildAuthorizationUrlWithPAR(rp.config, {
          redirect_uri: rp.redirectUri,
          scope: 'openid',
          code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
          state: 'a\u0000b',
        }),
      );
      expect(e).toBe('invalid_request');
      expect(await storedRows()).toBe(before);
    });

    it('fail-nul-at-the-token-endpoint-is-invalid-request', async () => {
      const rp = await registerRp(p);
      expect(await oauthError(client.refreshTokenGrant(rp.config, 'abc\u0000def'))).toBe('invalid_request');
      // The body was read once, here, and still reaches oidc-provider intact.
      expect(await oauthError(client.refreshTokenGrant(rp.config, 'abcdef'))).toBe('invalid_grant');
    });
  });

  describe('refresh tokens of sender-constrained RPs', () => {
    it('ok-a-dpop-bound-rp-may-retry-a-refresh-after-a-lost-response', async () => {
      const rp = await registerRp(p, { dpopBoundAccessTokens: true });
      const { tokens, dpop } = await dpopLogin(resident, rp, {
        scope: 'openid offline_access',
        prompt: 'consent',
      });
      const first = await client.refreshTokenGrant(rp.config, tokens.refresh_token!, undefined, {
        DPoP: dpop,
      });
      // Not rotated (FAPI 2.0 §5.3.2.1): the response that was "lost" changed nothing.
      expect(first.refresh_token).toBe(tokens.refresh_token);
      const retried = await client.refreshTokenGrant(rp.config, tokens.refresh_token!, undefined, {
        DPoP: dpop,
      });
      expect(retried.access_token).toBeDefined();
      expect(retried.access_token).not.toBe(first.access_token);
      const info = await client.fetchUserInfo(rp.config, retried.access_token, tokens.claims()!.sub, {
        DPoP: dpop,
      });
      expect(info.sub).toBe(tokens.claims()!.sub);
      // Still sender-constrained: without a proof the refresh token is refused.
      expect(await oauthError(client.refreshTokenGrant(rp.config, tokens.refresh_token!))).toBe(
        'invalid_grant',
      );
    });
  });

  describe('client assertions', () => {
    it('ok-discovery-advertises-no-rs256-for-client-assertions', async () => {
      const rp = await registerRp(p);
      expect(rp.config.serverMetadata().token_endpoint_auth_signing_alg_values_supported).toEqual([
        'PS256',
        'ES256',
        'EdDSA',
      ]);
    });

    it('fail-an-rs256-client-assertion-is-invalid-client', async () => {
      const rp = await keyedRp(p, 'RS256');
      expect(await oauthError(client.refreshTokenGrant(rp.config, 'no-such-token'))).toBe('invalid_client');
    });

    it('ok-a-ps256-client-assertion-is-accepted', async () => {
      const rp = await keyedRp(p, 'PS256');
      // Authenticated: what fails is the unknown refresh token.
      expect(await oauthError(client.refreshTokenGrant(rp.config, 'no-such-token'))).toBe('invalid_grant');
    });

    it('fail-a-client-assertion-issued-in-the-future-is-invalid-client', async () => {
      const rp = await keyedRp(p, 'ES256');
      const now = Math.floor(Date.now() / 1000);
      expect(await withAssertion(p, rp, { iat: now + 120, exp: now + 180 })).toEqual({
        status: 401,
        error: 'invalid_client',
      });
      // Within the skew it is fine (the refresh token is what fails then).
      expect((await withAssertion(p, rp, { iat: now + 5, exp: now + 60 })).error).toBe('invalid_grant');
    });

    it('fail-a-client-assertion-expiring-far-ahead-is-invalid-client', async () => {
      const rp = await keyedRp(p, 'ES256');
      const now = Math.floor(Date.now() / 1000);
      expect(await withAssertion(p, rp, { iat: now, exp: now + 3600 })).toEqual({
        status: 401,
        error: 'invalid_client',
      });
      expect((await withAssertion(p, rp, { iat: now, exp: now + 300 })).error).toBe('invalid_grant');
    });
  });

  describe('redirect_uri', () => {
    it('fail-an-authorization-request-without-redirect-uri-is-invalid-request', async () => {
      // One registered URI: oidc-provider would otherwise fill it in.
      const rp = await registerRp(p);
      const started = await authorizationUrl(rp);
      started.url.searchParams.delete('redirect_uri');
      const stop = await follow(new Browser(resident.client.cookie), started.url.href, rp.redirectUri);
      expect(stop.kind).toBe('page');
      if (stop.kind !== 'page') return;
      expect(stop.url.pathname).toBe('/wallet/error/bad-request');
      expect(stop.url.searchParams.get('code')).toBe('invalid_request');
    });

    it('fail-a-pushed-authorization-request-without-redirect-uri-is-invalid-request', async () => {
      const rp = await registerRp(p);
      const e = await oauthError(
        client.buildAuthorizationUrlWithPAR(rp.config, {
          scope: 'openid',
          code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        }),
      );
      expect(e).toBe('invalid_request');
    });
  });

  describe('PAR required', () => {
    it('fail-an-rp-registered-for-par-cannot-use-a-plain-authorization-request', async () => {
      const rp = await registerRp(p, { requirePar: true });
      const started = await authorizationUrl(rp);
      // The redirect URI is valid, so the error goes back to the RP (RFC 6749 §4.1.2.1).
      const stop = await follow(new Browser(resident.client.cookie), started.url.href, rp.redirectUri);
      expect(stop.kind).toBe('callback');
      if (stop.kind === 'callback') expect(stop.url.searchParams.get('error')).toBe('invalid_request');
      // Through PAR it signs in.
      const verifier = client.randomPKCECodeVerifier();
      const url = await client.buildAuthorizationUrlWithPAR(rp.config, {
        redirect_uri: rp.redirectUri,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const b = new Browser(resident.client.cookie);
      let done = await follow(b, url.href, rp.redirectUri);
      if (done.kind === 'consent') done = await answerConsent(b, done, 'approve', rp.redirectUri);
      expect(done.kind).toBe('callback');
      expect(rp.config.serverMetadata().require_pushed_authorization_requests).not.toBe(true);
    });

    it('fail-with-the-operator-switch-no-rp-can-use-a-plain-authorization-request', async () => {
      const strict = await startOidcPlatform(t, sim, trust, { oidcRequirePar: true });
      try {
        const rp = await registerRp(strict);
        expect(rp.config.serverMetadata().require_pushed_authorization_requests).toBe(true);
        const started = await authorizationUrl(rp);
        const stop = await follow(new Browser(resident.client.cookie), started.url.href, rp.redirectUri);
        expect(stop.kind).toBe('callback');
        if (stop.kind === 'callback') expect(stop.url.searchParams.get('error')).toBe('invalid_request');
        const url = await client.buildAuthorizationUrlWithPAR(rp.config, {
          redirect_uri: rp.redirectUri,
          scope: 'openid',
          code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        });
        expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
      } finally {
        await strict.close();
      }
    });
  });

  describe('sid', () => {
    it('ok-id-token-and-logout-token-carry-the-same-sid', async () => {
      const r = await passkeyResident(p, sim);
      const after = 'http://127.0.0.1:9/after';
      const path = `/bcl/${t.engine}/${Math.random().toString(36).slice(2)}`;
      const rp = await registerRp(p, {
        postLogoutRedirectUris: [after],
        backchannelLogoutUri: `${bclUrl}${path}`,
      });
      const b = new Browser(r.client.cookie);
      const { tokens } = await login(b, rp);
      const sid = tokens.claims()!['sid'];
      expect(typeof sid).toBe('string');
      const end = client.buildEndSessionUrl(rp.config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: after,
      });
      const confirm = await follow(b, end.href, after);
      if (confirm.kind !== 'page') throw new Error(`expected the logout page, got ${confirm.kind}`);
      const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(confirm.body)?.[1];
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1];
      const done = await follow(b, new URL(action!, p.url).href, after, {
        method: 'POST',
        body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }),
      });
      expect(done.kind).toBe('callback');
      const got = received.find((x) => x.path === path);
      expect(got).toBeDefined();
      const { payload } = await jwtVerify(
        new URLSearchParams(got!.body).get('logout_token')!,
        createRemoteJWKSet(new URL(rp.config.serverMetadata().jwks_uri!)),
        { issuer: p.issuer, audience: rp.clientId },
      );
      expect(payload['sid']).toBe(sid);
      expect(payload.sub).toBe(tokens.claims()!.sub);
    });
  });

  describe('introspection', () => {
    it('ok-a-registered-resource-server-reads-acr-auth-time-and-the-binding', async () => {
      const rs = await registerRp(p, { resourceServer: true });
      const rp = await registerRp(p, { dpopBoundAccessTokens: true });
      const { tokens } = await dpopLogin(resident, rp);
      const claims = tokens.claims()!;
      const info = await client.tokenIntrospection(rs.config, tokens.access_token);
      expect(info.active).toBe(true);
      expect(info.client_id).toBe(rp.clientId);
      expect(info['acr']).toBe(claims.acr);
      expect(info['auth_time']).toBe(claims.auth_time);
      expect(info.sub).toBe(claims.sub);
      expect(info.token_type).toBe('DPoP');
      expect((info.cnf as { jkt?: unknown } | undefined)?.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Refresh tokens are none of a resource server's business.
      const offline = await dpopLogin(resident, rp, { scope: 'openid offline_access', prompt: 'consent' });
      expect((await client.tokenIntrospection(rs.config, offline.tokens.refresh_token!)).active).toBe(false);
    });

    it('fail-an-rp-not-registered-as-a-resource-server-learns-nothing', async () => {
      const rp = await registerRp(p);
      const other = await registerRp(p);
      const { tokens } = await login(new Browser(resident.client.cookie), rp);
      expect((await client.tokenIntrospection(other.config, tokens.access_token)).active).toBe(false);
      expect((await client.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
    });
  });

  describe('CORS', () => {
    it('fail-a-token-request-from-a-browser-origin-gets-no-cors-for-a-confidential-rp', async () => {
      const rp = await registerRp(p);
      const { tokens } = await login(new Browser(resident.client.cookie), rp, {
        scope: 'openid offline_access',
        prompt: 'consent',
      });
      let seen: Response | undefined;
      const original = rp.config[client.customFetch];
      rp.config[client.customFetch] = async (url, options) => {
        const headers = new Headers(options.headers);
        headers.set('origin', 'https://evil.example');
        seen = await fetch(url, { ...options, headers } as RequestInit);
        return seen.clone();
      };
      try {
        expect(await oauthError(client.refreshTokenGrant(rp.config, tokens.refresh_token!))).toBe(
          'invalid_request',
        );
        expect(seen?.headers.get('access-control-allow-origin')).toBeNull();
      } finally {
        rp.config[client.customFetch] = original ?? ((url, options) => fetch(url, options as RequestInit));
      }
      // Nor does a preflight admit the origin.
      const preflight = await fetch(`${p.issuer}/token`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://evil.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, dpop',
        },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
      // Discovery stays readable from anywhere.
      const open = await fetch(`${p.issuer}/.well-known/openid-configuration`, {
        headers: { origin: 'https://evil.example' },
      });
      expect(open.headers.get('access-control-allow-origin')).toBe('https://evil.example');
      // The refresh token was not used up by the refused request.
      expect((await client.refreshTokenGrant(rp.config, tokens.refresh_token!)).access_token).toBeDefined();
    });
  });
});
