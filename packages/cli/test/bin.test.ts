// The real `watashi` executable (bin/watashi.mjs through tsx), spawned as a user would run it.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ResidentView, RunningSimulator } from '@watashi/jlis-sim';
import { cleanup, startSim } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/watashi.mjs', import.meta.url));
const exec = promisify(execFile);

let s: RunningSimulator;
let url = '';
beforeAll(async () => {
  ({ s, url } = await startSim('cli-bin-test'));
});
afterAll(async () => {
  await s.close();
  cleanup();
});

it('ok-bin-help-and-a-json-command', async () => {
  const env = { ...process.env, WATASHI_SIM_URL: url };
  const help = await exec(process.execPath, [BIN, '--help'], { env });
  expect(help.stdout).toMatch(/^Usage: watashi \[options\] \[command\]/);
  for (const c of ['serve', 'audit', 'sim', 'card'])
    expect(help.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));

  // The simulator runs in this process; the child reaches it over HTTP (the URL from the environment).
  const added = await s.sim.addResident({ birthDate: '1985-06-07' });
  const list = await exec(process.execPath, [BIN, 'sim', 'resident', 'list', '--json'], { env });
  const residents = JSON.parse(list.stdout) as ResidentView[];
  expect(residents.map((r) => r.id)).toEqual([added.id]);

  // Exit codes reach the shell: an unknown resident is 5.
  await expect(
    exec(process.execPath, [BIN, 'sim', 'resident', 'show', 'r-zzzz9999'], { env }),
  ).rejects.toMatchObject({ code: 5, stderr: expect.stringMatching(/\[resident_not_found\]/) as unknown });
}, 60_000);

it('ok-sim-serve-json-keeps-stdout-to-one-json-document-and-logs-on-stderr', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'watashi-cli-serve-json-'));
  const child = spawn(
    process.execPath,
    [BIN, 'sim', 'serve', '--port', '0', '--data-dir', dir, '--log-level', 'info', '--json'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 50_000;
    while (!out.endsWith('}\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const started = JSON.parse(out) as { url: string };
    // A request after start: whatever the simulator logs goes to stderr, never into the JSON.
    expect((await fetch(`${started.url}/info`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(() => JSON.parse(out) as unknown).not.toThrow();
    // Fastify's "listening" line at info level is pino JSON on stderr.
    expect(err).toMatch(/"name":"jlis-sim".*listening/);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
