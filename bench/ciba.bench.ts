/**
 * `npm run bench:ciba` — CIBA approvals completed per second end to end (docs/approvals.md,
 * docs/performance.md §8), through real HTTP into the whole platform on embedded PGlite: the RP's
 * back-channel request (openid-client, private_key_jwt), the wallet's list of pending requests, the
 * approval signed by the device key (WebCrypto P-256, a real Watashi device certificate) and
 * checked by the platform, the RP's token request, then what the RP verifies: the ID token's
 * signature (the OP's ES256 key), the device certificate's chain to the Watashi root, the device
 * key's ES256 signature over the approved transaction and that it names the RP's request. Beside
 * it, in the same run, the two bare signature verifications an approval needs (the device key's
 * over the signing input, the OP's over the ID token) with node:crypto; the ratio is printed.
 * BENCH_COUNT (default 200) approvals, BENCH_CONCURRENCY (default 4, at most 5: CIBA_MAX_PENDING
 * per resident) at a time.
 */
import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  compactVerify,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair as joseKeyPair,
  importX509,
  jwtVerify,
  type JSONWebKeySet,
} from 'jose';
import { buildCertificationRequest } from '@watashi/ca';
import { generateKeyPair, toBase64, webCryptoSigner } from '@watashi/pki';
import { CIBA_GRANT_TYPE, CIBA_MAX_PENDING } from '../packages/platform/src/oidc/ciba.ts';
import { addRelyingParty } from '../packages/platform/src/oidc/registry.ts';
import { openDatabase } from '../packages/platform/src/store/database.ts';
import type { EngineContext } from '../packages/platform/test/db/harness.ts';
import { simTrust, startSim } from '../packages/platform/test/enrolment/support.ts';
import {
  Browser,
  client,
  freePort,
  login,
  passkeyResident,
  startOidcPlatform,
} from '../packages/platform/test/oidc/support.ts';

const COUNT = Number(process.env['BENCH_COUNT'] ?? 200);
const CONCURRENCY = Math.min(Number(process.env['BENCH_CONCURRENCY'] ?? 4), CIBA_MAX_PENDING);

