/**
 * `npm run bench:sweep [-- --entries N] [--shards S] [--batch B] [--concurrency C] [--database-url URL] [--keep]`
 * — the revocation sweep (issue 5 "Performance", docs/architecture.md §3.4) against `openssl crl` on the same
 * CRL. Target: 10 M anchors in under 2 minutes and 1 GiB on the two-core machine.
 *
 * 1. A simulator-profile signing CA (`buildJpkiCaCertificate`, O=JPKI-SIM, RSA-2048) and a CRL of
 *    N entries (default 10,000,000) in the simulator's shape: v2, cRLNumber, AKI, sequential
 *    serials, a reasonCode on each entry. 1 % of the entries are serials of our anchors (every
 *    100th anchor, reasons cycling affiliationChanged, superseded, certificateHold,
 *    cessationOfOperation), the other 99 % are other residents' certificates. Streamed to disk
 *    and signed with a streaming `createSign`, as bench/crl-reader.bench.ts does.
 * 2. N accounts and N current anchors in PostgreSQL (`--database-url`, else WATASHI_TEST_PG_URL,
 *    else 127.0.0.1:5432, else a private cluster from scripts/pg-private.sh — which runs with
 *    fsync=off), bulk-loaded with `INSERT … SELECT generate_series` in chunks with the secondary
 *    indexes dropped and then built again as the migrations define them, then VACUUM ANALYZE.
 * 3. In a child process under `/usr/bin/time` (wall time and peak RSS of the sweep alone): the
 *    platform's `runSweep` with the platform's `HttpJpkiBackend` downloading the CRL over HTTP
 *    from this process, verifying it and reading it with the streaming reader; then shards of
 *    keyset-paginated batches, status updates, per-reason effects and audit events.
 * 4. `openssl crl -inform DER -noout` on the same file, timed the same way.
 * Prints duration, anchors/s, peak RSS, and the ratios.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, createSign, type KeyObject } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import {
  certificateListFrame,
  RevokedEntriesEncoder,
  tbsCertListFrame,
  type CrlReason,
} from '../packages/pki/src/crl/index.ts';
import { parseCertificate } from '../packages/pki/src/cert/parse.ts';
import { nodeGenerateKey, nodeSigner } from '../packages/pki/src/node/crypto.ts';
import { buildJpkiCaCertificate, JpkiTrustStore } from '../packages/jpki/src/index.ts';
import { HttpJpkiBackend } from '../packages/platform/src/jlis/index.ts';
import { createMemoryKeyStore } from '../packages/platform/src/keys/index.ts';
import { MemoryJobQueue } from '../packages/platform/src/jobs/index.ts';
import { runSweep } from '../packages/platform/src/lifecycle/index.ts';
import { openDatabase } from '../packages/platform/src/store/database.ts';
import { migrateToLatest } from '../packages/platform/src/store/migrate.ts';
import {
  createScratchDatabase,
  findPostgres,
  startPrivateCluster,
} from '../packages/platform/test/db/postgres.ts';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
};
const N = Number(arg('entries', '10000000'));
const SHARDS = Number(arg('shards', '16'));
const BATCH = Number(arg('batch', '5000'));
const CONCURRENCY = Number(arg('concurrency', '2'));
const KEEP = process.argv.includes('--keep');
const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const fmt = (n: number, d = 2): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const REASONS: CrlReason[] = ['affiliationChanged', 'superseded', 'certificateHold', 'cessationOfOperation'];

/**
 * `BENCH_SQL_PROFILE=1`: the child times every statement it sends (from send to answer, so the
 * times of concurrent batches overlap) and prints, on stderr, the total by statement shape.
 */
async function profileStatements(): Promise<() => string> {
  const pg = (await import('pg')).default;
  const byShape = new Map<string, { n: number; ms: number }>();
  const query = Reflect.get(pg.Client.prototype, 'query') as (this: unknown, ...args: unknown[]) => unknown;
  pg.Client.prototype.query = function timed(this: unknown, ...args: unknown[]): unknown {
    const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: unknown }).text);
    const shape = text.replace(/\s+/g, ' ').replace(/\$\d+/g, '$').slice(0, 70);
    const start = performance.now();
    const result = query.apply(this, args);
    if (result instanceof Promise)
      void result.finally(() => {
        const e = byShape.get(shape) ?? { n: 0, ms: 0 };
        e.n++;
        e.ms += performance.now() - start;
        byShape.set(shape, e);
      });
    return result;
  } as typeof pg.Client.prototype.query;
  return () =>
    [...byShape]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 25)
      .map(([k, e]) => `${e.ms.toFixed(0).padStart(8)} ms ${String(e.n).padStart(7)}×  ${k}`)
      .join('\n');
}

