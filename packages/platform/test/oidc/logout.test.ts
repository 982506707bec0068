// Logout propagation and sender-constrained tokens on both engines, driven by openid-client:
// RP-initiated logout ends the OP session and the Watashi session and sends a signed back-channel
// logout token to every RP of the session; a DPoP-bound token used with another key's proof is
// refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
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
  passkeyResident,
  registerRp,
  startLogoutReceiver,
  startOidcPlatform,
  type LogoutReceiver,
} from './support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;
let bcl: LogoutReceiver;
let bclUrl: string;
let received: LogoutReceiver['received'];

beforeAll(async () => {
  sim = await startSim('oidc-logout', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
  bcl = await startLogoutReceiver();
  bclUrl = bcl.url;
  received = bcl.received;
});
afterAll(async () => {
  await bcl?.close();
  await sim?.close();
});

forEachEngine((t) => {
  let p: TestPlatform & { issuer: string };
  beforeAll(async () => {
    p = await startOidcPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  describe('logout', () => {
    it('ok-rp-initiated-logout-ends-both-sessions-and-sends-back-channel-logout-tokens', async () => {
      const r = await passkeyResident(p, sim);
      const after = 'http://127.0.0.1:9/after';
      const path = `/bcl/${t.engine}/${Math.random().toString(36).slice(2)}`;
      const a = await registerRp(p, {
        postLogoutRedirectUris: [after],
        backchannelLogoutUri: `${bclUrl}${path}`,
      });
      const other = await registerRp(p, { backchannelLogoutUri: `${bclUrl}${path}-other` });
      const b = new Browser(r.client.cookie);
      const { tokens } = await login(b, a);
      const otherSub = (await login(b, other)).tokens.claims()!.sub;
      const end = client.buildEndSessionUrl(a.config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: after,
        state: 'bye',
      });
      const confirm = await follow(b, end.href, after);
      expect(confirm.kind).toBe('page');
      if (confirm.kind !== 'page') return;
      expect(confirm.status).toBe(200);
      const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(confirm.body)?.[1];
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1];
      expect(action).toBeDefined();
      const done = await follow(b, new URL(action!, p.url).href, after, {
        method: 'POST',
        body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }),
      });
      expect(done.kind).toBe('callback');
      expect(done.url.searchParams.get('state')).toBe('bye');
      // Both RPs of the session got a logout token signed by the OP, naming their own sub.
      const jwks = createRemoteJWKSet(new URL(a.config.serverMetadata().jwks_uri!));
      for (const [rp, suffix, sub] of [
        [a, '', tokens.claims()!.sub],
        [other, '-other', otherSub],
      ] as const) {
        const got = received.find((x) => x.path === `${path}${suffix}`);
        expect(got, suffix).toBeDefined();
        const token = new URLSearchParams(got!.body).get('logout_token')!;
        const { payload } = await jwtVerify(token, jwks, { issuer: p.issuer, audience: rp.clientId });
        expect(payload.sub).toBe(sub);
        expect(payload['events']).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);
      }
      // The Watashi session has ended: the wallet API refuses the cookie, and a new login goes to the wallet.
      expect((await r.client.req('GET', '/api/me')).status).toBe(401);
      const started = await authorizationUrl(a);
      b.setWatashi(r.client.cookie ?? 'watashi_session=gone');
      expect((await follow(b, started.url.href, a.redirectUri)).kind).toBe('wallet');
    });
  });

  describe('dpop', () => {
    it('fail-dpop-bound-token-with-another-key-proof-is-refused', async () => {
      const r = await passkeyResident(p, sim);
      const rp = await registerRp(p, { dpopBoundAccessTokens: true });
      const dpop = client.getDPoPHandle(rp.config, await client.randomDPoPKeyPair('ES256'));
      const started = await authorizationUrl(rp);
      const b = new Browser(r.client.cookie);
      let stop = await follow(b, started.url.href, rp.redirectUri);
      if (stop.kind === 'consent') stop = await answerConsent(b, stop, 'approve', rp.redirectUri);
      if (stop.kind !== 'callback') throw new Error('expected callback');
      const tokens = await client.authorizationCodeGrant(
        rp.config,
        stop.url,
        { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce },
        undefined,
        { DPoP: dpop },
      );
      const otherKey = client.getDPoPHandle(rp.config, await client.randomDPoPKeyPair('ES256'));
      const err = await client
        .fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub, { DPoP: otherKey })
        .then(
          () => undefined,
          (e: unknown) => e as { status?: number; cause?: Array<{ parameters?: { error?: string } }> },
        );
      expect(err).toBeDefined();
      expect(err?.cause?.[0]?.parameters?.error).toBe('invalid_token');
      // The right key still works.
      const info = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub, {
        DPoP: dpop,
      });
      expect(info.sub).toBe(tokens.claims()!.sub);
    });

    it('fail-dpop-required-client-without-proof-is-refused-at-the-token-endpoint', async () => {
      const r = await passkeyResident(p, sim);
      const rp = await registerRp(p, { dpopBoundAccessTokens: true });
      const started = await authorizationUrl(rp);
      const b = new Browser(r.client.cookie);
      let stop = await follow(b, started.url.href, rp.redirectUri);
      if (stop.kind === 'consent') stop = await answerConsent(b, stop, 'approve', rp.redirectUri);
      if (stop.kind !== 'callback') throw new Error('expected callback');
      const e = await client
        .authorizationCodeGrant(rp.config, stop.url, {
          pkceCodeVerifier: started.verifier,
          expectedState: started.state,
          expectedNonce: started.nonce,
        })
        .then(
          () => undefined,
          (x: unknown) => x as { error?: string },
        );
      // oidc-provider answers a missing proof for a DPoP-bound client as an unusable grant.
      expect(e?.error).toBe('invalid_grant');
      // The refusal was about the missing proof: the same code, still unused, works with one.
      const dpop = client.getDPoPHandle(rp.config, await client.randomDPoPKeyPair('ES256'));
      const tokens = await client.authorizationCodeGrant(
        rp.config,
        stop.url,
        { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce },
        undefined,
        { DPoP: dpop },
      );
      expect(tokens.token_type.toLowerCase()).toBe('dpop');
    });
  });
});
