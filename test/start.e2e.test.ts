/**
 * `npm start` (scripts/start.ts) as a user runs it: a child process on a fresh data directory, which
 * must print the simulator's URLs and the demo residents, serve them, keep them across a restart and
 * stop cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'watashi-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Started {
  readonly output: string;
  readonly stop: () => Promise<number | null>;
}

/** Starts scripts/start.ts and resolves once it has printed its "try this" list. */
function start(): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: { ...process.env, WATASHI_DATA_DIR: dataDir, WATASHI_SIM_PORT: '0', WATASHI_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer): void => {
      output += b.toString('utf8');
      if (output.includes('Stop with Ctrl-C')) {
        resolve({
          output,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`start exited (${String(code)}) early:\n${output}`)));
  });
}

describe('npm start', () => {
  it('ok-prints-urls-and-demo-residents-serves-them-and-keeps-state', async () => {
    const first = await start();
    expect(first.output).toContain('J-LIS SIMULATOR');
    const base = /base URL\s+(http:\/\/\S+)/.exec(first.output)?.[1];
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const residents = (await (await fetch(`${base}/residents`)).json()) as { id: string; name: string }[];
    expect(residents.map((r) => r.name)).toEqual(['山田　花子', '髙橋　一郎', '佐藤　美咲', '鈴木　翔太']);
    for (const r of residents) expect(first.output).toContain(r.id);
    expect(first.output).toContain('no signing certificate: under 15');
    // The platform runs beside it on the embedded database, in simulation mode.
    const platformUrl = /Watashi platform: (http:\/\/\S+)/.exec(first.output)?.[1];
    // localhost, not 127.0.0.1: browsers refuse passkeys on an IP address.
    expect(platformUrl).toMatch(/^http:\/\/localhost:\d+$/);
    const enrolPage = await fetch(`${platformUrl}/wallet/enrol`);
    expect(enrolPage.status).toBe(200);
    expect(enrolPage.headers.get('content-type')).toMatch(/^text\/html/);
    const health = await fetch(`${platformUrl}/health`);
    expect(health.status).toBe(200);
    const table = (await (await fetch(`${platformUrl}/api/assurance/table`)).json()) as {
      acrValues: unknown[];
    };
    expect(table.acrValues.length).toBeGreaterThan(0);
    // Enrolment works against the simulator's demo residents from the first start.
    const doc = await fetch(`${platformUrl}/api/enrolments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(doc.status).toBe(201);
    expect(await first.stop()).toBe(0);

    // A second start finds the same residents instead of creating more.
    const second = await start();
    const base2 = /base URL\s+(http:\/\/\S+)/.exec(second.output)?.[1];
    const again = (await (await fetch(`${base2}/residents`)).json()) as { id: string }[];
    expect(again.map((r) => r.id)).toEqual(residents.map((r) => r.id));
    expect(await second.stop()).toBe(0);
  }, 120_000); // two cold starts of the simulator, the platform (PGlite) and the wallet bundle
});
