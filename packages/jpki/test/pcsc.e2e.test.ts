/**
 * Conformance of the virtual My Number card with independent software (docs/conventions.md §11): the card is
 * plugged into a real pcscd through the vsmartcard vpcd driver (docs/dependencies.md §5.7), then OpenSC's own
 * `jpki` driver (pkcs11-tool + opensc-pkcs11.so) lists, reads and signs, openssl checks the
 * signature, and our PcscTransport + JpkiCardClient talk to it through pcscd (from a child process,
 * see pcsc-client.ts: never use PcscTransport in the thread that serves a virtual card).
 *
 * pcscd is a per-machine daemon (fixed socket /run/pcscd/pcscd.comm). This file starts its own
 * instance with a private reader.conf.d (vpcd on a private port, so nothing else's vpcd clients
 * connect to our reader) and stops exactly that process in afterAll.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import type { JsonWebKey as NodeJwk } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '@watashi/pki';
import { VirtualJpkiCard } from '@watashi/jpki';
import { startVpcdBridge } from '@watashi/jpki/vpcd';
import type { VpcdBridge } from '@watashi/jpki/vpcd';

const run = promisify(execFile);
const AUTH_TOKEN = 'JPKI (User Authentication PIN)';
const SIGN_TOKEN = 'JPKI (Digital Signature PIN)';
const READER = 'Virtual PCD 00 00';

let dir: string;
let pcscd: ChildProcess | undefined;
let pcscdLog = '';
let bridge: VpcdBridge | undefined;
let card: VirtualJpkiCard;
/** APDU observers a test installs for its own duration. */
const bridgeLog: Array<(command: Uint8Array, response: Uint8Array) => void> = [];
let p11module: string;
const der: Record<'sign' | 'signca' | 'auth' | 'authca', Buffer> = {} as never;

/**
 * Runs pkcs11-tool asynchronously: the card answers from this process's event loop, so never block
 * it. Each APDU through vpcd costs ~45 ms (vpcd writes length and payload separately; Nagle meets
 * delayed ACK), so by default OpenSC is limited to its `jpki` driver through a private opensc.conf,
 * which skips ~30 probing APDUs of other drivers. `systemConfig` uses the stock configuration.
 */
