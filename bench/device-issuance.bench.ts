/**
 * `npm run bench:devices` — device certificate issuance, in one run:
 *
 * 1. the Watashi CA engine (@watashi/ca) alone (PKCS#10 check + certificate), the issuing key in
 *    the local store (node:crypto) and in SoftHSM2 (PKCS#11);
 * 2. **end to end**: the whole platform (createPlatform) over HTTP into PostgreSQL — per
 *    certificate `POST /api/devices/certificates` (CSR check, slot rule, certificate, INSERT) then
 *    `POST …/activate` (the device's signature checked with the certificate's key, the authenticator
 *    row, UPDATE) — with the CA key in the local store and in SoftHSM2, 8 clients at once;
 * 3. `openssl ca` signing the same number of PKCS#10 requests with the same profile's extensions
 *    (`-infiles`, one process).
 *
 * BENCH_COUNT (default 300) certificates per case, BENCH_CLIENTS (default 8) clients at once end to end. PostgreSQL: WATASHI_TEST_PG_URL, the local
 * server on 5432, or a private cluster started for the run (scripts/pg-private.sh).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  buildCertificationRequest,
  caUrls,
  createCaCertificates,
  openIssuingCa,
  parseCertificationRequest,
  randomSerial,
  rawP256Signer,
  type IssuingCa,
} from '../packages/ca/src/index.ts';
import { openPkcs11Token } from '../packages/ca/src/pkcs11.ts';
import { softHsmToken } from '../packages/ca/test/softhsm.ts';
import { nodeGenerateKey, nodeSigner, nodeVerifier } from '../packages/pki/src/node/index.ts';
import { createHash, randomBytes, randomUUID, sign as nodeSign, type KeyObject } from 'node:crypto';
import { createPlatform } from '../packages/platform/src/platform.ts';
import { openDatabase } from '../packages/platform/src/store/database.ts';
import { migrateToLatest } from '../packages/platform/src/store/migrate.ts';
import { SESSION_COOKIE } from '../packages/platform/src/server/sessions.ts';
import {
  createScratchDatabase,
  findPostgres,
  startPrivateCluster,
  type PrivateCluster,
  type ScratchDatabase,
} from '../packages/platform/test/db/postgres.ts';
import { simTrust, startSim } from '../packages/platform/test/enrolment/support.ts';

const COUNT = Number(process.env['BENCH_COUNT'] ?? 300);
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 8);
const dir = mkdtempSync(join(tmpdir(), 'watashi-bench-devices-'));
let cluster: PrivateCluster | undefined;
let scratch: ScratchDatabase | undefined;
const pem = (der: Uint8Array, label = 'CERTIFICATE'): string =>
  `-----BEGIN ${label}-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END ${label}-----\n`;

try {
  const tokenConfig = softHsmToken('bench-ca');
  // Made before the module is loaded: SoftHSM2 lists its tokens once, at C_Initialize.
  const platformToken = softHsmToken('bench-platform-ca');
  const token = openPkcs11Token(tokenConfig);
  const hsmKey = token.generateKey('issuing');
  const rootKey = nodeGenerateKey('ECDSA-SHA256');
  const localKey = nodeGenerateKey('ECDSA-SHA256');
  const urls = caUrls('https://watashi.example');
  const rootSigner = nodeSigner(rootKey, 'ECDSA-SHA256');
  const now = new Date();
  const device = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
  const csrs = await Promise.all(Array.from({ length: COUNT }, () => buildCertificationRequest(device)));
  const verifier = nodeVerifier();

  async function run(name: string, issuingSigner: ReturnType<typeof nodeSigner>): Promise<number> {
    const certs = await createCaCertificates({ rootSigner, issuingSigner, deployment: 'bench', urls, now });
    const ca: IssuingCa = await openIssuingCa({ ...certs, rootSigner, issuingSigner, urls });
    const t0 = performance.now();
    for (const csr of csrs) {
      const { spki } = await parseCertificationRequest(csr, verifier);
      await ca.issue({ profile: 'watashi-device-auth', serial: randomSerial(), spki, now });
    }
    const rate = COUNT / ((performance.now() - t0) / 1000);
    console.log(`${name.padEnd(34)} ${rate.toFixed(0).padStart(7)} certificates/s`);
    return rate;
  }

  const local = await run('Watashi CA, key in local store', nodeSigner(localKey, 'ECDSA-SHA256'));
  await run(
    'Watashi CA, key in SoftHSM2',
    rawP256Signer(hsmKey.spki, (d) => hsmKey.signRaw(d)),
  );

  // End to end: the platform over HTTP into PostgreSQL.
  let admin = await findPostgres();
  if (admin === undefined) {
    cluster = await startPrivateCluster();
    admin = cluster.url;
  }
  const sim = await startSim('bench-devices', new Date());
  const trust = await simTrust(sim);
  process.env['WATASHI_CA_PKCS11_PIN'] = platformToken.pin;

  async function endToEnd(name: string, pkcs11: boolean): Promise<number> {
    // A database per case: the CA's certificates are bound to the keys that made them.
    await scratch?.drop();
    scratch = await createScratchDatabase(admin!);
    const database = await openDatabase({ url: scratch.url, pool: { max: 10 } });
    await migrateToLatest(database.db);
    const platform = await createPlatform(
      {
        mode: 'simulation',
        host: '127.0.0.1',
        port: 0,
        logLevel: 'silent',
        publicUrl: 'https://watashi.example',
        keyStore: { kind: 'memory' },
        jlis: { kind: 'simulator', url: sim.url, operatorId: 'bench' },
        rateLimits: { enabled: false },
        ca: {
          freshAuthSeconds: 3600,
          ...(pkcs11
            ? { pkcs11: { module: platformToken.module, tokenLabel: platformToken.tokenLabel } }
            : {}),
        },
      },
      { database, trust },
    );
    const url = await platform.listen();
    try {
      // One account and one fresh session per client (sessions as enrolment starts them).
      const cookies: string[] = [];
      for (let c = 0; c < CLIENTS; c++) {
        const id = randomUUID();
        const at = new Date();
        await database.db
          .insertInto('accounts')
          .values({ id, person_key: randomBytes(32), person_key_id: 'bench', created_at: at, updated_at: at })
          .execute();
        const token = randomBytes(32).toString('base64url');
        await database.db
          .insertInto('sessions')
          .values({
            token_hash: new Uint8Array(createHash('sha256').update(token).digest()),
            account_id: id,
            auth_time: at,
            amr: [],
            created_at: at,
            last_seen_at: at,
            expires_at: new Date(at.getTime() + 3600_000),
          })
          .execute();
        cookies.push(`${SESSION_COOKIE}=${token}`);
      }
      // A distinct device key per certificate (the platform refuses a key that already has one).
      const keys: KeyObject[] = Array.from({ length: COUNT }, () => nodeGenerateKey('ECDSA-SHA256'));
      const requests = await Promise.all(
        keys.map((k) => buildCertificationRequest(nodeSigner(k, 'ECDSA-SHA256'))),
      );
      const post = async (cookie: string, path: string, body: unknown) => {
        const res = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie },
          body: JSON.stringify(body),
        });
        const json = (await res.json()) as Record<string, unknown>;
        if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
        return json;
      };
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        cookies.map(async (cookie, c) => {
          for (let i = next++; i < COUNT; i = next++) {
            const issued = (await post(cookie, '/api/devices/certificates', {
              csr: Buffer.from(requests[i]!).toString('base64'),
              profile: 'watashi-device-auth',
              slot: `bench-${c}-${i}`,
              keyStorage: 'webcrypto',
            })) as { device: { serial: string }; activation: { challenge: string; message: string } };
            const signature = nodeSign('sha256', Buffer.from(issued.activation.message, 'base64'), {
              key: keys[i]!,
              dsaEncoding: 'ieee-p1363',
            });
            const done = await post(cookie, `/api/devices/certificates/${issued.device.serial}/activate`, {
              challenge: issued.activation.challenge,
              signature: signature.toString('base64'),
            });
            if (done['state'] !== 'active') throw new Error(`not active: ${JSON.stringify(done)}`);
          }
        }),
      );
      const rate = COUNT / ((performance.now() - t0) / 1000);
      console.log(`${name.padEnd(34)} ${rate.toFixed(0).padStart(7)} certificates/s (issued + activated)`);
      return rate;
    } finally {
      await platform.close();
      await database.close();
    }
  }
  const e2eLocal = await endToEnd('HTTP+PostgreSQL, CA key local', false);
  await endToEnd('HTTP+PostgreSQL, CA key SoftHSM2', true);
  await sim.close();

  // openssl ca: same key type, the authentication profile's extensions, all requests in one process.
  const o = join(dir, 'openssl');
  mkdirSync(join(o, 'new'), { recursive: true });
  writeFileSync(join(o, 'index.txt'), '');
  writeFileSync(join(o, 'serial'), '1000\n');
  writeFileSync(join(o, 'ca.key'), localKey.export({ type: 'pkcs8', format: 'pem' }));
  const issuing = (
    await createCaCertificates({
      rootSigner,
      issuingSigner: nodeSigner(localKey, 'ECDSA-SHA256'),
      deployment: 'bench',
      urls,
      now,
    })
  ).issuing;
  writeFileSync(join(o, 'ca.pem'), pem(issuing));
  writeFileSync(
    join(o, 'ca.cnf'),
    `[ca]\ndefault_ca = w\n[w]\ndir = ${o}\ndatabase = $dir/index.txt\nserial = $dir/serial\nnew_certs_dir = $dir/new\ncertificate = $dir/ca.pem\nprivate_key = $dir/ca.key\ndefault_md = sha256\ndefault_days = 365\npolicy = p\nunique_subject = no\ncopy_extensions = none\nx509_extensions = e\n[p]\n[e]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = clientAuth\ncertificatePolicies = 1.3.6.1.5.5.7.13.1.2\ncrlDistributionPoints = URI:${urls.crl}\nauthorityInfoAccess = OCSP;URI:${urls.ocsp},caIssuers;URI:${urls.issuingCertificate}\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n`,
  );
  const files = csrs.map((c, i) => {
    const f = join(o, `r${i}.pem`);
    writeFileSync(f, pem(c, 'CERTIFICATE REQUEST'));
    return f;
  });
  const t0 = performance.now();
  execFileSync(
    'openssl',
    [
      'ca',
      '-batch',
      '-config',
      join(o, 'ca.cnf'),
      '-subj',
      '/C=JP/O=Watashi/CN=bench',
      '-out',
      join(o, 'out.pem'),
      '-infiles',
      ...files,
    ],
    { stdio: 'ignore' },
  );
  const opensslRate = COUNT / ((performance.now() - t0) / 1000);
  console.log(
    `${'openssl ca -infiles (one process)'.padEnd(34)} ${opensslRate.toFixed(0).padStart(7)} certificates/s`,
  );
  console.log(
    `local key / openssl ca: ${(local / opensslRate).toFixed(2)}× (CA step), ${(e2eLocal / opensslRate).toFixed(2)}× (end to end)`,
  );
  token.close();
} finally {
  await scratch?.drop();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}
