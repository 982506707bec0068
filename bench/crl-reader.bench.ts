/**
 * `npm run bench:crl [-- --entries N] [--runs R] [--queries Q] [--keep]` — the streaming CRL
 * reader against `openssl crl` (docs/performance.md §4, anchors A5, A6, A8).
 *
 * 1. Makes an RSA-2048 CA with the openssl CLI and generates a CRL of N entries (default
 *    1,000,000; 16-byte random serials, a reasonCode on every entry, as docs/performance.md §4) streaming to
 *    disk with the library's `RevokedEntriesEncoder` and frames, signed with a streaming
 *    node:crypto `createSign`: memory stays flat even at 10 M entries (~0.5 GB of DER).
 * 2. Times `openssl crl -inform DER -noout` (parse) and the same with `-CAfile` (parse + verify)
 *    and our reader in a child process (`bench/crl-read-child.ts`: read + verify signature,
 *    issuer and AKI + build the index), each under `/usr/bin/time -f "%e %M"` for wall time and
 *    peak RSS, pinned to core 0 when `taskset` exists. Medians over R runs (default 3, 1 above
 *    2 M entries).
 * 3. Prints a table, the ratios ours/openssl (time and peak RSS; A5 wants ≤ 1.0× and ≤ 0.5×,
 *    this task ≤ 1/3 of the RSS) and lookups per second (A6).
 */
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createSign, randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseCertificate } from '../packages/pki/src/cert/parse.ts';
import { fromPem } from '../packages/pki/src/der/hex.ts';
import {
  buildCrl,
  certificateListFrame,
  RevokedEntriesEncoder,
  tbsCertListFrame,
  type CrlEntry,
} from '../packages/pki/src/crl/build.ts';
import type { CrlReason } from '../packages/pki/src/crl/reason.ts';
import { nodeSigner } from '../packages/pki/src/node/crypto.ts';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
};
const N = Number(arg('entries', '1000000'));
const RUNS = Number(arg('runs', N > 2_000_000 ? '1' : '3'));
const QUERIES = Number(arg('queries', '1000000'));
const KEEP = process.argv.includes('--keep');
const SERIAL_BYTES = 16;
const CHILD = fileURLToPath(new URL('./crl-read-child.ts', import.meta.url));
/** Children run from the repository root so `--import tsx` resolves. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const TIME = '/usr/bin/time';
if (!has(TIME))
  throw new Error('GNU time (/usr/bin/time) is needed to measure peak RSS: apt-get install time');
const pin = (argv: string[]): string[] => (has('taskset') ? ['taskset', '-c', '0', ...argv] : argv);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, d = 2): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const work = mkdtempSync(join(tmpdir(), 'watashi-crl-bench-'));
const ssl = (...args: string[]): void => {
  const r = spawnSync('openssl', args, { cwd: work, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
};

/** Streams an N-entry CRL signed by the CA to `out`; returns build+sign time in ms. */
function generate(out: string): number {
  const t0 = performance.now();
  const ca = parseCertificate(fromPem(readFileSync(join(work, 'ca.pem'), 'utf8'), 'CERTIFICATE'));
  const key = createPrivateKey(readFileSync(join(work, 'ca.key'), 'utf8'));
  const entriesPath = join(work, 'entries.bin');
  const fd = openSync(entriesPath, 'w');
  const enc = new RevokedEntriesEncoder(8 << 20);
  const dates = Array.from(
    { length: 1024 },
    (_, i) => new Date(Date.UTC(2021, 0, 1) + i * 86_400_000 + i * 3_671_000),
  );
  const reasons: CrlReason[] = [
    'keyCompromise',
    'superseded',
    'cessationOfOperation',
    'superseded',
    'affiliationChanged',
    'superseded',
  ];
  const BATCH = 65_536;
  for (let i = 0; i < N; i += BATCH) {
    const rnd = randomBytes(BATCH * SERIAL_BYTES);
    for (let j = 0; j < BATCH && i + j < N; j++) {
      const o = j * SERIAL_BYTES;
      rnd[o] = rnd[o]! & 0x7f || 0x01; // positive, exactly SERIAL_BYTES long
      enc.add({
        serial: BigInt('0x' + rnd.toString('hex', o, o + SERIAL_BYTES)),
        revocationDate: dates[(i + j) & 1023]!,
        reason: reasons[(i + j) % reasons.length]!,
      });
      if (enc.pending >= 4 << 20) writeSync(fd, enc.take());
    }
  }
  writeSync(fd, enc.take());
  closeSync(fd);
  const revokedLength = enc.length;
  const now = new Date();
  const frame = tbsCertListFrame(
    {
      issuer: ca.subject.der,
      authorityKeyId: ca.subjectKeyId!,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 86_400_000),
      crlNumber: 1n,
      algorithm: 'RSA-SHA256',
    },
    revokedLength,
  );
  const chunk = Buffer.allocUnsafe(8 << 20);
  const eachChunk = (f: (b: Buffer) => void): void => {
    const rfd = openSync(entriesPath, 'r');
    for (let n; (n = readSync(rfd, chunk, 0, chunk.length, null)) > 0;) f(chunk.subarray(0, n));
    closeSync(rfd);
  };
  const s = createSign('sha256');
  s.update(frame.head);
  eachChunk((b) => s.update(b));
  s.update(frame.tail);
  const signature = new Uint8Array(s.sign(key));
  const outer = certificateListFrame(
    frame.head.length + revokedLength + frame.tail.length,
    'RSA-SHA256',
    signature,
  );
  const ofd = openSync(out, 'w');
  writeSync(ofd, outer.head);
  writeSync(ofd, frame.head);
  eachChunk((b) => writeSync(ofd, b));
  writeSync(ofd, frame.tail);
  writeSync(ofd, outer.tail);
  closeSync(ofd);
  rmSync(entriesPath);
  return performance.now() - t0;
}

