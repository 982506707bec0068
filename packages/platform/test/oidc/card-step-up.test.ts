// The My Number card inside the OpenID Provider's interaction (issue 17), on both engines over real
// HTTP, the RP being openid-client: the provider sends the resident to the wallet; the wallet asks
// which way meets the RP's request (the interaction's `GET …/details` `stepUp`, the one endpoint
// that answers it; rule in authn/step-up.ts) and uses it — re-proofing in
// one step (the session is kept) or signing in with the card — then returns to the interaction,
// and the RP receives the same pairwise `sub` at the requested level.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toBase64 } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import { forEachEngine } from '../db/harness.ts';
import { simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import { Client, type TestPlatform } from '../authn/support.ts';
import {
  answerConsent,
  authorizationUrl,
  Browser,
  browserJson,
  exchange,
  follow,
  login,
  passkeyResident,
  registerRp,
  startOidcPlatform,
  type PasskeyResident,
  type Stop,
  type TestRp,
} from './support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;

beforeAll(async () => {
  sim = await startSim('oidc-card-step-up', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
});

const IAL3_AAL2 = 'urn:watashi:ac:jp:ial3-aal2';
const PHR = 'phr';

/** The card signs a card challenge with its user-authentication key (4-digit PIN). */
async function cardProof(r: PasskeyResident, c: Client, path: string) {
  const ch = await c.post(path);
  expect(ch.status, JSON.stringify(ch.body)).toBe(200);
  const { signature, certificate } = await r.card.rawAuth(
    new Uint8Array(Buffer.from(ch.body['message'] as string, 'base64')),
  );
  return {
    challenge: ch.body['challenge'],
    certificate: toBase64(certificate),
    signature: toBase64(signature),
  };
}

forEachEngine((t) => {
  let p: TestPlatform & { issuer: string };
  beforeAll(async () => {
    p = await startOidcPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  /** Goes back to the interaction the wallet was given, approving a consent if one is shown. */
  async function backToRp(b: Browser, rp: TestRp, stop: Stop): Promise<URL> {
    const returnTo = stop.url.searchParams.get('return_to');
    expect(returnTo).toMatch(/^\/oidc\/interaction\//);
    let next = await follow(b, new URL(returnTo!, p.url).href, rp.redirectUri);
    if (next.kind === 'consent') next = await answerConsent(b, next, 'approve', rp.redirectUri);
    expect(next.kind, next.url.href).toBe('callback');
    return next.url;
  }

  /** The interaction API's details URL for the interaction the wallet was sent to. */
  function detailsUrl(stop: Stop): string {
    const returnTo = stop.url.searchParams.get('return_to');
    expect(returnTo).toMatch(/^\/oidc\/interaction\/[A-Za-z0-9_-]+$/);
    return `${p.url}${returnTo!}/details`;
  }

  it('ok-moved-resident-re-proofs-in-one-step-inside-the-interaction-same-sub-at-the-rp', async () => {
    const r = await passkeyResident(p, sim);
    const rp = await registerRp(p);
    const b = new Browser(r.client.cookie);
    const before = (await login(b, rp)).tokens.claims()!.sub;
    await sim.s.sim.lifeEvent(r.card.residentId, { type: 'move' });
    sim.s.sim.refreshOcsp();
    p.freshBackend();
    // The RP asks for level 3: the provider checks the anchor now, finds it revoked and sends the
    // resident to the wallet to re-prove.
    const started = await authorizationUrl(rp, { acr_values: IAL3_AAL2 });
    const stop = await follow(b, started.url.href, rp.redirectUri);
    expect(stop.kind).toBe('wallet');
    expect(stop.url.searchParams.get('step_up')).toBe('proofing');
    // The wallet's step-up page reads what is needed from the interaction: re-proving, nothing else.
    const d = await browserJson(b, detailsUrl(stop));
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    expect(d.body['stepUp']).toEqual({
      reason: 'proofing',
      needed: { ial: 3, aal: 2 },
      ways: ['card_reproof'],
      possible: true,
    });
    // The one step: the re-proofing document signed with the card's new signing certificate.
    const issued = await r.client.post('/api/enrolments/reproofing', {});
    expect(issued.status).toBe(201);
    const bytes = new Uint8Array(Buffer.from((issued.body['document'] as { bytes: string }).bytes, 'base64'));
    const { signature, certificate } = await r.card.raw(bytes);
    const done = await r.client.post(`/api/enrolments/reproofing/${issued.body['id'] as string}/complete`, {
      signature: toBase64(signature),
      certificate: toBase64(certificate),
    });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    // The same session goes back to the interaction, which now meets the level.
    const claims = (await exchange(rp, started, await backToRp(b, rp, stop))).claims()!;
    expect(claims.sub).toBe(before);
    expect(claims.acr).toBe(IAL3_AAL2);
  });

  it('ok-card-sign-in-inside-the-interaction-finishes-the-login-at-the-card-level', async () => {
    const r = await passkeyResident(p, sim);
    const bound = await r.client.post(
      '/api/authn/card/binding',
      await cardProof(r, r.client, '/api/authn/card/binding/options'),
    );
    expect(bound.status, JSON.stringify(bound.body)).toBe(201);
    const rp = await registerRp(p);
    const b = new Browser(r.client.cookie);
    const before = (await login(b, rp)).tokens.claims()!.sub;
    // The RP asks the resident to authenticate again (prompt=login); the wallet uses the card.
    const started = await authorizationUrl(rp, { acr_values: IAL3_AAL2, prompt: 'login' });
    const stop = await follow(b, started.url.href, rp.redirectUri);
    expect(stop.kind).toBe('wallet');
    const c = new Client(p.url);
    const res = await c.post('/api/authn/card/login', await cardProof(r, c, '/api/authn/card/login/options'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    b.setWatashi(c.cookie!);
    const claims = (await exchange(rp, started, await backToRp(b, rp, stop))).claims()!;
    expect(claims.sub).toBe(before);
    expect(claims.acr).toBe(IAL3_AAL2);
    expect(claims.amr).toEqual(expect.arrayContaining(['hwk', 'pin', 'sc']));
  });

  it('ok-card-session-short-of-phishing-resistance-is-offered-the-passkey-not-the-card', async () => {
    const r = await passkeyResident(p, sim);
    const c = new Client(p.url);
    const bound = await r.client.post(
      '/api/authn/card/binding',
      await cardProof(r, r.client, '/api/authn/card/binding/options'),
    );
    expect(bound.status, JSON.stringify(bound.body)).toBe(201);
    const res = await c.post('/api/authn/card/login', await cardProof(r, c, '/api/authn/card/login/options'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // Signed in with the card; the RP asks for phishing resistance, which only the passkey has.
    const rp = await registerRp(p);
    const b = new Browser(c.cookie);
    const started = await authorizationUrl(rp, { acr_values: PHR });
    const stop = await follow(b, started.url.href, rp.redirectUri);
    expect(stop.kind).toBe('wallet');
    expect(stop.url.pathname).toBe('/wallet/step-up');
    const d = await browserJson(b, detailsUrl(stop));
    expect(d.body['stepUp']).toMatchObject({ reason: 'authentication', ways: ['passkey'], possible: true });
  });
});
