/**
 * The signing capability of the key store in a PKCS#11 token (SoftHSM2): keys are made in the
 * token on first use, found again by a new session, rotated, and sign JWS-form ES256 signatures
 * that verify with the published JWK.
 */
import { createPublicKey, verify } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { isWatashiError } from '@watashi/pki';
import { openPkcs11SigningKeys, withPkcs11Signing, createMemoryKeyStore } from '../../src/keys/index.ts';
import { softHsmToken } from '../../../ca/test/softhsm.ts';

const token = softHsmToken('keys-test', '24680');
const wrong = softHsmToken('keys-wrong-pin', '11111');

describe('PKCS#11 signing keys (SoftHSM2)', () => {
  const opened: Array<{ close(): void }> = [];
  afterAll(() => opened.forEach((o) => o.close()));

  it('creates a key on first use, signs ES256 (r ‖ s) that verifies with the JWK, and keeps it', async () => {
    const a = openPkcs11SigningKeys(token);
    opened.push(a);
    const [key] = await a.signingKeys('ca-issuing');
    expect(key).toBeDefined();
    const sig = await key!.sign(Buffer.from('to be signed'));
    expect(sig.length).toBe(64);
    const pub = createPublicKey({ key: { ...key!.publicJwk }, format: 'jwk' });
    expect(verify('sha256', Buffer.from('to be signed'), { key: pub, dsaEncoding: 'ieee-p1363' }, sig)).toBe(
      true,
    );
    // A second session (another process, a restart) finds the same key, not a new one.
    const b = openPkcs11SigningKeys(token);
    opened.push(b);
    const again = await b.signingKeys('ca-issuing');
    expect(again.map((k) => k.keyId)).toEqual([key!.keyId]);
    expect(again[0]!.publicJwk).toEqual(key!.publicJwk);
    // Purposes never share a key.
    const [other] = await b.signingKeys('ca-root');
    expect(other!.keyId).not.toBe(key!.keyId);
  });

  it('rotation adds a newer current key and keeps the older one', async () => {
    const a = openPkcs11SigningKeys(token);
    opened.push(a);
    const before = await a.signingKeys('oidc');
    const rotated = await a.rotateSigningKey('oidc');
    const after = await a.signingKeys('oidc');
    expect(after[0]!.keyId).toBe(rotated.keyId);
    expect(after.map((k) => k.keyId)).toEqual([rotated.keyId, ...before.map((k) => k.keyId)]);
  });

  it('combined with a local store: seal and MAC locally, sign in the token', async () => {
    const signing = openPkcs11SigningKeys(token);
    opened.push(signing);
    const store = withPkcs11Signing(createMemoryKeyStore(), signing);
    const box = await store.seal(Buffer.from('basic 4'), Buffer.from('aad'));
    expect(Buffer.from(await store.open(box, Buffer.from('aad'))).toString()).toBe('basic 4');
    expect((await store.signingKeys('ca-issuing'))[0]!.keyId).toMatch(/^\d{14}-[0-9a-f]{8}$/);
  });

  it('refuses a wrong PIN and an absent token with stable codes', () => {
    expect(() => openPkcs11SigningKeys({ ...wrong, pin: '99999' })).toThrow(
      expect.objectContaining({ code: 'pkcs11_login_failed' }),
    );
    try {
      openPkcs11SigningKeys({ ...token, tokenLabel: 'no-such-token' });
      expect.unreachable();
    } catch (e) {
      expect(isWatashiError(e) && e.code).toBe('pkcs11_token_not_found');
    }
    expect(() => openPkcs11SigningKeys({ ...token, module: '/nonexistent/pkcs11.so' })).toThrow(
      expect.objectContaining({ code: 'pkcs11_module_unavailable' }),
    );
  });
});