const sim = await startSim('bench-ciba', new Date(Math.floor(Date.now() / 1000) * 1000));
const database = await openDatabase({ dataDir: 'memory://' });
// The RP's published keys (oidc-provider requires a jwks_uri of a pairwise CIBA client).
const { privateKey: rpKey, publicKey: rpPublic } = await joseKeyPair('ES256', { extractable: true });
const rpJwks = JSON.stringify({
  keys: [{ ...(await exportJWK(rpPublic)), alg: 'ES256', use: 'sig', kid: 'rp' }],
});
const jwksPort = await freePort();
const jwksServer = createServer((_req, res) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(rpJwks),
);
await new Promise<void>((r) => jwksServer.listen(jwksPort, '127.0.0.1', r));
const p = await startOidcPlatform({ database } as unknown as EngineContext, sim, await simTrust(sim));
try {
  // The resident: a passkey (to sign in at the RP once, which records the pairwise sub) and a
  // device key with an active watashi-device-auth certificate (to approve).
  const resident = await passkeyResident(p, sim);
  const pair = await generateKeyPair('ECDSA-SHA256');
  const sign = async (data: Uint8Array) =>
    new Uint8Array(
      await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new Uint8Array(data)),
    );
  const csr = await buildCertificationRequest(await webCryptoSigner(pair, 'ECDSA-SHA256'));
  const issued = await resident.client.post('/api/devices/certificates', {
    csr: toBase64(csr),
    profile: 'watashi-device-auth',
    slot: 'phone',
    keyStorage: 'webcrypto',
  });
  const device = issued.body as {
    device: { serial: string; certificate: string };
    activation: { challenge: string; message: string };
  };
  const activated = await resident.client.post(`/api/devices/certificates/${device.device.serial}/activate`, {
    challenge: device.activation.challenge,
    signature: toBase64(await sign(new Uint8Array(Buffer.from(device.activation.message, 'base64')))),
  });
  if (activated.status !== 200) throw new Error(`device: ${JSON.stringify(activated.body)}`);

  const added = await addRelyingParty(p.deps, {
    name: 'ベンチ銀行',
    purpose: 'bench',
    redirectUris: ['http://127.0.0.1:9/cb'],
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwksUri: `http://127.0.0.1:${jwksPort}/jwks`,
    cibaDeliveryMode: 'poll',
  });
  const clientId = added.relyingParty.clientId;
  const config = await client.discovery(
    new URL(p.issuer),
    clientId,
    { id_token_signed_response_alg: 'ES256' },
    client.PrivateKeyJwt({ key: rpKey, kid: 'rp' }),
    { execute: [client.allowInsecureRequests] },
  );
  const rp = { clientId, redirectUri: 'http://127.0.0.1:9/cb', config };
  const sub = (await login(new Browser(resident.client.cookie), rp)).tokens.claims()!.sub;

  // What the RP holds before the clock starts: the OP's keys and the pinned Watashi root.
  const opJwks = (await (await fetch(`${p.issuer}/jwks`)).json()) as JSONWebKeySet;
  const opKeys = createLocalJWKSet(opJwks);
  const root = new X509Certificate(Buffer.from(await (await fetch(`${p.url}/ca/root.crt`)).arrayBuffer()));

  let failed = 0;
  /** Milliseconds spent in each step, summed over the approvals (they overlap CONCURRENCY-fold). */
  const spent = { backchannel: 0, list: 0, sign: 0, approve: 0, token: 0, verify: 0 };
  const step = (name: keyof typeof spent, since: number): number => {
    const now = performance.now();
    spent[name] += now - since;
    return now;
  };
  let last: { signingInput: string; signature: Uint8Array; idToken: string } | undefined;
  /** One approval, end to end; true when the RP verified everything. */
  const approval = async (i: number): Promise<boolean> => {
    let at = performance.now();
    const started = await client.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: sub,
      binding_message: `B-${i}`,
    });
    at = step('backchannel', at);
    // The wallet: its pending requests, this one found by its auth_req_id, signed, approved.
    const listed = await resident.client.req('GET', '/api/approvals');
    const mine = (listed.body['requests'] as Array<{ id: string; signingInput: string }>).find(
      (r) =>
        (JSON.parse(Buffer.from(r.signingInput.split('.')[1]!, 'base64url').toString()) as { txn: string })
          .txn === started.auth_req_id,
    );
    if (mine === undefined) return false;
    at = step('list', at);
    const signature = await sign(new TextEncoder().encode(mine.signingInput));
    at = step('sign', at);
    const approved = await resident.client.post(`/api/approvals/${mine.id}/approve`, {
      certificate: device.device.certificate,
      signature: toBase64(signature),
    });
    if (approved.status !== 200) return false;
    at = step('approve', at);
    // The RP: tokens, then the checks of docs/approvals.md "The evidence an RP verifies".
    const tokens = await client.genericGrantRequest(config, CIBA_GRANT_TYPE, {
      auth_req_id: started.auth_req_id,
    });
    at = step('token', at);
    const { payload } = await jwtVerify(tokens.id_token!, opKeys, { issuer: p.issuer, audience: clientId });
    const evidence = payload['watashi_approval'] as { jws: string; x5c: string[] };
    const [leaf, ca] = evidence.x5c.map((c) => new X509Certificate(Buffer.from(c, 'base64')));
    if (!ca!.verify(root.publicKey) || !leaf!.verify(ca!.publicKey)) return false;
    const shown = await compactVerify(evidence.jws, await importX509(leaf!.toString(), 'ES256'));
    const tx = JSON.parse(new TextDecoder().decode(shown.payload)) as Record<string, unknown>;
    if (tx['txn'] !== started.auth_req_id || tx['aud'] !== clientId || tx['binding_message'] !== `B-${i}`)
      return false;
    step('verify', at);
    last = { signingInput: mine.signingInput, signature, idToken: tokens.id_token! };
    return true;
  };

  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < COUNT) if (!(await approval(next++))) failed++;
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const endToEnd = COUNT / ((performance.now() - t0) / 1000);

  // The bare signatures an approval needs, node:crypto with cached KeyObjects, COUNT times each.
  if (last === undefined) throw new Error('no approval completed');
  const deviceKey = new X509Certificate(Buffer.from(device.device.certificate, 'base64')).publicKey;
  const [h, pl, s] = last.idToken.split('.');
  const kid = (JSON.parse(Buffer.from(h!, 'base64url').toString()) as { kid: string }).kid;
  const opKey = createPublicKey({ key: opJwks.keys.find((k) => k.kid === kid)!, format: 'jwk' });
  const pairs = [
    [Buffer.from(last.signingInput), deviceKey, Buffer.from(last.signature)],
    [Buffer.from(`${h}.${pl}`), opKey, Buffer.from(s!, 'base64url')],
  ] as const;
  let bad = 0;
  const t1 = performance.now();
  for (let i = 0; i < COUNT; i++)
    for (const [data, key, sig] of pairs)
      if (!verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig)) bad++;
  const bare = COUNT / ((performance.now() - t1) / 1000);

  console.log(
    [
      `ciba: ${COUNT} approvals, ${CONCURRENCY} at a time, one resident, embedded PGlite`,
      `  end to end (backchannel → wallet list → device-key approval → token → RP checks) ${endToEnd.toFixed(1).padStart(8)} /s (${failed} failed)`,
      `  bare signature verifications, 2 ES256 per approval (device key, ID token)       ${bare.toFixed(0).padStart(8)} /s (${bad} bad)`,
      `  end to end / bare                                                               ${(endToEnd / bare).toFixed(4)}×`,
      `  mean ms per approval: ${Object.entries(spent)
        .map(([k, v]) => `${k} ${(v / COUNT).toFixed(1)}`)
        .join(', ')}`,
    ].join('\n'),
  );
  if (failed > 0 || bad > 0) process.exitCode = 1;
} finally {
  await p.close();
  await database.close();
  await new Promise((r) => jwksServer.close(r));
  await sim.close();
}
