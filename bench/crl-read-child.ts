/**
 * Child process of `bench/crl-reader.bench.ts`: reads one CRL, verifies it against the CA and
 * builds the lookup index, then measures lookups. Runs in its own process so its peak RSS is
 * measured exactly like `openssl crl`'s. Prints one JSON line.
 *
 * Usage: node --import tsx bench/crl-read-child.ts <crl.der> <ca.pem> [file|memory] [queries=1000000]
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseCertificate } from '../packages/pki/src/cert/parse.ts';
import { fromPem } from '../packages/pki/src/der/hex.ts';
import { readCrl, type CrlIndex } from '../packages/pki/src/crl/read.ts';
import { verifyCrl } from '../packages/pki/src/crl/verify.ts';
import { nodeCrlVerifier, readCrlFile } from '@watashi/pki/node';
import { nodeDigest } from '../packages/pki/src/node/crypto.ts';

const [crlPath, caPath, mode = 'file', q = '1000000'] = process.argv.slice(2);
if (!crlPath || !caPath)
  throw new TypeError('usage: crl-read-child.ts <crl.der> <ca.pem> [file|memory] [queries]');
const queries = Number(q);
const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10;

const t0 = performance.now();
const ca = parseCertificate(fromPem(readFileSync(caPath, 'utf8'), 'CERTIFICATE'));
const index: CrlIndex = mode === 'memory' ? readCrl(readFileSync(crlPath)) : await readCrlFile(crlPath);
const t1 = performance.now();
await verifyCrl(index, ca.spki, nodeCrlVerifier(), {
  // The benchmark's CRL is generated once and reused: its age is not what is measured.
  now: 'not-checked',
  issuerName: ca.subject.der,
  ...(ca.subjectKeyId ? { issuerKeyId: ca.subjectKeyId } : {}),
  digest: nodeDigest,
});
const t2 = performance.now();
const ingestMaxRssMiB = mib(process.resourceUsage().maxRSS * 1024);
const heapMiB = mib(process.memoryUsage().heapUsed);
const arrayBuffersMiB = mib(process.memoryUsage().arrayBuffers);

// Lookups: 1% listed serials, 99% random serials of the same length, from raw INTEGER bytes
// (as taken from a certificate) and from bigints.
const W = 16;
const listed: Uint8Array[] = [];
let n = 0;
for (const e of queries > 0 ? index.entries() : []) {
  if (n++ % 97 !== 0) continue;
  listed.push(Buffer.from(e.serial.toString(16).padStart(W * 2, '0'), 'hex'));
  if (listed.length >= 10_000) break;
}
const pool = randomBytes(queries * W);
for (let i = 0; i < queries; i++) pool[i * W] = pool[i * W]! & 0x7f;
for (let i = 0; i < queries && listed.length > 0; i += 100)
  pool.set(listed[(i / 100) % listed.length]!, i * W);
let hits = 0;
const t3 = performance.now();
for (let i = 0; i < queries; i++) if (index.has(pool.subarray(i * W, i * W + W))) hits++;
const t4 = performance.now();
const big: bigint[] = [];
const qb = Math.min(queries, 200_000);
for (let i = 0; i < qb; i++) big.push(BigInt('0x' + pool.toString('hex', i * W, i * W + W)));
let hitsBig = 0;
const t5 = performance.now();
for (const b of big) if (index.lookup(b) !== undefined) hitsBig++;
const t6 = performance.now();

console.log(
  JSON.stringify({
    mode,
    entries: index.size,
    readMs: Math.round(t1 - t0),
    verifyMs: Math.round(t2 - t1),
    ingestMs: Math.round(t2 - t0),
    ingestMaxRssMiB,
    heapMiB,
    arrayBuffersMiB,
    queries,
    hits,
    lookupsPerSecBytes: queries ? Math.round(queries / ((t4 - t3) / 1000)) : 0,
    hitsBig,
    lookupsPerSecBigint: qb ? Math.round(qb / ((t6 - t5) / 1000)) : 0,
    maxRssMiB: mib(process.resourceUsage().maxRSS * 1024),
  }),
);
