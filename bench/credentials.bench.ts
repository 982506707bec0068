/**
 * `npm run bench:credentials` — presentations verified per second at the counter endpoint
 * (`POST /counter/response` through real HTTP into the whole platform on embedded PGlite: the
 * request row, the issuer signature, the disclosures, the key-binding JWT, the status list built
 * from the rows and its signature, the atomic consumption), beside the bare ES256 signature
 * verifications a presentation needs (issuer JWT, key-binding JWT, status list JWT) with node:crypto
 * in the same run. BENCH_COUNT (default 300) presentations, 8 at a time.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createPlatform } from '../packages/platform/src/platform.ts';
import { openDatabase } from '../packages/platform/src/store/database.ts';
import { Client, enrolResident, type TestPlatform } from '../packages/platform/test/authn/support.ts';
import { simTrust, startSim } from '../packages/platform/test/enrolment/support.ts';

const COUNT = Number(process.env['BENCH_COUNT'] ?? 300);
const PUBLIC_URL = 'https://watashi.example';
const PRE_AUTH = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
const sha = (s: string) => createHash('sha256').update(s).digest('base64url');

const sim = await startSim('bench-credentials', new Date(Math.floor(Date.now() / 1000) * 1000));
const database = await openDatabase({ dataDir: 'memory://' });
const platform = await createPlatform(
  {
    mode: 'simulation',
    host: '127.0.0.1',
    port: 0,
    publicUrl: PUBLIC_URL,
    jlis: { kind: 'simulator', url: sim.url, operatorId: 'bench' },
    keyStore: { kind: 'memory' },
    rateLimits: { enabled: false },
    logLevel: 'silent',
  },
  { database, trust: await simTrust(sim), now: () => sim.clock.now() },
);
try {
  const base = await platform.listen();
  const p = { deps: platform.deps, url: base } as unknown as TestPlatform;
  const resident = await enrolResident(p, sim);
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const form = async (path: string, fields: Record<string, string>) =>
    (await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    }).then((r) => r.json())) as Record<string, unknown>;
  const offer = (await resident.client.post('/api/credentials/offer')).body.credential_offer as {
    grants: Record<string, { 'pre-authorized_code': string }>;
  };
  const token = await form('/credentials/token', {
    grant_type: PRE_AUTH,
    'pre-authorized_code': offer.grants[PRE_AUTH]!['pre-authorized_code'],
  });
  const nonce = (await new Client(base).post('/credentials/nonce')).body.c_nonce as string;
  const now = () => Math.floor(sim.clock.now().getTime() / 1000);
  const proof = await new SignJWT({ nonce })
    .setProtectedHeader({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk })
    .setAudience(PUBLIC_URL)
    .setIssuedAt(now())
    .sign(privateKey);
  const issued = (await fetch(`${base}/credentials/credential`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${String(token.access_token)}` },
    body: JSON.stringify({
      credential_configuration_id: 'watashi_resident_attributes',
      proofs: { jwt: [proof] },
    }),
  }).then((r) => r.json())) as { credentials: [{ credential: string }] };
  const credential = issued.credentials[0].credential;
  const parts = credential.split('~');
  const over20 = parts.filter(
    (d, i) => i > 0 && d !== '' && Buffer.from(d, 'base64url').toString().includes('"over_20"'),
  );
  const prefix = `${[parts[0], ...over20].join('~')}~`;

  // Counter requests and their presentations, made before the clock starts (the wallet's work).
  const jobs: Array<{ state: string; body: string }> = [];
  for (let i = 0; i < COUNT; i++) {
    const req = (await new Client(base).post('/api/counter/requests')).body;
    const q = new URL(req.uri as string).searchParams;
    const kb = await new SignJWT({
      nonce: q.get('nonce'),
      aud: q.get('client_id') ?? '',
      sd_hash: sha(prefix),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'kb+jwt' })
      .setIssuedAt(now())
      .sign(privateKey);
    jobs.push({
      state: q.get('state')!,
      body: new URLSearchParams({
        state: q.get('state')!,
        vp_token: JSON.stringify({ watashi_over_20: [prefix + kb] }),
      }).toString(),
    });
  }

  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const res = await fetch(`${base}/counter/response`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: job.body,
      });
      await res.arrayBuffer();
      if (res.status !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const endpointRate = COUNT / ((performance.now() - t0) / 1000);

  // The bare signatures: the issuer JWT, the key-binding JWT, and the status list JWT, each
  // verified with node:crypto (ES256, ieee-p1363) COUNT times.
  const statusList = await (await fetch(`${base}/credentials/status/1`)).text();
  const issuerJwks = (
    (await (await fetch(`${base}/.well-known/jwt-vc-issuer`)).json()) as {
      jwks: { keys: Array<Record<string, string>> };
    }
  ).jwks.keys;
  const issuerKey = createPublicKey({ key: issuerJwks[0]!, format: 'jwk' });
  const holderKey = createPublicKey({ key: jwk, format: 'jwk' });
  const lastKb = JSON.parse(jobs.at(-1)!.body && new URLSearchParams(jobs.at(-1)!.body).get('vp_token')!) as {
    watashi_over_20: [string];
  };
  const kbJwt = lastKb.watashi_over_20[0].split('~').at(-1)!;
  const pairs = [
    [parts[0]!, issuerKey],
    [kbJwt, holderKey],
    [statusList, issuerKey],
  ] as const;
  const t1 = performance.now();
  let bad = 0;
  for (let i = 0; i < COUNT; i++)
    for (const [jws, key] of pairs) {
      const [h, pl, s] = jws.split('.');
      if (
        !verify(
          'sha256',
          Buffer.from(`${h}.${pl}`),
          { key, dsaEncoding: 'ieee-p1363' },
          Buffer.from(s!, 'base64url'),
        )
      )
        bad++;
    }
  const bareRate = COUNT / ((performance.now() - t1) / 1000);

  console.log(
    [
      `credentials: ${COUNT} presentations of over_20, 8 at a time, embedded PGlite`,
      `  counter endpoint (HTTP + request row + SD-JWT + KB + status list + consume) ${endpointRate.toFixed(0).padStart(7)} /s (${failed} refused)`,
      `  bare signature verifications, 3 ES256 per presentation                   ${bareRate.toFixed(0).padStart(7)} /s (${bad} bad)`,
      `  endpoint / bare                                                          ${(endpointRate / bareRate).toFixed(3)}×`,
    ].join('\n'),
  );
} finally {
  await platform.close();
  await database.close();
  await sim.close();
}
