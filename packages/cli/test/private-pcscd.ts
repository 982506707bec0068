/**
 * A card in a real PC/SC reader for tests: a private pcscd whose vsmartcard vpcd driver listens on
 * a private port (so no other vpcd client reaches our reader), with `card` plugged in through
 * @watashi/jpki's vpcd bridge — the set-up of packages/jpki/test/pcsc.e2e.test.ts. pcscd is one
 * per machine (/run/pcscd): the e2e project runs one file at a time; a foreign instance is waited
 * for, never stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CardTransport } from '@watashi/jpki';
import { startVpcdBridge } from '@watashi/jpki/vpcd';

/** The reader name pcscd gives the vpcd slot the card is in. */
export const VPCD_READER = 'Virtual PCD 00 00';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Stops a child process this test started (SIGTERM, SIGKILL after 5 s). */
export async function stopChild(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Starts pcscd with `card` in {@link VPCD_READER}; `close` unplugs it and stops that pcscd. */
export async function privatePcscd(card: CardTransport): Promise<{ close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'watashi-pcscd-'));
  const port = 41000 + 2 * Math.floor(Math.random() * 3000);
  const conf = join(dir, 'reader.conf.d');
  mkdirSync(conf);
  writeFileSync(
    join(conf, 'vpcd'),
    `FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x${port.toString(16)}\n` +
      `LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    0x${port.toString(16)}\n`,
  );
  for (let i = 0; i < 150 && existsSync('/run/pcscd/pcscd.comm'); i++) await sleep(200);
  let log = '';
  const pcscd = spawn('pcscd', ['--foreground', '--config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  pcscd.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  pcscd.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  await sleep(200);
  if (pcscd.exitCode !== null) throw new Error(`pcscd exited at start: ${log}`);
  const vpcd = await startVpcdBridge(card, { host: '127.0.0.1', port, connectTimeoutMs: 10_000 });
  return {
    async close() {
      await vpcd.close();
      await stopChild(pcscd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Spawns `watashi card-bridge` with `args`; resolves with its URL and a reader of its output. */
export async function spawnCardBridge(
  bin: string,
  args: readonly string[],
): Promise<{ url: string; output: () => string; child: ChildProcess }> {
  let out = '';
  const child = spawn(process.execPath, [bin, 'card-bridge', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  let url = '';
  for (let i = 0; i < 600 && url === '' && child.exitCode === null; i++) {
    url = /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
    if (url === '') await sleep(100);
  }
  if (url === '') {
    await stopChild(child);
    throw new Error(`card-bridge did not start:\n${out}`);
  }
  return { url, output: () => out, child };
}
