/**
 * `npm run bench:ocsp` — the simulator's OCSP responder against `openssl ocsp` (docs/performance.md §6, anchor A7).
 *
 * Both responders run pinned to core 0 (`taskset -c 0` when available), sign with the same RSA-2048
 * CA key and serve a similar index; the loader (this process) runs on core 1 and sends the same DER
 * request to each for BENCH_SECONDS (default 5) per case at concurrency 8 (BENCH_CONCURRENCY), with
 * a new TCP connection per request (as docs/performance.md §6) and with keep-alive, without nonce (the
 * simulator's pre-produced path) and with nonce (live signing). Prints req/s, p50/p99 and the
 * simulator/openssl ratio (goal without nonce: ≥ 10×).
 *
 * `openssl ocsp -port` binds every interface; to keep it off any network the whole benchmark
 * re-executes itself inside `unshare -rn` (a private network namespace with only `lo`) when that
 * works, and otherwise runs on the host (acceptable only because the machine has no inbound
 * network). Every child is stopped by its PID; a hard deadline ends the run whatever happens.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 8);
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const pin = (core: number, argv: string[]): string[] =>
  has('taskset') ? ['taskset', '-c', String(core), ...argv] : argv;

// --- child mode: run the simulator (pinned by the parent) -------------------------------------
async function childSim(work: string): Promise<void> {
  const { createSimulator } = await import('@watashi/jlis-sim');
  const s = await createSimulator({
    dataDir: join(work, 'sim'),
    port: 0,
    seed: 'bench',
    schedule: false,
    logLevel: 'silent',
  });
  for (let i = 0; i < 12; i++) {
    const r = await s.sim.addResident({ birthDate: '1985-05-05' });
    await s.sim.issueCard(r.id);
  }
  const gen = s.sim.config.generations.at(-1)!.name;
  const pem = (der: Uint8Array, label: string): string =>
    `-----BEGIN ${label}-----\n${Buffer.from(der)
      .toString('base64')
      .replace(/(.{64})/g, '$1\n')
      .replace(/\n$/, '')}\n-----END ${label}-----\n`;
  writeFileSync(join(work, 'ca.pem'), pem(s.sim.caCertificate('sign', gen), 'CERTIFICATE'));
  copyFileSync(join(work, 'sim', 'keys', `sign-${gen}.key.pem`), join(work, 'ca.key'));
  const certs = s.sim.listResidents().flatMap((r) => r.certificates.filter((c) => c.purpose === 'sign'));
  writeFileSync(join(work, 'leaf.pem'), pem(s.sim.certificate(certs[0]!.serial).der, 'CERTIFICATE'));
  // openssl ca index: status, expiry (YYMMDDHHMMSSZ), revocation, serial hex, file, subject.
  const index = certs.map((c) => {
    const exp = c.notAfter.replace(/[-:T]/g, '').slice(2, 14) + 'Z';
    return `V\t${exp}\t\t${BigInt(c.serial).toString(16).toUpperCase().padStart(8, '0')}\tunknown\t/C=JP/CN=${c.serial}`;
  });
  writeFileSync(join(work, 'index.txt'), `${index.join('\n')}\n`);
  const url = await s.listen();
  process.stdout.write(`${JSON.stringify({ port: new URL(url).port })}\n`);
  process.on('SIGTERM', () => void s.close().then(() => process.exit(0)));
}

// --- loader -----------------------------------------------------------------------------------
interface Result {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly n: number;
}

function post(port: number, path: string, body: Buffer, agent: http.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/ocsp-request', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          // A successful OCSPResponse: SEQUENCE { ENUMERATED 0, [0] … }.
          if (res.statusCode === 200 && b[0] === 0x30 && b.length > 100) resolve();
          else reject(new Error(`bad response ${res.statusCode} (${b.length} bytes)`));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function load(port: number, path: string, body: Buffer, keepAlive: boolean): Promise<Result> {
  const agent = new http.Agent({ keepAlive, maxSockets: CONCURRENCY });
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + SECONDS * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await post(port, path, body, agent);
        lat.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const secs = (performance.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { rps: lat.length / secs, p50: q(0.5), p99: q(0.99), errors, n: lat.length };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function stop(p: ChildProcess | undefined): void {
  if (p?.pid !== undefined && p.exitCode === null) p.kill('SIGTERM');
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'watashi-bench-ocsp-'));
  let sim: ChildProcess | undefined;
  let ossl: ChildProcess | undefined;
  const hard = setTimeout(
    () => {
      process.stderr.write('bench:ocsp: hard deadline reached, stopping\n');
      stop(sim);
      stop(ossl);
      process.exit(1);
    },
    (SECONDS * 8 + 120) * 1000,
  );
  hard.unref();
  try {
    // 1. Simulator on core 0.
    sim = spawn(
      ...(([c, ...a]) => [c!, a] as const)(
        pin(0, [process.execPath, '--import', 'tsx', SELF, '--child-sim', work]),
      ),
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const simPort = await new Promise<number>((resolve, reject) => {
      let buf = '';
      sim!.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const line = buf.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(Number((JSON.parse(line) as { port: string }).port));
      });
      sim!.on('exit', (code) => reject(new Error(`simulator exited (${code})`)));
    });
    // 2. openssl ocsp on core 0, same key, similar index.
    const osslPort = await freePort();
    ossl = spawn(
      ...(([c, ...a]) => [c!, a] as const)(
        pin(0, [
          'openssl',
          'ocsp',
          '-index',
          'index.txt',
          '-port',
          String(osslPort),
          '-rsigner',
          'ca.pem',
          '-rkey',
          'ca.key',
          '-CA',
          'ca.pem',
          '-nmin',
          '15',
        ]),
      ),
      { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    // Wait for its "waiting for OCSP client connections" line: a bare TCP probe (connect, then
    // close without a request) leaves `openssl ocsp` 3.0 blocked on that connection.
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('openssl ocsp did not start')), 10_000);
      ossl!.stderr!.on('data', (d: Buffer) => {
        if (d.toString().includes('waiting for OCSP client')) {
          clearTimeout(t);
          resolve();
        }
      });
      ossl!.on('exit', (code) => reject(new Error(`openssl ocsp exited (${code})`)));
    });
    ossl.stderr!.resume();
    // 3. The same requests for both (openssl builds them: SHA-1 CertID as its clients send).
    for (const [file, nonce] of [
      ['req.der', '-no_nonce'],
      ['req-nonce.der', '-nonce'],
    ] as const) {
      execFileSync('openssl', ['ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', nonce, '-reqout', file], {
        cwd: work,
        stdio: 'ignore',
      });
    }
    const reqs = {
      plain: readFileSync(join(work, 'req.der')),
      nonce: readFileSync(join(work, 'req-nonce.der')),
    };
    const rows: string[] = [];
    const results: Record<string, Result> = {};
    for (const keepAlive of [false, true]) {
      for (const kind of ['plain', 'nonce'] as const) {
        for (const [name, port, path] of [
          ['sim', simPort, '/ocsp'],
          ['openssl', osslPort, '/'],
        ] as const) {
          await load(port, path, reqs[kind], keepAlive); // brief warm-up is the first case's first second
          const r = await load(port, path, reqs[kind], keepAlive);
          const key = `${name}/${kind}/${keepAlive ? 'keepalive' : 'newconn'}`;
          results[key] = r;
          rows.push(
            `${key.padEnd(32)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   errors ${r.errors}`,
          );
          process.stderr.write(`${rows.at(-1)!}\n`);
        }
      }
    }
    const ratio = (kind: string, conn: string): string => {
      const a = results[`sim/${kind}/${conn}`];
      const b = results[`openssl/${kind}/${conn}`];
      return a && b ? `${(a.rps / b.rps).toFixed(2)}×` : 'n/a';
    };
    process.stdout.write(
      [
        '',
        `OCSP responder benchmark: ${SECONDS} s per case, concurrency ${CONCURRENCY}, servers ${has('taskset') ? 'pinned to core 0' : 'unpinned'}, ${process.env['WATASHI_BENCH_NETNS'] ? 'private network namespace (unshare -rn)' : 'host network'}`,
        ...rows,
        '',
        `ratio sim/openssl, no nonce (pre-produced): new connection ${ratio('plain', 'newconn')}, keep-alive ${ratio('plain', 'keepalive')}   (goal ≥ 10×)`,
        `ratio sim/openssl, nonce (live signing):    new connection ${ratio('nonce', 'newconn')}, keep-alive ${ratio('nonce', 'keepalive')}`,
        '',
      ].join('\n'),
    );
  } finally {
    stop(sim);
    stop(ossl);
    clearTimeout(hard);
    await new Promise((r) => setTimeout(r, 300));
    rmSync(work, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child-sim') {
  await childSim(argv[1]!);
} else if (
  !process.env['WATASHI_BENCH_NETNS'] &&
  has('unshare') &&
  has('ip') &&
  spawnSync('unshare', ['-rn', 'true']).status === 0
) {
  // Re-run inside a private network namespace with only lo (docs/performance.md §6), then pinned to core 1.
  const r = spawnSync(
    'unshare',
    [
      '-rn',
      'sh',
      '-c',
      'ip link set lo up && exec "$@"',
      'sh',
      ...pin(1, [process.execPath, '--import', 'tsx', SELF]),
    ],
    { stdio: 'inherit', env: { ...process.env, WATASHI_BENCH_NETNS: '1' } },
  );
  process.exit(r.status ?? 1);
} else {
  await main();
}
