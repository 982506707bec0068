// The interaction API behind the wallet's consent and step-up pages (oidc/interaction-api.ts), on
// both engines, driven by openid-client: what the consent screen shows (the RP, who is signed in,
// every persona with the exact values it would send), the persona remembered per RP and
// preselected, never widened silently (also through the server-rendered form), the step-up's
// ways or its clear refusal, ui_locales, and the API's problems.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JpkiTrustStore } from '@watashi/jpki';
import { forEachEngine } from '../db/harness.ts';
import { simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import type { TestPlatform } from '../authn/support.ts';
import {
  authorizationUrl,
  Browser,
  browserJson,
  client,
  exchange,
  follow,
  passkeyResident,
  registerRp,
  startOidcPlatform,
  type PasskeyResident,
  type Started,
  type Stop,
  type TestRp,
} from './support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;

beforeAll(async () => {
  sim = await startSim('oidc-interaction-api', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
});

interface ValueView {
  claim: string;
  label: string;
  display: string | null;
}
interface OptionView {
  id: string;
  kind: string;
  name: string | null;
  values: ValueView[];
  widens: boolean;
}

/** The interaction uid of a stop (the consent page's, or the wallet's return_to). */
function uidOf(stop: Stop): string {
  if (stop.kind === 'consent') return stop.uid;
  const path = stop.kind === 'wallet' ? stop.url.searchParams.get('return_to')! : stop.url.pathname;
  return /\/oidc\/interaction\/([^/?]+)/.exec(path)![1]!;
}

forEachEngine((t) => {
  let p: TestPlatform & { issuer: string };
  beforeAll(async () => {
    p = await startOidcPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  const api = (uid: string, rest = '') => `${p.url}/oidc/interaction/${uid}${rest}`;

  /** Starts an authorization request and follows it to the consent step. */
  async function toConsent(b: Browser, rp: TestRp, params: Record<string, string>) {
    const started = await authorizationUrl(rp, params);
    const stop = await follow(b, started.url.href, rp.redirectUri);
    if (stop.kind !== 'consent') throw new Error(`expected consent, got ${stop.kind}`);
    return { started, stop, uid: uidOf(stop) };
  }

  /** Approves through the API with `persona` and exchanges the code; returns the userinfo. */
  async function approve(b: Browser, rp: TestRp, started: Started, uid: string, persona: string) {
    const d = await browserJson(b, api(uid, '/details'));
    const res = await browserJson(b, api(uid, '/decision'), {
      method: 'POST',
      body: { csrf: d.body['csrf'], decision: 'approve', persona },
    });
    expect(res.status).toBe(200);
    const cb = await follow(b, String(res.body['location']), rp.redirectUri);
    if (cb.kind !== 'callback') throw new Error(`expected callback, got ${cb.kind}`);
    const tokens = await exchange(rp, started, cb.url);
    const info = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
    return { tokens, info };
  }

  async function attributes(r: PasskeyResident) {
    return (await r.client.req('GET', '/api/me/attributes')).body['verified'] as {
      name: string;
      dateOfBirth: string;
    };
  }

  describe('consent details', () => {
    it('ok-details-name-the-rp-the-resident-and-every-personas-exact-values', async () => {
      const r = await passkeyResident(p, sim);
      const attrs = await attributes(r);
      const persona = await r.client.post('/api/me/personas', { name: 'お酒', claims: ['over_20'] });
      const rp = await registerRp(p, { allowedClaims: ['name', 'birthdate', 'over_20'] });
      const b = new Browser(r.client.cookie);
      const { uid } = await toConsent(b, rp, { scope: 'openid profile age' });
      const d = await browserJson(b, api(uid, '/details'));
      expect(d.status).toBe(200);
      expect(d.body).toMatchObject({
        prompt: 'consent',
        rp: { name: 'Test RP', purpose: 'テストのため / testing' },
        signedInAs: { displayName: attrs.name.replace('\u3000', ' ') },
        locale: 'ja',
        requested: ['name', 'birthdate', 'over_20'],
        selected: '',
        remembered: null,
        newClaims: [],
      });
      const options = d.body['options'] as OptionView[];
      expect(options.map((o) => [o.kind, o.name])).toEqual([
        ['persona', 'お酒'],
        ['all', null],
      ]);
      expect(options[0]!.id).toBe(persona.body['id']);
      expect(options[0]!.values).toEqual([{ claim: 'over_20', label: '20歳以上', display: 'はい' }]);
      const [y, m, day] = attrs.dateOfBirth.split('-').map(Number);
      const birth = options[1]!.values[1]?.display ?? '';
      expect(birth).toMatch(new RegExp(`^(昭和|平成|令和)(元|\\d+)年${m}月${day}日 \\(${y}年\\)$`));
      expect(options[1]!.values).toEqual([
        { claim: 'name', label: '氏名', display: attrs.name.replace('\u3000', ' ') },
        {
          claim: 'birthdate',
          label: '生年月日',
          display: birth,
        },
        { claim: 'over_20', label: '20歳以上', display: 'はい' },
      ]);
    });

    it('fail-problems-bad-csrf-missing-persona-foreign-persona-and-another-browser', async () => {
      const r = await passkeyResident(p, sim);
      const other = await passkeyResident(p, sim);
      const theirs = await other.client.post('/api/me/personas', { name: 'x', claims: ['over_20'] });
      const rp = await registerRp(p);
      const b = new Browser(r.client.cookie);
      const { uid } = await toConsent(b, rp, { scope: 'openid profile' });
      const d = await browserJson(b, api(uid, '/details'));
      const post = (body: unknown) => browserJson(b, api(uid, '/decision'), { method: 'POST', body });
      const csrf = String(d.body['csrf']);
      const cases: Array<[unknown, number, string]> = [
        [{ csrf: 'x'.repeat(43), decision: 'approve', persona: '' }, 403, 'csrf_invalid'],
        [{ csrf, decision: 'approve' }, 400, 'request_invalid'],
        [{ csrf, decision: 'maybe', persona: '' }, 400, 'request_invalid'],
        [{ csrf, decision: 'approve', persona: String(theirs.body['id']) }, 400, 'persona_not_found'],
        [{ csrf, decision: 'approve', persona: 'previous' }, 400, 'persona_not_found'],
      ];
      for (const [body, status, code] of cases) {
        const res = await post(body);
        expect(res.status, JSON.stringify(body)).toBe(status);
        expect(res.body['code'], JSON.stringify(body)).toBe(code);
      }
      // Another browser of the same resident has no interaction cookie: not its interaction.
      const elsewhere = await browserJson(new Browser(r.client.cookie), api(uid, '/details'));
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body['code']).toBe('oidc_interaction_not_found');
      // Signed out: the consent details need the session.
      const signedOut = new Browser();
      for (const [k, v] of b.jar) if (k !== 'watashi_session') signedOut.jar.set(k, v);
      const anonymous = await browserJson(signedOut, api(uid, '/details'));
      expect(anonymous.status).toBe(401);
      expect(anonymous.body['code']).toBe('session_required');
      // Nothing was granted: the interaction still waits for consent.
      expect((await browserJson(b, api(uid, '/details'))).body['prompt']).toBe('consent');
    });

    it('ok-deny-through-the-api-is-access-denied-at-the-rp', async () => {
      const r = await passkeyResident(p, sim);
      const rp = await registerRp(p);
      const b = new Browser(r.client.cookie);
      const { uid } = await toConsent(b, rp, { scope: 'openid profile' });
      const d = await browserJson(b, api(uid, '/details'));
      const res = await browserJson(b, api(uid, '/decision'), {
        method: 'POST',
        body: { csrf: d.body['csrf'], decision: 'deny', persona: '' },
      });
      const cb = await follow(b, String(res.body['location']), rp.redirectUri);
      expect(cb.kind).toBe('callback');
      if (cb.kind === 'callback') expect(cb.url.searchParams.get('error')).toBe('access_denied');
    });
  });

  describe('the persona remembered per RP', () => {
    it('fail-a-new-sign-in-preselects-the-persona-and-sends-exactly-the-same-claims', async () => {
      // Issue 17: the form preselected "only what this service asks for", so one click replaced an
      // over-20-only consent with name + date of birth + over-20.
      const r = await passkeyResident(p, sim);
      const persona = await r.client.post('/api/me/personas', { name: 'お酒', claims: ['over_20'] });
      const id = String(persona.body['id']);
      const rp = await registerRp(p, { allowedClaims: ['name', 'birthdate', 'over_20'] });
      const b = new Browser(r.client.cookie);
      const first = await toConsent(b, rp, { scope: 'openid profile age' });
      const one = await approve(b, rp, first.started, first.uid, id);
      expect(Object.keys(one.info).sort()).toEqual(['over_20', 'sub']);
      // Next time (the RP asks for consent again): the persona is preselected in the form and the
      // API, and submitting the form as it is sends exactly what was sent before.
      const again = await toConsent(b, rp, { scope: 'openid profile age', prompt: 'consent' });
      const d = await browserJson(b, api(again.uid, '/details'));
      expect(d.body).toMatchObject({
        selected: id,
        remembered: { personaId: id, personaName: 'お酒', claims: ['over_20'] },
        newClaims: ['name', 'birthdate'],
      });
      const options = d.body['options'] as OptionView[];
      expect(options.find((o) => o.kind === 'all')!.widens).toBe(true);
      expect(options.find((o) => o.id === id)!.widens).toBe(false);
      // The page answers with its preselected option: exactly what was sent before.
      const two = await approve(b, rp, again.started, again.uid, String(d.body['selected']));
      expect(two.info).toEqual(one.info);
      const released = (c: Record<string, unknown>) =>
        Object.keys(c).filter((k) => ['name', 'birthdate', 'over_20'].includes(k));
      expect(released(two.tokens.claims()!)).toEqual(released(one.tokens.claims()!));
    });

    it('ok-rp-asking-for-more-lists-what-is-new-preselects-the-same-as-last-time-and-widens-only-when-chosen', async () => {
      const r = await passkeyResident(p, sim);
      const rp = await registerRp(p, { allowedClaims: ['name', 'over_20'] });
      const b = new Browser(r.client.cookie);
      const first = await toConsent(b, rp, { scope: 'openid age' });
      const one = await approve(b, rp, first.started, first.uid, '');
      expect(Object.keys(one.info).sort()).toEqual(['over_20', 'sub']);
      // The RP now also asks for the name: "everything asked for" would send more than last time.
      const more = await toConsent(b, rp, { scope: 'openid profile age' });
      const d = await browserJson(b, api(more.uid, '/details'));
      expect(d.body).toMatchObject({ selected: 'previous', newClaims: ['name'] });
      const options = d.body['options'] as OptionView[];
      expect(options.map((o) => [o.kind, o.widens])).toEqual([
        ['all', true],
        ['previous', false],
      ]);
      expect(options[1]!.values.map((v) => v.claim)).toEqual(['over_20']);
      // The preselected choice sends what was sent before.
      const same = await approve(b, rp, more.started, more.uid, String(d.body['selected']));
      expect(same.info).toEqual(one.info);
      // Chosen explicitly, everything asked for is sent.
      const wider = await toConsent(b, rp, { scope: 'openid profile age', prompt: 'consent' });
      const w = await approve(b, rp, wider.started, wider.uid, '');
      expect(Object.keys(w.info).sort()).toEqual(['name', 'over_20', 'sub']);
      // And that wider choice is what is remembered now.
      const later = await toConsent(b, rp, { scope: 'openid profile age', prompt: 'consent' });
      const ld = await browserJson(b, api(later.uid, '/details'));
      expect(ld.body).toMatchObject({
        selected: '',
        newClaims: [],
        remembered: { claims: ['name', 'over_20'] },
      });
    });

    it('ok-a-persona-edited-to-hold-more-is-not-preselected-the-same-as-last-time-is', async () => {
      const r = await passkeyResident(p, sim);
      const persona = await r.client.post('/api/me/personas', { name: 'p', claims: ['over_20'] });
      const id = String(persona.body['id']);
      const rp = await registerRp(p, { allowedClaims: ['name', 'over_20'] });
      const b = new Browser(r.client.cookie);
      const first = await toConsent(b, rp, { scope: 'openid profile age' });
      await approve(b, rp, first.started, first.uid, id);
      await r.client.req('PATCH', `/api/me/personas/${id}`, { claims: ['name', 'over_20'] });
      const again = await toConsent(b, rp, { scope: 'openid profile age', prompt: 'consent' });
      const d = await browserJson(b, api(again.uid, '/details'));
      expect(d.body['selected']).toBe('previous');
      const options = d.body['options'] as OptionView[];
      expect(options.find((o) => o.id === id)!.widens).toBe(true);
      const prev = options.find((o) => o.kind === 'previous')!;
      expect([prev.name, prev.values.map((v) => v.claim)]).toEqual(['p', ['over_20']]);
    });
  });

  describe('step-up and languages', () => {
    it('fail-aal3-step-up-has-no-way-and-going-back-is-unmet-at-the-rp', async () => {
      const r = await passkeyResident(p, sim);
      const rp = await registerRp(p);
      const b = new Browser(r.client.cookie);
      const started = await authorizationUrl(rp, { acr_values: 'urn:watashi:ac:jp:ial3-aal3' });
      const stop = await follow(b, started.url.href, rp.redirectUri);
      expect(stop.kind).toBe('wallet');
      const uid = uidOf(stop);
      const d = await browserJson(b, api(uid, '/details'));
      expect(d.body).toMatchObject({
        prompt: 'login',
        rp: { name: 'Test RP' },
        stepUp: { reason: 'authentication', needed: { aal: 3 }, ways: [], possible: false },
      });
      const back = await browserJson(b, api(uid, '/abort'), {
        method: 'POST',
        body: { csrf: d.body['csrf'] },
      });
      expect(back.status).toBe(200);
      const cb = await follow(b, String(back.body['location']), rp.redirectUri);
      if (cb.kind !== 'callback') throw new Error(`expected callback, got ${cb.kind}`);
      expect(cb.url.searchParams.get('error')).toBe('unmet_authentication_requirements');
      expect(cb.url.searchParams.get('state')).toBe(started.state);
    });

    it('ok-a-decayed-session-steps-up-with-the-passkey-and-a-new-sign-in-can-go-back', async () => {
      const r = await passkeyResident(p, sim);
      const rp = await registerRp(p);
      const b = new Browser(r.client.cookie);
      p.setNow(new Date(Date.now() + 25 * 3600_000));
      try {
        const started = await authorizationUrl(rp, { acr_values: 'urn:watashi:ac:jp:ial3-aal2' });
        const stop = await follow(b, started.url.href, rp.redirectUri);
        expect(stop.kind).toBe('wallet');
        const d = await browserJson(b, api(uidOf(stop), '/details'));
        expect(d.body['stepUp']).toEqual({
          reason: 'authentication',
          needed: { ial: 3, aal: 2 },
          ways: ['passkey'],
          possible: true,
        });
        // Signed out (no session): a plain sign-in, and going back is access_denied.
        const signedOut = new Browser();
        const s2 = await follow(
          signedOut,
          started.url.href.replace(/state=[^&]+/, 'state=x'),
          rp.redirectUri,
        );
        const d2 = await browserJson(signedOut, api(uidOf(s2), '/details'));
        expect(d2.body).toMatchObject({ prompt: 'login', signedInAs: null, stepUp: null });
        const back = await browserJson(signedOut, api(uidOf(s2), '/abort'), {
          method: 'POST',
          body: { csrf: d2.body['csrf'] },
        });
        const cb = await follow(signedOut, String(back.body['location']), rp.redirectUri);
        if (cb.kind !== 'callback') throw new Error(`expected callback, got ${cb.kind}`);
        expect(cb.url.searchParams.get('error')).toBe('access_denied');
      } finally {
        p.setNow(new Date());
      }
    });

    it('fail-browser-facing-op-errors-lead-to-the-wallet-error-page-in-the-residents-language', async () => {
      // An interaction this browser does not hold (expired, or never started here).
      const expired = await new Browser().request(`${p.url}/oidc/interaction/no-such-uid`);
      expect(expired.status).toBe(303);
      expect(expired.headers.get('location')).toBe('/wallet/error/expired?code=oidc_interaction_not_found');
      // An unknown client at the authorization endpoint, asked in English.
      const auth = new URL(`${p.issuer}/auth`);
      auth.search = new URLSearchParams({
        client_id: 'no-such-client',
        response_type: 'code',
        scope: 'openid',
        redirect_uri: 'http://127.0.0.1:9/cb',
        ui_locales: 'en',
      }).toString();
      const unknown = await new Browser().request(auth.href);
      expect(unknown.status).toBe(303);
      expect(unknown.headers.get('location')).toBe(
        '/wallet/error/unknown-service?code=invalid_client&lang=en',
      );
      // The page itself is the wallet (its shell), not an error document.
      const shown = await fetch(new URL(unknown.headers.get('location')!, p.url), {
        headers: { accept: 'text/html' },
      });
      expect(shown.status).toBe(200);
      expect(shown.headers.get('content-type')).toMatch(/^text\/html/);
      // APIs keep problem JSON, and JSON clients of the OP keep OAuth JSON errors.
      const apiProblem = await browserJson(new Browser(), `${p.url}/oidc/interaction/no-such-uid/details`);
      expect([apiProblem.status, apiProblem.body['code']]).toEqual([400, 'oidc_interaction_not_found']);
    });

    it('ok-ui-locales-en-is-handed-to-the-wallet-and-the-details-are-english', async () => {
      const discovery = (await (
        await fetch(`${p.issuer}/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      expect(discovery['ui_locales_supported']).toEqual(['ja', 'en', 'ja-x-easy']);
      const rp = await registerRp(p, { allowedClaims: ['over_20'] });
      const started = await authorizationUrl(rp, { scope: 'openid age', ui_locales: 'fr en-GB ja' });
      const stop = await follow(new Browser(), started.url.href, rp.redirectUri);
      expect(stop.kind).toBe('wallet');
      expect(stop.url.searchParams.get('lang')).toBe('en');
      const r = await passkeyResident(p, sim);
      const b = new Browser(r.client.cookie);
      const { uid } = await toConsent(b, rp, { scope: 'openid age', ui_locales: 'en' });
      const d = await browserJson(b, api(uid, '/details'));
      expect(d.body).toMatchObject({ locale: 'en', uiLocale: 'en' });
      expect((d.body['options'] as OptionView[])[0]!.values).toEqual([
        { claim: 'over_20', label: 'Aged 20 or over', display: 'Yes' },
      ]);
      // The wallet's own language choice wins over the RP's hint when it asks.
      const easy = await browserJson(b, api(uid, '/details?locale=ja-x-easy'));
      expect((easy.body['options'] as OptionView[])[0]!.values[0]!.display).toBe('はい');
      expect(easy.body['locale']).toBe('ja-x-easy');
      const bad = await browserJson(b, api(uid, '/details?locale=fr'));
      expect([bad.status, bad.body['code']]).toEqual([400, 'request_invalid']);
    });
  });
});