async function p11(args: string[], systemConfig = false): Promise<string> {
  const env = systemConfig ? process.env : { ...process.env, OPENSC_CONF: join(dir, 'opensc.conf') };
  const { stdout, stderr } = await run('pkcs11-tool', ['--module', p11module, ...args], {
    timeout: 20_000,
    env,
  });
  return stdout + stderr;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** pcscd refuses to start while another instance owns /run/pcscd; we never kill one we did not start. */
async function waitForForeignPcscdToLeave(): Promise<void> {
  const pidFile = '/run/pcscd/pcscd.pid';
  for (let i = 0; i < 100; i++) {
    if (!existsSync('/run/pcscd/pcscd.comm')) return;
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
    if (!Number.isInteger(pid) || !pidAlive(pid)) return; // stale files: pcscd cleans them up itself
    await sleep(200);
  }
  throw new Error(
    'another pcscd (not started by this test) holds /run/pcscd; stop it or wait for it to finish',
  );
}

async function stopPcscd(): Promise<void> {
  const p = pcscd;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  p11module =
    execFileSync('dpkg', ['-L', 'opensc-pkcs11'], { encoding: 'utf8' })
      .split('\n')
      .find((l) => l.endsWith('/opensc-pkcs11.so')) ?? '';
  expect(p11module, 'opensc-pkcs11.so (Debian package opensc-pkcs11)').not.toBe('');

  dir = mkdtempSync(join(tmpdir(), 'watashi-pcsc-'));
  writeFileSync(join(dir, 'opensc.conf'), 'app default {\n  card_drivers = jpki;\n}\n');
  // Certificates and RSA-2048 keys made by openssl, keys handed to the card as JWK (its own storage).
  const jwk: Partial<Record<keyof typeof der, NodeJwk>> = {};
  await Promise.all(
    (['sign', 'signca', 'auth', 'authca'] as const).map(async (n) => {
      await run('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30',
        '-subj', `/C=JP/O=JPKI-SIM/CN=${n}`, '-keyout', join(dir, `${n}.key`), '-out', join(dir, `${n}.pem`),
      ]); // prettier-ignore
      await run('openssl', [
        'x509',
        '-in',
        join(dir, `${n}.pem`),
        '-outform',
        'DER',
        '-out',
        join(dir, `${n}.der`),
      ]);
      der[n] = readFileSync(join(dir, `${n}.der`));
      jwk[n] = createPrivateKey(readFileSync(join(dir, `${n}.key`))).export({ format: 'jwk' });
    }),
  );
  if (!jwk.sign || !jwk.auth) throw new Error('openssl keys missing');
  card = new VirtualJpkiCard({
    kind: 'card',
    signCertificate: der.sign,
    signCaCertificate: der.signca,
    authCertificate: der.auth,
    authCaCertificate: der.authca,
    signKey: jwk.sign,
    authKey: jwk.auth,
    signPin: 'WATASHI1',
    authPin: '1234',
    onApdu: (cmd, res) => {
      for (const f of bridgeLog) f(cmd, res);
    },
  });

  // A private reader.conf.d: vpcd listens on `port` (slot 00) and `port + 1` (slot 01).
  const port = 41000 + 2 * Math.floor(Math.random() * 3000);
  const conf = join(dir, 'reader.conf.d');
  mkdirSync(conf);
  writeFileSync(
    join(conf, 'vpcd'),
    `FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x${port.toString(16)}\n` +
      `LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    0x${port.toString(16)}\n`,
  );
  await waitForForeignPcscdToLeave();
  const child = spawn('pcscd', ['--foreground', '--config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  pcscd = child;
  child.stdout?.on('data', (b: Buffer) => (pcscdLog += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (pcscdLog += b.toString()));
  await sleep(200);
  if (child.exitCode !== null) throw new Error(`pcscd exited at start: ${pcscdLog}`);

  bridge = await startVpcdBridge(card, { host: '127.0.0.1', port, connectTimeoutMs: 10_000 });
  // Wait until OpenSC sees the card through pcscd.
  let listing = '';
  for (let i = 0; i < 50 && !listing.includes(AUTH_TOKEN); i++) {
    listing = await p11(['-L']).catch((e: unknown) => String(e));
    if (!listing.includes(AUTH_TOKEN)) await sleep(200);
  }
  if (!listing.includes(AUTH_TOKEN))
    throw new Error(`the reader never showed the card:\n${listing}\n${pcscdLog}`);
}, 60_000);

afterAll(async () => {
  await bridge?.close();
  await stopPcscd();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('OpenSC (pkcs11-tool, jpki driver) against the virtual card through pcscd + vpcd', () => {
  it('ok-lists the two JPKI tokens in the virtual reader (stock OpenSC configuration, all drivers)', async () => {
    const out = await p11(['-L'], true);
    expect(out).toContain(READER);
    expect(out).toContain(AUTH_TOKEN);
    expect(out).toContain(SIGN_TOKEN);
    expect(out).toMatch(/pin min\/max\s*:\s*4\/4/);
    expect(out).toMatch(/pin min\/max\s*:\s*6\/16/);
  });

  it('ok-reads the user-authentication certificate byte for byte', async () => {
    const file = join(dir, 'read-auth.der');
    await p11([
      '--token-label',
      AUTH_TOKEN,
      '--read-object',
      '--type',
      'cert',
      '--id',
      '01',
      '--output-file',
      file,
    ]);
    expect(toHex(readFileSync(file))).toBe(toHex(der.auth));
  });

  it('ok-the signing certificate is listed only after the signing password', async () => {
    // OpenSC marks EF 0001 private; our card answers 6982 until the password is verified.
    const label = /label:\s+Digital Signature Certificate\n/;
    const anonymous = await p11(['--token-label', SIGN_TOKEN, '--list-objects']);
    expect(anonymous).not.toMatch(label);
    const loggedIn = await p11([
      '--token-label',
      SIGN_TOKEN,
      '--login',
      '--pin',
      'WATASHI1',
      '--list-objects',
    ]);
    expect(loggedIn).toMatch(label);
    expect(loggedIn).toContain('Digital Signature Key');
  });

  it('ok-signs SHA256-RSA-PKCS with the user-auth key after the PIN; openssl verifies against the certificate', async () => {
    const data = join(dir, 'data.bin');
    const sig = join(dir, 'data.sig');
    writeFileSync(data, 'Watashi conformance: sign with the card through OpenSC\n');
    await p11([
      '--token-label', AUTH_TOKEN, '--login', '--pin', '1234', '--sign', '--mechanism', 'SHA256-RSA-PKCS',
      '--id', '01', '--input-file', data, '--output-file', sig,
    ]); // prettier-ignore
    expect(readFileSync(sig)).toHaveLength(256);
    await run('openssl', [
      'x509',
      '-in',
      join(dir, 'auth.pem'),
      '-pubkey',
      '-noout',
      '-out',
      join(dir, 'auth.pub'),
    ]);
    const { stdout } = await run('openssl', [
      'dgst',
      '-sha256',
      '-verify',
      join(dir, 'auth.pub'),
      '-signature',
      sig,
      data,
    ]);
    expect(stdout).toContain('Verified OK');
    // The same signature must not verify for other data.
    writeFileSync(data, 'tampered\n');
    await expect(
      run('openssl', ['dgst', '-sha256', '-verify', join(dir, 'auth.pub'), '-signature', sig, data]),
    ).rejects.toThrow();
    expect(card.counters.auth).toBe(3);
  });

  it("ok-C_GenerateRandom (pkcs11-tool --generate-random) is answered by the card's GET CHALLENGE", async () => {
    const log: string[] = [];
    const onApdu = (cmd: Uint8Array, res: Uint8Array): void => {
      if (cmd[1] === 0x84) log.push(`${toHex(cmd)}>${toHex(res.subarray(res.length - 2))}:${res.length - 2}`);
    };
    bridgeLog.push(onApdu);
    try {
      const file = join(dir, 'random.bin');
      for (const n of [8, 32]) {
        await p11(['--slot-index', '0', '--generate-random', String(n), '--output-file', file]);
        expect(readFileSync(file)).toHaveLength(n);
      }
    } finally {
      bridgeLog.length = 0;
    }
    // Each request reached the card as one ISO GET CHALLENGE with Le = n, answered with n bytes.
    expect(log).toEqual(['0084000008>9000:8', '0084000020>9000:32']);
  });

  it('fail-a wrong PIN through OpenSC costs one try on the card, a right one restores it', async () => {
    await expect(
      p11(['--token-label', AUTH_TOKEN, '--login', '--pin', '9999', '--list-objects']),
    ).rejects.toThrow();
    expect(card.counters.auth).toBe(2);
    await p11(['--token-label', AUTH_TOKEN, '--login', '--pin', '1234', '--list-objects']);
    expect(card.counters.auth).toBe(3);
  });
});

describe('PcscTransport + JpkiCardClient through pcscd', () => {
  it('ok-reads the token name and certificates and signs; an empty reader is card_transport_failed', async () => {
    const data = new TextEncoder().encode('signed over PC/SC');
    const script = fileURLToPath(new URL('./pcsc-client.ts', import.meta.url));
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', script, READER, 'Virtual PCD 00 01', toHex(data)],
      {
        timeout: 30_000,
      },
    );
    const r = JSON.parse(stdout) as Record<string, unknown>;
    expect(r.readers).toEqual(expect.arrayContaining([READER, 'Virtual PCD 00 01']));
    expect(r.emptyReaderError).toBe('card_transport_failed');
    expect(r.readerName).toBe(READER);
    expect(r.atr).toBe('3be000ff8131fe4514');
    expect(r.token).toBe('JPKIAPICCTOKEN2');
    expect(r.signTries).toBe(5);
    expect(r.authCert).toBe(toHex(der.auth));
    expect(r.signCertWithoutPin).toBe('card_security_status_not_satisfied');
    expect(r.signCert).toBe(toHex(der.sign));
    writeFileSync(join(dir, 'pcsc.bin'), data);
    writeFileSync(join(dir, 'pcsc.sig'), Buffer.from(String(r.signature), 'hex'));
    await run('openssl', [
      'x509',
      '-in',
      join(dir, 'sign.pem'),
      '-pubkey',
      '-noout',
      '-out',
      join(dir, 'sign.pub'),
    ]);
    const { stdout: v } = await run('openssl', ['dgst', '-sha256', '-verify', join(dir, 'sign.pub'), '-signature', join(dir, 'pcsc.sig'), join(dir, 'pcsc.bin')]); // prettier-ignore
    expect(v).toContain('Verified OK');
  });
});