/** The child: one sweep, measured by its parent. Prints one JSON line. */
async function child(): Promise<void> {
  const report = process.env['BENCH_SQL_PROFILE'] === '1' ? await profileStatements() : undefined;
  const [, , , url, caPath, crlUrl] = process.argv;
  const ca = readFileSync(caPath!);
  const now = new Date(Number(arg('now', String(Date.now()))));
  const database = await openDatabase({
    url: url!,
    pool: { max: CONCURRENCY + 2, statementTimeoutMs: 600_000 },
  });
  const t0 = performance.now();
  let crlMs = 0;
  const r = await runSweep(
    {
      db: database.db,
      keys: createMemoryKeyStore({ now: () => now }),
      backend: new HttpJpkiBackend({
        operatorId: 'bench',
        now: () => now,
        timeoutMs: 60_000,
        endpoints: { kind: 'standard', ocspUrl: 'http://127.0.0.1:9/ocsp', crlUrls: [crlUrl!] },
      }),
      trust: await JpkiTrustStore.simulator([new Uint8Array(ca)]),
      now: () => now,
    },
    {
      queue: new MemoryJobQueue({ now: () => now }),
      shards: SHARDS,
      batchSize: BATCH,
      concurrency: CONCURRENCY,
      onProgress: () => {
        if (crlMs === 0) crlMs = performance.now() - t0;
      },
    },
  );
  const totalMs = performance.now() - t0;
  await database.close();
  if (report !== undefined) process.stderr.write(`statements by shape (summed, overlapping):\n${report()}\n`);
  process.stdout.write(
    `${JSON.stringify({ ...r, crlMs: Math.round(crlMs), totalMs: Math.round(totalMs), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
  );
}

/** Streams the N-entry CRL signed by `key` for `ca` to `out`. */
function generateCrl(out: string, caDer: Uint8Array, key: KeyObject, work: string, thisUpdate: Date): void {
  const ca = parseCertificate(caDer);
  const entriesPath = join(work, 'entries.bin');
  const fd = openSync(entriesPath, 'w');
  const enc = new RevokedEntriesEncoder(8 << 20);
  const dates = Array.from({ length: 512 }, (_, i) => new Date(thisUpdate.getTime() - (i + 1) * 3_600_000));
  const ours = Math.floor(N / 100);
  // Our anchors' serials are 1..N; the revoked 1 %: 100, 200, …; then other residents' (N+1 …).
  for (let i = 1; i <= ours; i++) {
    enc.add({
      serial: BigInt(i * 100),
      revocationDate: dates[i & 511]!,
      reason: REASONS[i % REASONS.length]!,
    });
    if (enc.pending >= 4 << 20) writeSync(fd, enc.take());
  }
  for (let i = 1; i <= N - ours; i++) {
    enc.add({ serial: BigInt(N + i), revocationDate: dates[i & 511]!, reason: REASONS[i % REASONS.length]! });
    if (enc.pending >= 4 << 20) writeSync(fd, enc.take());
  }
  writeSync(fd, enc.take());
  closeSync(fd);
  const frame = tbsCertListFrame(
    {
      issuer: ca.subject.der,
      authorityKeyId: ca.subjectKeyId!,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + 86_400_000),
      crlNumber: 1n,
      algorithm: 'RSA-SHA256',
    },
    enc.length,
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
  const outer = certificateListFrame(
    frame.head.length + enc.length + frame.tail.length,
    'RSA-SHA256',
    new Uint8Array(s.sign(key)),
  );
  const ofd = openSync(out, 'w');
  writeSync(ofd, outer.head);
  writeSync(ofd, frame.head);
  eachChunk((b) => writeSync(ofd, b));
  writeSync(ofd, frame.tail);
  writeSync(ofd, outer.tail);
  closeSync(ofd);
  rmSync(entriesPath);
}

/** Runs `argv` under GNU time (async, so this process keeps serving the CRL). */
function timed(argv: string[]): Promise<{ wall: number; rssMiB: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/time', ['-f', '%e %M', ...argv], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => {
      const [e, m] = (stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
      if (code !== 0 || e === undefined || m === undefined || Number.isNaN(e))
        return reject(new Error(`${argv.join(' ')} failed (${code}): ${stderr.slice(-2000)}`));
      resolve({ wall: e, rssMiB: m / 1024, stdout, stderr });
    });
  });
}

async function main(): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v /usr/bin/time']).status !== 0)
    throw new Error('GNU time (/usr/bin/time) is needed to measure peak RSS: apt-get install time');
  const work = mkdtempSync(join(tmpdir(), 'watashi-sweep-bench-'));
  let cluster: Awaited<ReturnType<typeof startPrivateCluster>> | undefined;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  const server = createServer((req, res) => {
    const file = join(work, 'crl.der');
    res.writeHead(200, { 'content-type': 'application/pkix-crl', 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  try {
    console.log(
      `revocation sweep benchmark: ${N.toLocaleString('en-US')} CRL entries and anchors (1 % revoked), ${SHARDS} shards, batches of ${BATCH}, ${CONCURRENCY} at once; work dir ${work}`,
    );
    // The CA and the CRL.
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const key = nodeGenerateKey('RSA-SHA256');
    const caDer = await buildJpkiCaCertificate({
      purpose: 'sign',
      organization: 'JPKI-SIM',
      serial: 1n,
      notBefore: new Date(now.getTime() - 365 * 86_400_000),
      signer: nodeSigner(key, 'RSA-SHA256'),
    });
    writeFileSync(join(work, 'ca.der'), caDer);
    const caPem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(caDer).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
    writeFileSync(join(work, 'ca.pem'), caPem.replace(/\n\n/g, '\n'));
    let t = performance.now();
    generateCrl(
      join(work, 'crl.der'),
      caDer,
      createPrivateKey(key.export({ type: 'pkcs8', format: 'pem' })),
      work,
      now,
    );
    const size = statSync(join(work, 'crl.der')).size;
    console.log(
      `CRL: ${fmt(size / 1048576, 1)} MiB generated and signed in ${fmt((performance.now() - t) / 1000, 1)} s`,
    );

    // The database.
    const explicit = arg('database-url', '');
    let url = explicit;
    if (url === '') {
      let admin = await findPostgres();
      if (admin === undefined) {
        cluster = await startPrivateCluster();
        admin = cluster.url;
      }
      scratch = await createScratchDatabase(admin);
      url = scratch.url;
    }
    const database = await openDatabase({ url, pool: { max: 4, statementTimeoutMs: 3_600_000 } });
    await migrateToLatest(database.db);
    const issuer = parseCertificate(caDer);
    const { createHash } = await import('node:crypto');
    const ikh = createHash('sha256').update(issuer.spki).digest();
    const inh = createHash('sha256').update(issuer.subject.der).digest();
    const checkedAt = new Date(now.getTime() - 86_400_000);
    t = performance.now();
    // Loading into indexed tables is what made a 10 M load take half an hour: the secondary
    // indexes (as the migrations made them) are dropped for the load and built again after it.
    const { rows: indexes } = await sql<{ name: string; def: string }>`
      SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename IN ('accounts', 'anchors')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`.execute(database.db);
    for (const i of indexes) await sql`DROP INDEX ${sql.id(i.name)}`.execute(database.db);
    const CHUNK = 500_000;
    for (let lo = 1; lo <= N; lo += CHUNK) {
      const hi = Math.min(N, lo + CHUNK - 1);
      await sql`INSERT INTO accounts (id, person_key, person_key_id, proofing_level, proofing_method, proofed_at,
          status_changed_at, created_at, updated_at)
        SELECT md5('acc' || g)::uuid, decode(md5('pk' || g) || md5('pk2' || g), 'hex'), 'bench', 3,
          'jpki_sign_card', ${checkedAt}, ${checkedAt}, ${checkedAt}, ${checkedAt}
        FROM generate_series(${lo}::bigint, ${hi}::bigint) g`.execute(database.db);
      await sql`INSERT INTO anchors (id, account_id, purpose, variant, issuer_key_hash, issuer_name_hash, serial,
          certificate_hash, not_before, not_after, status, status_checked_at, evidence, created_at)
        SELECT md5('anc' || g)::uuid, md5('acc' || g)::uuid, 'sign', 'card', ${new Uint8Array(ikh)},
          ${new Uint8Array(inh)}, g, decode(md5('c' || g) || md5('d' || g), 'hex'), ${checkedAt},
          ${new Date(now.getTime() + 4 * 365 * 86_400_000)}, 'good', ${checkedAt},
          '{"source":"ocsp"}'::jsonb, ${checkedAt}
        FROM generate_series(${lo}::bigint, ${hi}::bigint) g`.execute(database.db);
      process.stderr.write(`\r  loaded ${hi.toLocaleString('en-US')} accounts and anchors`);
    }
    for (const i of indexes) await sql.raw(i.def).execute(database.db);
    await sql`VACUUM ANALYZE accounts`.execute(database.db);
    await sql`VACUUM ANALYZE anchors`.execute(database.db);
    const tableMiB = await sql<{
      mib: string;
    }>`SELECT round(pg_total_relation_size('anchors') / 1048576.0) AS mib`.execute(database.db);
    await database.close();
    console.log(
      `\ndatabase: ${N.toLocaleString('en-US')} accounts + anchors loaded in ${fmt((performance.now() - t) / 1000, 1)} s (anchors with indexes ${tableMiB.rows[0]?.mib} MiB)`,
    );

    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const crlUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/crl.der`;
    const ossl = await timed(['openssl', 'crl', '-inform', 'DER', '-in', join(work, 'crl.der'), '-noout']);
    console.log(`openssl crl -noout: ${fmt(ossl.wall)} s, ${fmt(ossl.rssMiB, 0)} MiB`);
    const run = await timed([
      'node',
      // BENCH_CPU_PROFILE=<dir>: a V8 CPU profile of the sweep process, written there.
      ...(process.env['BENCH_CPU_PROFILE']
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROFILE']}`]
        : []),
      '--import',
      'tsx',
      SELF,
      '--child',
      url,
      join(work, 'ca.der'),
      crlUrl,
      '--now',
      String(now.getTime()),
      '--shards',
      String(SHARDS),
      '--batch',
      String(BATCH),
      '--concurrency',
      String(CONCURRENCY),
    ]);
    const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      status: string;
      anchorsChecked: number;
      revokedFound: number;
      totalMs: number;
      crlMs: number;
      maxRssMiB: number;
    };
    if (r.status !== 'completed' || r.anchorsChecked !== N || r.revokedFound !== Math.floor(N / 100))
      throw new Error(`unexpected sweep result: ${run.stdout}`);
    const sweepS = r.totalMs / 1000;
    if (process.env['BENCH_SQL_PROFILE'] === '1')
      console.log(run.stderr.trim().split('\n').slice(0, -1).join('\n'));
    console.log(`\n| what | wall s | peak RSS MiB |\n| --- | ---: | ---: |`);
    console.log(
      `| openssl crl -inform DER -noout (parse only) | ${fmt(ossl.wall)} | ${fmt(ossl.rssMiB, 0)} |`,
    );
    console.log(
      `| watashi sweep: CRL download + verify + index, then ${N.toLocaleString('en-US')} anchors | ${fmt(sweepS)} (process ${fmt(run.wall)}) | ${fmt(run.rssMiB, 0)} |`,
    );
    console.log(
      `\nsweep: ${fmt(sweepS, 1)} s (CRL phase ${fmt(r.crlMs / 1000, 1)} s, anchors ${fmt((r.totalMs - r.crlMs) / 1000, 1)} s), ` +
        `${fmt(N / sweepS, 0)} anchors/s, ${r.revokedFound.toLocaleString('en-US')} revoked found, peak RSS ${fmt(run.rssMiB, 0)} MiB; ` +
        `${fmt(sweepS / ossl.wall)}× openssl's parse time`,
    );
    console.log(
      `target (10 M anchors < 120 s, < 1024 MiB): ${N === 10_000_000 ? (sweepS < 120 && run.rssMiB < 1024 ? 'met' : 'NOT met') : `measured at ${N.toLocaleString('en-US')}; run with --entries 10000000 for the target`}`,
    );
  } finally {
    server.close();
    await scratch?.drop().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    if (KEEP) console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) await child();
else await main();
