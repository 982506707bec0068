import { createPublicKey, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import type { JsonWebKey as NodeJwk } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { isWatashiError, toHex } from '@watashi/pki';
import { JpkiCardClient, statusError } from './client.ts';
import { VirtualJpkiCard } from './virtual-card.ts';
import type { VirtualJpkiCardOptions } from './virtual-card.ts';
import type { CardTransport } from './transport.ts';

function fakeCert(total: number, seed: number): Uint8Array {
  const b = new Uint8Array(total);
  b.set([0x30, 0x82, (total - 4) >> 8, (total - 4) & 0xff]);
  for (let i = 4; i < total; i++) b[i] = (i * 13 + seed) & 0xff;
  return b;
}
const certs = {
  sign: fakeCert(1500, 1),
  signCa: fakeCert(900, 2),
  auth: fakeCert(1234, 3),
  authCa: fakeCert(256 + 4, 4),
};
let signJwk: JsonWebKey;
let authJwk: JsonWebKey;

beforeAll(() => {
  const gen = (): JsonWebKey =>
    generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  signJwk = gen();
  authJwk = gen();
});

/** A client over a fresh virtual card, with the APDU transcript. */
function setup(over: Partial<VirtualJpkiCardOptions> = {}, maxReadLength?: number) {
  const log: string[] = [];
  const card = new VirtualJpkiCard({
    kind: 'card',
    signCertificate: certs.sign,
    signCaCertificate: certs.signCa,
    authCertificate: certs.auth,
    authCaCertificate: certs.authCa,
    signKey: signJwk,
    authKey: authJwk,
    signPin: 'WATASHI1',
    authPin: '4321',
    onApdu: (c, r) => log.push(`${toHex(c)}>${toHex(r.subarray(-2))}`),
    ...over,
  });
  const client = new JpkiCardClient(card, maxReadLength === undefined ? {} : { maxReadLength });
  return { card, client, log };
}

async function codeOf(
  p: Promise<unknown>,
): Promise<{ code: string; detail: Record<string, unknown> | undefined }> {
  try {
    await p;
  } catch (e) {
    if (isWatashiError(e)) return { code: e.code, detail: e.detail as Record<string, unknown> | undefined };
    throw e;
  }
  throw new Error('expected a WatashiError');
}

describe('reading', () => {
  it('ok-reads a 1234-byte certificate in 256-byte chunks (Le=00) after a 4-byte head', async () => {
    const { client, log } = setup();
    expect(toHex(await client.readCertificate('auth'))).toBe(toHex(certs.auth));
    const reads = log.filter((l) => l.startsWith('00b0'));
    expect(reads[0]).toBe('00b0000004>9000');
    expect(reads.slice(1).map((l) => l.slice(8, 10))).toEqual(['00', '00', '00', '00', 'ce']);
    expect(reads).toHaveLength(1 + Math.ceil((1234 - 4) / 256));
  });
  it('ok-reads with 0xFF chunks when asked, and the 4 certificates match', async () => {
    const { client, log } = setup({}, 0xff);
    await client.verifyPin('sign', 'watashi1');
    for (const [kind, want] of [
      ['sign', certs.sign],
      ['sign-ca', certs.signCa],
      ['auth', certs.auth],
      ['auth-ca', certs.authCa],
    ] as const)
      expect(toHex(await client.readCertificate(kind))).toBe(toHex(want));
    expect(log.filter((l) => l.startsWith('00b0') && l.slice(8, 10) === '00')).toEqual([]);
  });
  it('fail-the signing certificate without the password is card_security_status_not_satisfied', async () => {
    const { client } = setup();
    expect((await codeOf(client.readCertificate('sign'))).code).toBe('card_security_status_not_satisfied');
  });
  it('fail-no signing certificate on an under-15 card is card_file_not_found', async () => {
    const { client } = setup({ signCertificate: undefined, signKey: undefined, signPin: undefined });
    expect((await codeOf(client.readCertificate('sign'))).code).toBe('card_file_not_found');
  });
  it('ok-token names', async () => {
    expect(await setup().client.readTokenInfo()).toBe('JPKIAPICCTOKEN2');
    expect(await setup({ kind: 'android' }).client.readTokenInfo()).toBe('JPKIAPGPSETOKEN');
    expect(await setup({ kind: 'ios' }).client.readTokenInfo()).toBe('JPKIAPIOSTOKEN');
  });
  it('fail-a card without the JPKI AP is card_not_jpki; a failing transport is card_transport_failed', async () => {
    const notJpki: CardTransport = { transmit: () => Promise.resolve(Uint8Array.of(0x6a, 0x82)) };
    expect((await codeOf(new JpkiCardClient(notJpki).readTokenInfo())).code).toBe('card_not_jpki');
    const broken: CardTransport = { transmit: () => Promise.reject(new Error('reader unplugged')) };
    expect((await codeOf(new JpkiCardClient(broken).selectJpkiAp())).code).toBe('card_transport_failed');
    const short: CardTransport = { transmit: () => Promise.resolve(Uint8Array.of(0x90)) };
    expect((await codeOf(new JpkiCardClient(short).selectJpkiAp())).code).toBe('card_response_malformed');
  });
  it('fail-an EF that is not a 30 82 certificate is card_response_malformed', async () => {
    const { client } = setup({ authCaCertificate: Uint8Array.of(0x30, 0x81, 0x01, 0x00) });
    expect((await codeOf(client.readCertificate('auth-ca'))).code).toBe('card_response_malformed');
  });
});

describe('PINs', () => {
  it('ok-pinStatus reads the counter without using a try', async () => {
    const { client, card } = setup();
    expect(await client.pinStatus('auth')).toBe(3);
    expect(await client.pinStatus('sign')).toBe(5);
    expect(await client.pinStatus('auth')).toBe(3);
    expect(card.counters).toEqual({ sign: 5, auth: 3 });
  });
  it('fail-wrong PIN is card_pin_incorrect with triesLeft, the last try and later ones card_pin_blocked', async () => {
    const { client } = setup();
    expect(await codeOf(client.verifyPin('auth', '0000'))).toMatchObject({
      code: 'card_pin_incorrect',
      detail: { triesLeft: 2, sw: '63c2' },
    });
    expect(await codeOf(client.verifyPin('auth', '0000'))).toMatchObject({
      code: 'card_pin_incorrect',
      detail: { triesLeft: 1 },
    });
    expect(await codeOf(client.verifyPin('auth', '0000'))).toMatchObject({
      code: 'card_pin_blocked',
      detail: { sw: '63c0' },
    });
    expect(await codeOf(client.verifyPin('auth', '4321'))).toMatchObject({
      code: 'card_pin_blocked',
      detail: { sw: '6984' },
    });
    expect(await client.pinStatus('auth')).toBe(0);
  });
  it('fail-malformed PINs are card_pin_format and nothing is sent', async () => {
    const { client, log } = setup();
    for (const [kind, pin] of [
      ['auth', '123'],
      ['auth', '12a4'],
      ['sign', 'ABCDEF'],
      ['sign', '123456'],
      ['sign', 'AB12'],
      ['sign', 'ABCDEFGH123456789'],
      ['sign', 'ABC-123'],
    ] as const)
      expect((await codeOf(client.verifyPin(kind, pin))).code).toBe('card_pin_format');
    expect((await codeOf(client.changePin('auth', '4321', '99999'))).code).toBe('card_pin_format');
    expect(log).toEqual([]);
  });
  it('ok-changePin verifies then changes; the new PIN works', async () => {
    const { client, card } = setup();
    await client.changePin('sign', 'WATASHI1', 'newpass2');
    await client.selectJpkiAp();
    await client.verifyPin('sign', 'NEWPASS2');
    expect(card.exportState().pins.sign).toBe('NEWPASS2');
    expect(await codeOf(client.changePin('auth', '1111', '2222'))).toMatchObject({
      code: 'card_pin_incorrect',
      detail: { triesLeft: 2 },
    });
  });
});

describe('signing', () => {
  it('ok-sign() with each key gives an RSASSA-PKCS1-v1_5 SHA-256 signature that node:crypto verifies', async () => {
    const { client } = setup();
    const data = new TextEncoder().encode('ワタシ consent 2026');
    for (const [kind, pin, jwk] of [
      ['auth', '4321', () => authJwk],
      ['sign', 'watashi1', () => signJwk],
    ] as const) {
      const sig = await client.sign(kind, pin, data);
      expect(sig.length).toBe(256);
      expect(nodeVerify('sha256', data, createPublicKey({ key: jwk() as NodeJwk, format: 'jwk' }), sig)).toBe(
        true,
      );
    }
  });
  it('fail-signDigestInfo without the PIN is card_security_status_not_satisfied; sign with a wrong PIN is card_pin_incorrect', async () => {
    const { client } = setup();
    expect((await codeOf(client.signDigestInfo('auth', new Uint8Array(51)))).code).toBe(
      'card_security_status_not_satisfied',
    );
    expect((await codeOf(client.sign('sign', 'WRONG1', new Uint8Array(3)))).code).toBe('card_pin_incorrect');
    await expect(client.signDigestInfo('auth', new Uint8Array(246))).rejects.toThrow(RangeError);
  });
});

describe('status word mapping', () => {
  it('ok-maps SWs to error codes', () => {
    expect(statusError(0x63c4, 'x')).toMatchObject({ code: 'card_pin_incorrect', detail: { triesLeft: 4 } });
    expect(statusError(0x6983, 'x').code).toBe('card_pin_blocked');
    expect(statusError(0x6982, 'x').code).toBe('card_security_status_not_satisfied');
    expect(statusError(0x6a82, 'x').code).toBe('card_file_not_found');
    expect(statusError(0x6a86, 'x')).toMatchObject({ code: 'card_status', detail: { sw: '6a86' } });
    expect(statusError(0x6d00, 'x')).toMatchObject({ code: 'card_status', detail: { sw: '6d00' } });
  });
});
