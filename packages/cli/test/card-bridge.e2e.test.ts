/**
 * `watashi card-bridge` over a real pcscd: the virtual card is plugged in through the vsmartcard
 * vpcd driver (private-pcscd.ts), the bridge runs as the real `watashi` executable in a child
 * process (PcscTransport must not share a thread with the card it reaches), and the wallet's own
 * hosted-card client (packages/wallet/src/lib/card.ts) drives it over HTTP.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { createPrivateKey, verify, X509Certificate } from 'node:crypto';
import type { JsonWebKey as NodeJwk } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VirtualJpkiCard } from '@watashi/jpki';
import { privatePcscd, spawnCardBridge, stopChild, VPCD_READER } from './private-pcscd.ts';
import { listHostedCards, signWithCard, triesLeft } from '../../wallet/src/lib/card.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/watashi.mjs', import.meta.url));
const WALLET = 'http://localhost:8780';
const READER = VPCD_READER;

let dir = '';
let pcsc: { close(): Promise<void> } | undefined;
let bridge: ChildProcess | undefined;
let bridgeOutput = (): string => '';
let url = '';
let card: VirtualJpkiCard;
let authDer: Buffer;
/** Every C-APDU the card saw, hex. */
const apdus: string[] = [];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'watashi-card-bridge-'));
  const jwk: Record<string, NodeJwk> = {};
  const der: Record<string, Buffer> = {};
  await Promise.all(
    ['sign', 'signca', 'auth', 'authca'].map(async (n) => {
      await run('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30',
        '-subj', `/C=JP/O=JPKI-SIM/CN=${n}`, '-keyout', join(dir, `${n}.key`), '-out', join(dir, `${n}.pem`),
      ]); // prettier-ignore
      der[n] = new X509Certificate(readFileSync(join(dir, `${n}.pem`))).raw;
      jwk[n] = createPrivateKey(readFileSync(join(dir, `${n}.key`))).export({ format: 'jwk' });
    }),
  );
  authDer = der['auth']!;
  card = new VirtualJpkiCard({
    kind: 'card',
    signCertificate: der['sign']!,
    signCaCertificate: der['signca']!,
    authCertificate: authDer,
    authCaCertificate: der['authca']!,
    signKey: jwk['sign']!,
    authKey: jwk['auth']!,
    signPin: 'WATASHI1',
    authPin: '1234',
    onApdu: (cmd) => apdus.push(Buffer.from(cmd).toString('hex')),
  });

  pcsc = await privatePcscd(card);
  const b = await spawnCardBridge(BIN, ['--wallet-origin', WALLET, '--port', '0', '--reader', READER]);
  ({ url, child: bridge } = b);
  bridgeOutput = b.output;
  // Until pcscd has seen the card in the virtual reader, the list is empty.
  for (let i = 0; i < 100 && (await listHostedCards(url)).length === 0; i++) await sleep(200);
}, 90_000);

afterAll(async () => {
  await stopChild(bridge);
  await pcsc?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('ok-lists the card, counts tries and signs with the auth key through the wallet client', async () => {
  const cards = await listHostedCards(url);
  expect(cards).toEqual([
    {
      id: expect.stringMatching(/^pcsc-[0-9a-f]{12}$/) as unknown,
      kind: 'card',
      status: 'active',
      holder: READER,
      reader: READER,
      signing: true,
      expiresAt: new Date(new X509Certificate(authDer).validTo).toISOString(),
    },
  ]);
  const id = cards[0]!.id;
  expect(await triesLeft(url, id, 'auth')).toBe(3); // a fresh card: none of the 3 tries used
  const message = new TextEncoder().encode('sign in with the card through the bridge');
  const r = await signWithCard(url, id, 'auth', '1234', message);
  expect(Buffer.from(r.certificate, 'base64').equals(authDer)).toBe(true);
  const pub = new X509Certificate(authDer).publicKey;
  expect(verify('sha256', message, pub, Buffer.from(r.signature, 'base64'))).toBe(true);
  expect(verify('sha256', Buffer.from('tampered'), pub, Buffer.from(r.signature, 'base64'))).toBe(false);

  // A wrong PIN costs one try and says how many are left; the card reset at session end forgets it.
  await expect(signWithCard(url, id, 'auth', '9999', message)).rejects.toMatchObject({
    code: 'card_pin_incorrect',
  });
  expect(await triesLeft(url, id, 'auth')).toBe(2);
  await signWithCard(url, id, 'auth', '1234', message);
  expect(card.counters.auth).toBe(3);

  // A listing while a session is open does not touch the card (its APDUs would interleave).
  expect((await fetch(`${url}/cards/${id}/session`, { method: 'POST' })).status).toBe(200);
  const seen = apdus.length;
  expect((await listHostedCards(url)).map((c) => c.id)).toEqual([id]);
  expect(apdus.length).toBe(seen);
  expect((await fetch(`${url}/cards/${id}/session`, { method: 'DELETE' })).status).toBe(200);

  // The PIN went to the card (a VERIFY ending in "1234") but never into the bridge's output.
  const pin = Buffer.from('1234').toString('hex');
  expect(apdus.some((a) => a.startsWith('0020') && a.endsWith(pin))).toBe(true);
  expect(bridgeOutput()).toMatch(/POST \/cards\/pcsc-[0-9a-f]{12}\/apdu 200/);
  expect(bridgeOutput()).not.toContain(pin);
}, 120_000);

it('fail-another origin or host is refused before the card; a non-loopback bind is refused', async () => {
  const [c] = await listHostedCards(url);
  const before = apdus.length;
  const evil = await fetch(`${url}/cards/${c!.id}/apdu`, {
    method: 'POST',
    headers: { origin: 'https://evil.example', 'content-type': 'application/octet-stream' },
    body: Buffer.from('00a4040c0ad3921000310001010408', 'hex'),
  });
  expect(evil.status).toBe(403);
  expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  expect(await evil.json()).toMatchObject({ code: 'origin_not_allowed' });
  const pre = await fetch(`${url}/cards`, {
    method: 'OPTIONS',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  });
  expect(pre.status).toBe(403);
  expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  expect(apdus.length).toBe(before);

  // The wallet's origin gets its CORS answer (and Private Network Access).
  const ok = await fetch(`${url}/cards/${c!.id}/apdu`, {
    method: 'OPTIONS',
    headers: {
      origin: WALLET,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
      'access-control-request-private-network': 'true',
    },
  });
  expect(ok.status).toBe(204);
  expect(ok.headers.get('access-control-allow-origin')).toBe(WALLET);
  expect(ok.headers.get('access-control-allow-private-network')).toBe('true');

  // DNS rebinding: a page naming its own host is refused.
  const { request } = await import('node:http');
  const rebound = await new Promise<number>((resolve, reject) => {
    const req = request(`${url}/cards`, { headers: { host: 'evil.example:80' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  expect(rebound).toBe(403);

  const unknown = await fetch(`${url}/cards/pcsc-000000000000/session`, { method: 'POST' });
  expect(unknown.status).toBe(404);
  expect(await unknown.json()).toMatchObject({ code: 'card_not_found' });

  await expect(
    run(process.execPath, [BIN, 'card-bridge', '--wallet-origin', WALLET, '--host', '0.0.0.0']),
  ).rejects.toMatchObject({
    code: 2,
    stderr: expect.stringContaining('[usage_card_bridge_host]') as unknown,
  });
  await expect(run(process.execPath, [BIN, 'card-bridge', '--port', '0'])).rejects.toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--wallet-origin') as unknown,
  });
}, 60_000);