/** In-memory buildCrl of min(N, 1 M) entries (anchor A8), excluding making the entry objects. */
async function buildInMemory(): Promise<{ n: number; ms: number }> {
  const n = Math.min(N, 1_000_000);
  const key = createPrivateKey(readFileSync(join(work, 'ca.key'), 'utf8'));
  const ca = parseCertificate(fromPem(readFileSync(join(work, 'ca.pem'), 'utf8'), 'CERTIFICATE'));
  const rnd = randomBytes(n * SERIAL_BYTES);
  const entries: CrlEntry[] = [];
  const when = new Date(Date.UTC(2025, 5, 1));
  for (let i = 0; i < n; i++) {
    const o = i * SERIAL_BYTES;
    rnd[o] = rnd[o]! & 0x7f || 0x01;
    entries.push({
      serial: BigInt('0x' + rnd.toString('hex', o, o + SERIAL_BYTES)),
      revocationDate: when,
      reason: 'superseded',
    });
  }
  const t0 = performance.now();
  await buildCrl({
    issuer: ca.subject.der,
    authorityKeyId: ca.subjectKeyId!,
    thisUpdate: when,
    nextUpdate: new Date(when.getTime() + 86_400_000),
    crlNumber: 2n,
    entries,
    signer: nodeSigner(key, 'RSA-SHA256'),
  });
  return { n, ms: performance.now() - t0 };
}

