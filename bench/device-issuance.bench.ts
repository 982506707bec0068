/**
 * `npm run bench:devices` — device certificate issuance by the Watashi CA engine (@watashi/ca) with
 * the issuing key in the local store (node:crypto) and in SoftHSM2 (PKCS#11), beside `openssl ca`
 * signing the same number of PKCS#10 requests with the same profile's extensions in one run
 * (`-infiles`, one process). Measures the CA step only (CSR check + certificate), not HTTP or the
 * database (docs/trust-service.md §7). BENCH_COUNT (default 300) certificates per case.
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

const COUNT = Number(process.env['BENCH_COUNT'] ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'watashi-bench-devices-'));
const pem = (der: Uint8Array, label = 'CERTIFICATE'): string =>
  `-----BEGIN ${label}-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END ${label}-----\n`;

try {
  const tokenConfig = softHsmToken('bench-ca');
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
  console.log(`local key / openssl ca: ${(local / opensslRate).toFixed(2)}×`);
  token.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
