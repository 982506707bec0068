import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCertificationRequest } from '@watashi/ca';
import { nodeVerifier } from '@watashi/pki/node';
import {
  createDeviceKey,
  eraseDeviceKey,
  getDeviceKey,
  listDeviceKeys,
  memoryDeviceKeyStore,
  saveDeviceCertificate,
  setDeviceKeyStore,
  type DeviceKeyStore,
} from './device-key.ts';

const dir = mkdtempSync(join(tmpdir(), 'device-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let store: DeviceKeyStore;
beforeEach(() => {
  store = memoryDeviceKeyStore();
  setDeviceKeyStore(store);
});

const p1363Verify = (spki: Uint8Array, data: Uint8Array, sig: Uint8Array): boolean =>
  verify(
    'sha256',
    data,
    {
      key: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
      dsaEncoding: 'ieee-p1363',
    },
    sig,
  );

describe('the wallet device key', () => {
  it('keeps the signing key apart from the authentication key of the same account', async () => {
    const auth = await createDeviceKey('acct', 'web-1');
    const sign = await createDeviceKey('acct', 'web-1', 'sign');
    expect([auth.purpose, sign.purpose, sign.accountId]).toEqual(['auth', 'sign', 'acct']);
    expect(Buffer.from(sign.spki).equals(Buffer.from(auth.spki))).toBe(false);
    expect(Buffer.from((await getDeviceKey('acct'))!.spki).equals(Buffer.from(auth.spki))).toBe(true);
    expect(Buffer.from((await getDeviceKey('acct', 'sign'))!.spki).equals(Buffer.from(sign.spki))).toBe(true);
    await saveDeviceCertificate('acct', { serial: 'a1', der: new Uint8Array([1]), state: 'active' }, 'sign');
    expect((await getDeviceKey('acct'))!.certificateInfo()).toBeNull();
    await eraseDeviceKey('acct', 'sign');
    expect(await getDeviceKey('acct', 'sign')).toBeNull();
    expect((await listDeviceKeys()).map((k) => [k.accountId, k.purpose])).toEqual([['acct', 'auth']]);
  });

  it('ok-csr-verifies-with-the-ca-and-openssl', async () => {
    const key = await createDeviceKey('acct-1', 'phone');
    const csr = await key.certificationRequest();
    // The CA's own parser checks the self-signature (proof of possession, RFC 2986 §3)…
    const parsed = await parseCertificationRequest(csr, nodeVerifier());
    expect(Buffer.from(parsed.spki).equals(Buffer.from(key.spki))).toBe(true);
    // …and so does openssl, independently.
    const file = join(dir, 'req.der');
    writeFileSync(file, csr);
    const out = execFileSync(
      'openssl',
      ['req', '-inform', 'DER', '-in', file, '-verify', '-noout', '-text'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    expect(out).toContain('prime256v1');
    expect(out).toContain('ecdsa-with-SHA256');
  });

  it('ok-signature-is-raw-r-s-by-the-stored-key', async () => {
    const key = await createDeviceKey('acct-1', 'phone');
    const msg = new TextEncoder().encode('watashi-device-activation/v1\nhttps://id.example\n01\nx\ny');
    const sig = await key.sign(msg);
    expect(sig.length).toBe(64);
    expect(p1363Verify(key.spki, msg, sig)).toBe(true);
    expect(p1363Verify(key.spki, new TextEncoder().encode('other'), sig)).toBe(false);
    // Loaded again from the store, it is the same key.
    const again = await getDeviceKey('acct-1');
    expect(again).not.toBeNull();
    expect(p1363Verify(key.spki, msg, await again!.sign(msg))).toBe(true);
  });

  it('ok-private-key-is-not-extractable', async () => {
    await createDeviceKey('acct-1', 'phone');
    const rec = await store.get('acct-1');
    expect(rec!.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('pkcs8', rec!.privateKey)).rejects.toThrow();
  });

  it('ok-jwk-and-es256-jws-verify', async () => {
    const key = await createDeviceKey('acct-1', 'phone');
    const jwk = await key.publicJwk();
    expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    const jws = await key.signJws({ typ: 'kb+jwt' }, { nonce: 'n-1', aud: 'https://rp.example' });
    const [h, p, s] = jws.split('.');
    expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual({ typ: 'kb+jwt', alg: 'ES256' });
    expect(JSON.parse(Buffer.from(p!, 'base64url').toString())).toEqual({
      nonce: 'n-1',
      aud: 'https://rp.example',
    });
    const pub = createPublicKey({ key: { ...jwk }, format: 'jwk' });
    expect(
      verify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        { key: pub, dsaEncoding: 'ieee-p1363' },
        Buffer.from(s!, 'base64url'),
      ),
    ).toBe(true);
  });

  it('ok-certificate-saved-then-erased', async () => {
    const key = await createDeviceKey('acct-1', 'phone');
    expect(key.certificate()).toBeNull();
    const der = Uint8Array.of(0x30, 0x00);
    const saved = await saveDeviceCertificate('acct-1', { serial: 'abc', der, state: 'pending' });
    expect(saved.certificateInfo()).toEqual({ serial: 'abc', der, state: 'pending' });
    expect((await getDeviceKey('acct-1'))!.certificate()).toEqual(der);
    await createDeviceKey('acct-2', 'computer');
    expect((await listDeviceKeys()).map((k) => k.accountId).sort()).toEqual(['acct-1', 'acct-2']);
    await eraseDeviceKey('acct-1');
    expect(await getDeviceKey('acct-1')).toBeNull();
    expect((await listDeviceKeys()).map((k) => k.accountId)).toEqual(['acct-2']);
  });

  it('err-save-certificate-without-a-key', async () => {
    await expect(
      saveDeviceCertificate('nobody', { serial: 'abc', der: new Uint8Array(0), state: 'pending' }),
    ).rejects.toMatchObject({ code: 'device_key_missing' });
  });

  it('ok-a-new-key-replaces-the-old-one', async () => {
    const a = await createDeviceKey('acct-1', 'phone');
    await saveDeviceCertificate('acct-1', { serial: 'abc', der: Uint8Array.of(1), state: 'active' });
    const b = await createDeviceKey('acct-1', 'phone');
    expect(Buffer.from(a.spki).equals(Buffer.from(b.spki))).toBe(false);
    const loaded = await getDeviceKey('acct-1');
    expect(Buffer.from(loaded!.spki).equals(Buffer.from(b.spki))).toBe(true);
    expect(loaded!.certificate()).toBeNull();
  });
});