interface Timed {
  wall: number;
  rssMiB: number;
  stdout: string;
  stderr: string;
}
function timed(argv: string[]): Timed {
  const r = spawnSync(TIME, ['-f', '%e %M', ...pin(argv)], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  const [e, m] = last.split(' ').map(Number);
  if (r.status !== 0 || e === undefined || m === undefined || Number.isNaN(e))
    throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(-500)}`);
  return { wall: e, rssMiB: m / 1024, stdout: r.stdout, stderr: r.stderr };
}

try {
  console.log(
    `CRL reader benchmark: ${N.toLocaleString('en-US')} entries, ${RUNS} run(s) each, work dir ${work}`,
  );
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    '/C=JP/O=JPKI-SIM/OU=Bench CA',
    '-days',
    '3650',
  );
  const crl = join(work, 'crl.der');
  const genMs = generate(crl);
  const size = statSync(crl).size;
  console.log(
    `generated ${fmt(size / 1048576, 1)} MiB (${fmt(size / N, 1)} B/entry) in ${fmt(genMs / 1000)} s (streamed to disk, signed)`,
  );
  const mem = await buildInMemory();
  console.log(
    `buildCrl in memory: ${mem.n.toLocaleString('en-US')} entries built and signed in ${fmt(mem.ms / 1000)} s (A8: ≤ 2 s per million)`,
  );

  const cases: Array<{ name: string; argv: string[]; child?: boolean }> = [
    { name: 'reference: empty node --import tsx', argv: ['node', '--import', 'tsx', '-e', '0'] },
    { name: 'openssl crl -noout (parse)', argv: ['openssl', 'crl', '-inform', 'DER', '-in', crl, '-noout'] },
    {
      name: 'openssl crl -CAfile (parse+verify)',
      argv: ['openssl', 'crl', '-inform', 'DER', '-in', crl, '-CAfile', join(work, 'ca.pem'), '-noout'],
    },
    {
      name: 'ours readCrlFile (chunked) + verify',
      argv: ['node', '--import', 'tsx', CHILD, crl, join(work, 'ca.pem'), 'file', String(QUERIES)],
      child: true,
    },
    {
      name: 'ours readCrl (whole file) + verify',
      argv: ['node', '--import', 'tsx', CHILD, crl, join(work, 'ca.pem'), 'memory', String(QUERIES)],
      child: true,
    },
  ];
  const rows: Array<{ name: string; wall: number; rss: number; detail?: Record<string, number> }> = [];
  for (const c of cases) {
    const walls: number[] = [];
    const rss: number[] = [];
    const details: Array<Record<string, number>> = [];
    for (let r = 0; r < RUNS; r++) {
      // Timed runs skip the lookups (their query arrays would inflate the peak RSS); one extra run measures them.
      const t = timed(c.child ? [...c.argv.slice(0, -1), '0'] : c.argv);
      if (!c.child && !/verify OK/.test(t.stderr + t.stdout) && c.argv.includes('-CAfile'))
        throw new Error('openssl did not verify the generated CRL');
      walls.push(t.wall);
      rss.push(t.rssMiB);
      if (c.child) {
        const d = JSON.parse(t.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
        if (d['entries'] !== N) throw new Error(`reader found ${d['entries']} entries, expected ${N}`);
        details.push(d);
      }
    }
    if (c.child) {
      const t = timed(c.argv);
      const d = JSON.parse(t.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
      for (const k of ['queries', 'hits', 'hitsBig', 'lookupsPerSecBytes', 'lookupsPerSecBigint'])
        details[0]![k] = d[k]!;
      for (const x of details.slice(1))
        for (const k of ['queries', 'hits', 'hitsBig', 'lookupsPerSecBytes', 'lookupsPerSecBigint'])
          x[k] = d[k]!;
    }
    const row: { name: string; wall: number; rss: number; detail?: Record<string, number> } = {
      name: c.name,
      wall: median(walls),
      rss: median(rss),
    };
    if (details.length) {
      const keys = Object.keys(details[0]!).filter((k) => typeof details[0]![k] === 'number');
      row.detail = Object.fromEntries(keys.map((k) => [k, median(details.map((d) => d[k]!))]));
    }
    rows.push(row);
    console.log(`  ${c.name}: ${fmt(row.wall)} s, ${fmt(row.rss, 0)} MiB`);
  }

  const [, osslParse, osslVerify] = rows;
  console.log(
    '\n| what | wall s | peak RSS MiB | time / openssl -noout | RSS / openssl -noout | time / openssl -CAfile | in-process ingest ms | ingest RSS MiB |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(
      `| ${r.name} | ${fmt(r.wall)} | ${fmt(r.rss, 0)} | ${fmt(r.wall / osslParse!.wall)}× | ${fmt(r.rss / osslParse!.rss)}× | ${fmt(r.wall / osslVerify!.wall)}× | ${r.detail ? r.detail['ingestMs'] : ''} | ${r.detail ? r.detail['ingestMaxRssMiB'] : ''} |`,
    );
  for (const r of rows.filter((x) => x.detail)) {
    const d = r.detail!;
    console.log(
      `\n${r.name}: read ${d['readMs']} ms + verify ${d['verifyMs']} ms; heap ${d['heapMiB']} MiB, array buffers ${d['arrayBuffersMiB']} MiB;` +
        ` lookups ${fmt(d['lookupsPerSecBytes']! / 1e6)} M/s from serial bytes, ${fmt(d['lookupsPerSecBigint']! / 1e6)} M/s from bigints` +
        ` (hits ${d['hits']}/${d['queries']})`,
    );
  }
  const ours = rows[3]!;
  console.log(
    `\nA5 (file reader): time ${fmt(ours.wall / osslParse!.wall)}× openssl (target ≤ 1.0×), peak RSS ${fmt(ours.rss / osslParse!.rss)}× (target ≤ 0.33×)`,
  );
} finally {
  if (KEEP) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
