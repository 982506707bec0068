// `watashi serve` as a supervisor runs it: the real executable, stopped with SIGTERM while a
// request is in flight (issue 14, graceful shutdown).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningSimulator } from '@watashi/jlis-sim';
import { cleanup, startSim, tempDir, until } from './helpers.ts';
import { seedDataDir } from '../../platform/test/db/snapshot.ts';

const BIN = fileURLToPath(new URL('../bin/watashi.mjs', import.meta.url));
const exec = promisify(execFile);

let s: RunningSimulator;
let simUrl = '';
beforeAll(async () => {
  ({ s, url: simUrl } = await startSim('cli-serve-shutdown'));
});
afterAll(async () => {
  await s.close();
  cleanup();
});

/** Whether a TCP connection to 127.0.0.1:`port` is refused. */
const refused = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(false);
    });
    c.once('error', () => resolve(true));
  });

it('ok-sigterm-drains-the-in-flight-request-refuses-new-connections-and-exits-0', async () => {
  const dir = tempDir('watashi-cli-serve-');
  const config = join(dir, 'config.json');
  await seedDataDir(join(dir, 'data', 'db'));
  writeFileSync(
    config,
    JSON.stringify({
      mode: 'simulation',
      logLevel: 'warn',
      keyStore: { kind: 'memory' },
      operations: { drainTimeoutSeconds: 60 },
    }),
  );
  const child = spawn(
    process.execPath,
    [BIN, '--sim', simUrl, 'serve', '--config', config, '--port', '0', '--data-dir', join(dir, 'data')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await until(() => /listening on (http:\/\/\S+)/.test(out), 120_000);
    const base = /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
    const port = Number(new URL(base).port);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    // A request whose body is still coming when the signal arrives.
    const body = JSON.stringify({ in: 'flight' });
    const req = request(`${base}/api/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    });
    const status = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 4));
    await new Promise<void>((resolve) => req.once('socket', (sock) => sock.once('connect', resolve)));
    await new Promise((r) => setTimeout(r, 300)); // the request's headers reach the server

    child.kill('SIGTERM');
    await until(() => err.includes('SIGTERM, stopping'), 30_000);
    // New connections are refused while the in-flight request is still open.
    let isRefused = false;
    for (let i = 0; i < 100 && !isRefused; i++) {
      isRefused = await refused(port);
      if (!isRefused) await new Promise((r) => setTimeout(r, 50));
    }
    expect(isRefused).toBe(true);
    expect(child.exitCode).toBeNull();

    req.end(body.slice(4));
    expect(await status).toBe(204);
    expect(await exited).toBe(0);
    expect(err).toContain('watashi: stopped');

    // The audit chain the platform wrote verifies after the shutdown.
    const verified = await exec(process.execPath, [
      BIN,
      'audit',
      'verify',
      '--data-dir',
      join(dir, 'data'),
      '--json',
    ]);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 180_000);
