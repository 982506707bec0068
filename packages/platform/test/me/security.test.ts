// The wallet's security and data APIs on both engines (issue 17): sign-in history with how and
// from which browser, active sessions with the services each signed in to, signing out one session
// (its services get a back-channel logout token with its sid) or everywhere (refresh tokens kept
// unless asked), and "download my data" — everything held, as one JSON attachment, never a My
// Number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import type { JpkiTrustStore } from '@watashi/jpki';
import type { RequestOptionsJSON } from '../support/soft-authenticator.ts';
import { forEachEngine } from '../db/harness.ts';
import { simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import type { TestPlatform } from '../authn/support.ts';
import { EventDeliverer } from '../../src/lifecycle/events/deliver.ts';
import { SESSION_COOKIE } from '../../src/server/sessions.ts';
import {
  Browser,
  client,
  login,
  oauthError,
  passkeyResident,
  registerRp,
  startLogoutReceiver,
  startOidcPlatform,
  type LogoutReceiver,
  type PasskeyResident,
} from '../oidc/support.ts';

const ANDROID_CHROME =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

let sim: TestSim;
let trust: JpkiTrustStore;
let bcl: LogoutReceiver;

beforeAll(async () => {
  sim = await startSim('me-security', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
  bcl = await startLogoutReceiver();
});
afterAll(async () => {
  await bcl?.close();
  await sim?.close();
});

/** A JSON request with `cookie` (and a User-Agent). */
async function call(
  p: TestPlatform,
  cookie: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; text: string; json: Record<string, unknown> }> {
  const res = await fetch(`${p.url}${path}`, {
    method,
    headers: {
      cookie,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Signs `r` in with its passkey from a browser saying `userAgent`; returns that session's cookie. */
async function signInFrom(p: TestPlatform, r: PasskeyResident, userAgent: string): Promise<string> {
  const o = await fetch(`${p.url}/api/authn/passkeys/login/options`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': userAgent },
    body: '{}',
  });
  const options = (await o.json()) as RequestOptionsJSON;
  const res = await fetch(`${p.url}/api/authn/passkeys/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': userAgent },
    body: JSON.stringify({ response: r.auth.get(options) }),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  const set = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  return set!.split(';')[0]!;
}

const live = async (p: TestPlatform, cookie: string): Promise<number> =>
  (await call(p, cookie, 'GET', '/api/me')).status;

forEachEngine((t) => {
  let p: TestPlatform & { issuer: string };
  beforeAll(async () => {
    p = await startOidcPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  describe('sign-in history', () => {
    it('ok-each-sign-in-says-when-how-and-from-which-browser-newest-first', async () => {
      const r = await passkeyResident(p, sim);
      const phone = await signInFrom(p, r, ANDROID_CHROME);
      const res = await call(p, phone, 'GET', '/api/me/sign-ins');
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const list = res.json['signIns'] as Array<Record<string, unknown>>;
      // Enrolment (the card's signing certificate), the passkey login of passkeyResident, this one.
      expect(list).toHaveLength(3);
      expect(list[0]).toMatchObject({
        method: 'passkey',
        device: { browser: 'chrome', system: 'android', kind: 'phone' },
        place: null,
        current: true,
        active: true,
        ended: null,
      });
      expect(list[2]).toMatchObject({ method: 'card_signature', current: false });
      const times = list.map((s) => Date.parse(String(s['at'])));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      // Paging: one at a time, then the next page from `next`.
      const first = await call(p, phone, 'GET', '/api/me/sign-ins?limit=1');
      const second = await call(
        p,
        phone,
        'GET',
        `/api/me/sign-ins?limit=1&before=${String(first.json['next'])}`,
      );
      expect((second.json['signIns'] as Array<{ id: string }>)[0]!.id).toBe(list[1]!['id']);
      expect((await call(p, phone, 'GET', '/api/me/sign-ins?limit=0')).json['code']).toBe('request_invalid');
    });

    it('fail-history-without-a-session-is-refused', async () => {
      expect((await call(p, '', 'GET', '/api/me/sign-ins')).status).toBe(401);
    });
  });

  describe('sessions and signing out', () => {
    it('ok-signing-out-one-session-ends-it-its-op-session-and-tells-its-services', async () => {
      const r = await passkeyResident(p, sim);
      const mine = await signInFrom(p, r, ANDROID_CHROME);
      const other = await signInFrom(p, r, IPHONE_SAFARI);
      const path = `/one/${t.engine}/${Math.random().toString(36).slice(2)}`;
      const rp = await registerRp(p, { backchannelLogoutUri: `${bcl.url}${path}` });
      const { tokens } = await login(new Browser(other), rp);
      const sid = tokens.claims()!['sid'] as string;
      expect(typeof sid).toBe('string');

      const listed = await call(p, mine, 'GET', '/api/me/sessions');
      const sessions = listed.json['sessions'] as Array<{
        id: string;
        current: boolean;
        device: { system: string };
        services: Array<{ name: string }>;
      }>;
      const iphone = sessions.find((s) => s.device.system === 'ios')!;
      expect(iphone.current).toBe(false);
      expect(iphone.services).toEqual([{ clientId: rp.clientId, name: 'Test RP' }]);
      expect(sessions.find((s) => s.current)!.device.system).toBe('android');

      expect((await call(p, mine, 'DELETE', `/api/me/sessions/${iphone.id}`)).status).toBe(204);
      expect(await live(p, other)).toBe(401);
      expect(await live(p, mine)).toBe(200);
      // Its provider session is gone; the back-channel logout token names the session (sid).
      const opSessions = await t.db
        .selectFrom('oidc_models')
        .select('payload')
        .where('model', '=', 'Session')
        .execute();
      expect(opSessions.filter((s) => JSON.stringify(s.payload).includes(sid))).toEqual([]);
      await new EventDeliverer(p.deps, { random: () => 0.5 }).drain();
      const got = bcl.received.filter((x) => x.path === path);
      expect(got).toHaveLength(1);
      const token = decodeJwt(new URLSearchParams(got[0]!.body).get('logout_token')!);
      expect(token['sid']).toBe(sid);
      expect(token.sub).toBe(tokens.claims()!.sub);
      expect(token['events']).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
      // Ended sessions stay in the history, marked as signed out.
      const history = (await call(p, mine, 'GET', '/api/me/sign-ins')).json['signIns'] as Array<{
        id: string;
        ended: string | null;
      }>;
      expect(history.find((h) => h.id === iphone.id)?.ended).toBe('signed_out');
    });

    it('ok-signing-out-the-current-session-clears-the-cookie', async () => {
      const r = await passkeyResident(p, sim);
      const mine = await signInFrom(p, r, ANDROID_CHROME);
      const sessions = (await call(p, mine, 'GET', '/api/me/sessions')).json['sessions'] as Array<{
        id: string;
        current: boolean;
      }>;
      const res = await call(p, mine, 'DELETE', `/api/me/sessions/${sessions.find((s) => s.current)!.id}`);
      expect(res.status).toBe(204);
      expect(res.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=;`))).toBe(true);
      expect(await live(p, mine)).toBe(401);
    });

    it('fail-another-residents-or-an-unknown-session-is-not-found-and-stays', async () => {
      const a = await passkeyResident(p, sim);
      const b = await passkeyResident(p, sim);
      const bSessions = (await call(p, b.client.cookie!, 'GET', '/api/me/sessions')).json[
        'sessions'
      ] as Array<{
        id: string;
      }>;
      const theirs = await call(p, a.client.cookie!, 'DELETE', `/api/me/sessions/${bSessions[0]!.id}`);
      expect(theirs.status).toBe(404);
      expect(theirs.json['code']).toBe('session_not_found');
      expect(await live(p, b.client.cookie!)).toBe(200);
      expect((await call(p, a.client.cookie!, 'DELETE', '/api/me/sessions/not-a-uuid')).json['code']).toBe(
        'session_not_found',
      );
      const bad = await call(p, a.client.cookie!, 'POST', '/api/me/sessions/sign-out-everywhere', {
        refreshTokens: 'maybe',
      });
      expect(bad.status).toBe(400);
      expect(bad.json['code']).toBe('request_invalid');
      expect(await live(p, a.client.cookie!)).toBe(200);
    });

    it('ok-everywhere-ends-every-session-and-keeps-refresh-tokens-unless-asked', async () => {
      const r = await passkeyResident(p, sim);
      const phone = await signInFrom(p, r, ANDROID_CHROME);
      const laptop = await signInFrom(p, r, IPHONE_SAFARI);
      const path = `/all/${t.engine}/${Math.random().toString(36).slice(2)}`;
      const rp = await registerRp(p, { backchannelLogoutUri: `${bcl.url}${path}` });
      const { tokens } = await login(new Browser(laptop), rp, {
        scope: 'openid offline_access',
        prompt: 'consent',
      });
      expect(tokens.refresh_token).toBeDefined();

      const out = await call(p, phone, 'POST', '/api/me/sessions/sign-out-everywhere', {});
      expect(out.status).toBe(200);
      expect(out.json).toMatchObject({
        providerSessionsEnded: 1,
        logoutTokensQueued: 1,
        refreshTokensRevoked: 0,
      });
      expect(out.json['sessionsEnded']).toBeGreaterThanOrEqual(3);
      for (const c of [phone, laptop, r.client.cookie!]) expect(await live(p, c)).toBe(401);
      await new EventDeliverer(p.deps, { random: () => 0.5 }).drain();
      expect(bcl.received.filter((x) => x.path === path)).toHaveLength(1);
      // Kept: the service's offline access is the consent's, not a browser's.
      const refreshed = await client.refreshTokenGrant(rp.config, tokens.refresh_token!);
      expect(refreshed.access_token).toBeDefined();

      // Asked: the refresh tokens go too (the consent stays).
      const again = await signInFrom(p, r, ANDROID_CHROME);
      const revoke = await call(p, again, 'POST', '/api/me/sessions/sign-out-everywhere', {
        refreshTokens: 'revoke',
      });
      expect(revoke.json).toMatchObject({
        refreshTokensRevoked: 1,
        providerSessionsEnded: 0,
        logoutTokensQueued: 1,
      });
      expect(await oauthError(client.refreshTokenGrant(rp.config, refreshed.refresh_token!))).toBe(
        'invalid_grant',
      );
      const consents = await r.client.req('GET', '/api/me/consents');
      expect(consents.status).toBe(401); // signed out everywhere, this client too
      // That service's provider session is gone (signed out above), its grant is not: the second
      // sign-out tells it with sub alone, i.e. every session of this resident there (§2.4).
      await new EventDeliverer(p.deps, { random: () => 0.5 }).drain();
      const tokensAtRp = bcl.received
        .filter((x) => x.path === path)
        .map((x) => decodeJwt(new URLSearchParams(x.body).get('logout_token')!));
      expect(tokensAtRp).toHaveLength(2);
      expect(tokensAtRp[0]!['sid']).toBeDefined();
      expect(tokensAtRp[1]!['sid']).toBeUndefined();
      expect(tokensAtRp[1]!.sub).toBe(tokens.claims()!.sub);
      const audit = await t.db
        .selectFrom('audit_log')
        .select(['type', 'payload'])
        .where('account_id', '=', r.accountId)
        .where('type', '=', 'session.signed_out')
        .orderBy('seq')
        .execute();
      expect(audit.map((a) => (a.payload as { scope: string }).scope)).toEqual(['everywhere', 'everywhere']);
    });
  });

  describe('download my data', () => {
    it('ok-export-is-one-json-attachment-of-everything-held-without-a-my-number', async () => {
      const r = await passkeyResident(p, sim);
      const cookie = await signInFrom(p, r, ANDROID_CHROME);
      const rp = await registerRp(p);
      await login(new Browser(cookie), rp, { scope: 'openid profile age' });
      await call(p, cookie, 'POST', '/api/me/personas', { name: '買い物', claims: ['over_20'] });
      const res = await call(p, cookie, 'GET', '/api/me/export');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('content-disposition')).toMatch(
        /^attachment; filename="watashi-my-data-\d{4}-\d{2}-\d{2}\.json"$/,
      );
      expect(res.headers.get('cache-control')).toBe('no-store');
      const data = JSON.parse(res.text) as Record<string, unknown>;
      expect(data['format']).toBe('watashi-account-export/1');
      expect((data['account'] as { id: string }).id).toBe(r.accountId);
      const attributes = (await call(p, cookie, 'GET', '/api/me/attributes')).json['verified'] as {
        name: string;
        address: string;
      };
      expect(data['verifiedAttributes']).toMatchObject({
        name: attributes.name,
        address: attributes.address,
      });
      const auths = data['authenticators'] as Array<Record<string, unknown>>;
      expect(auths.map((a) => a['type'])).toContain('passkey');
      expect(data['signIns']).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ userAgent: ANDROID_CHROME, authenticatorType: 'passkey' }),
        ]),
      );
      expect(data['personas']).toEqual([expect.objectContaining({ name: '買い物', claims: ['over_20'] })]);
      expect(data['consentsToServices']).toEqual([expect.objectContaining({ clientId: rp.clientId })]);
      expect((data['disclosures'] as unknown[]).length).toBeGreaterThan(0);
      expect((data['cardCertificates'] as unknown[]).length).toBeGreaterThan(0);

      // No secret and no My Number: no key names one, and no value is a 12-digit number.
      const keys: string[] = [];
      const values: string[] = [];
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (typeof v === 'object' && v !== null)
          for (const [k, x] of Object.entries(v)) {
            keys.push(k);
            walk(x);
          }
        else values.push(String(v));
      };
      walk(data);
      expect(
        keys.filter((k) => /my.?number|individual.?number|kojin|token.?hash|secret|ciphertext/i.test(k)),
      ).toEqual([]);
      expect(values.filter((v) => /^\d{12}$/.test(v.replace(/[\s-]/g, '')))).toEqual([]);
      // The export itself is recorded (what, not the content).
      const audit = await t.db
        .selectFrom('audit_log')
        .select('payload')
        .where('account_id', '=', r.accountId)
        .where('type', '=', 'account.data_exported')
        .execute();
      expect(audit).toHaveLength(1);
    });

    it('fail-export-without-a-session-or-after-closing-is-refused', async () => {
      expect((await call(p, '', 'GET', '/api/me/export')).status).toBe(401);
      const r = await passkeyResident(p, sim);
      const cookie = r.client.cookie!;
      // Closing still needs the typed confirmation and a recent sign-in (lifecycle/account-routes.ts).
      expect((await r.client.req('DELETE', '/api/me', { confirm: 'yes' })).body['code']).toBe(
        'confirmation_required',
      );
      expect((await r.client.req('DELETE', '/api/me', { confirm: 'close' })).status).toBe(204);
      expect((await call(p, cookie, 'GET', '/api/me/export')).status).toBe(401);
    });
  });
});
