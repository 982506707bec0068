// Signing keys of the key stores (the OpenID Provider's ID-token keys): ES256 signatures in JWS
// form verified by jose against the published public JWK only, creation on first use, rotation
// keeping old keys published, files 0600 in the local store, and keys surviving a reopen.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compactVerify, importJWK } from 'jose';
import { createMemoryKeyStore, openLocalKeyStore, type SigningKeyStore } from '../../src/keys/index.ts';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'watashi-sign-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const b64u = (s: string | Uint8Array): string => Buffer.from(s).toString('base64url');

const suites: Array<[string, () => SigningKeyStore]> = [
  ['memory', () => createMemoryKeyStore()],
  ['local', () => openLocalKeyStore({ dir: join(tempDir(), 'keys') })],
];

for (const [name, make] of suites) {
  describe(name, () => {
    it('ok-first-use-creates-one-es256-key-that-jose-verifies', async () => {
      const k = make();
      const keys = await k.signingKeys('oidc');
      expect(keys).toHaveLength(1);
      const key = keys[0]!;
      expect(key.alg).toBe('ES256');
      expect(Object.keys(key.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
      const input = `${b64u(JSON.stringify({ alg: 'ES256', kid: key.keyId }))}.${b64u('{"a":1}')}`;
      const sig = await key.sign(new TextEncoder().encode(input));
      expect(sig.length).toBe(64);
      const pub = await importJWK({ ...key.publicJwk }, 'ES256');
      const { payload } = await compactVerify(`${input}.${b64u(sig)}`, pub);
      expect(new TextDecoder().decode(payload)).toBe('{"a":1}');
      // Same key on the next call.
      expect((await k.signingKeys('oidc'))[0]!.keyId).toBe(key.keyId);
    });

    it('ok-rotation-puts-the-new-key-first-and-keeps-the-old', async () => {
      const k = make();
      const [old] = await k.signingKeys('oidc');
      const fresh = await k.rotateSigningKey('oidc');
      const keys = await k.signingKeys('oidc');
      expect(keys.map((x) => x.keyId)).toEqual([fresh.keyId, old!.keyId]);
      expect(fresh.keyId > old!.keyId).toBe(true);
    });

    it('ok-purposes-do-not-share-keys', async () => {
      const k = make();
      const [a] = await k.signingKeys('oidc');
      const [b] = await k.signingKeys('other');
      expect(a!.publicJwk).not.toEqual(b!.publicJwk);
    });

    it('fail-bad-purpose', async () => {
      await expect(make().signingKeys('../x')).rejects.toThrow(TypeError);
    });
  });
}

describe('local files', () => {
  it('ok-key-file-0600-and-survives-reopen', async () => {
    const dir = join(tempDir(), 'keys');
    const [key] = await openLocalKeyStore({ dir }).signingKeys('oidc');
    const files = readdirSync(dir).filter((f) => f.startsWith('sign-oidc-'));
    expect(files).toEqual([`sign-oidc-${key!.keyId}.p8`]);
    expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);
    const [again] = await openLocalKeyStore({ dir }).signingKeys('oidc');
    expect(again!.publicJwk).toEqual(key!.publicJwk);
  });
});
