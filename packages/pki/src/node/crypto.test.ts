import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bitString, int, nul, oid, seq, tlv } from '../der/writer.ts';
import { OID } from '../der/oid.ts';
import { Tag } from '../der/reader.ts';
import { nodeVerifier } from './crypto.ts';

const data = new TextEncoder().encode('Watashi enrolment document');
const spkiOf = (k: KeyObject): Uint8Array => new Uint8Array(k.export({ type: 'spki', format: 'der' }));

function rsa(bits = 2048, publicExponent = 65537): { spki: Uint8Array; sig: Uint8Array } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent });
  return { spki: spkiOf(publicKey), sig: new Uint8Array(sign('sha256', data, privateKey)) };
}

/** What node:crypto says with a key imported from the DER on every call (no cache, no JWK). */
function reference(spki: Uint8Array, sig: Uint8Array): boolean {
  try {
    return verify(
      'sha256',
      data,
      createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
      sig,
    );
  } catch {
    return false;
  }
}

describe('nodeVerifier', () => {
  it('ok-rsa-and-ec: verifies RSA (2048, 1024, e = 3) and P-256 signatures, and nothing else', async () => {
    const v = nodeVerifier();
    for (const k of [rsa(), rsa(1024), rsa(2048, 3)]) {
      expect(await v.verify(k.spki, 'RSA-SHA256', data, k.sig)).toBe(true);
      expect(await v.verify(k.spki, 'RSA-SHA256', Uint8Array.of(1, ...data), k.sig)).toBe(false);
    }
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecSig = new Uint8Array(sign('sha256', data, ec.privateKey));
    expect(await v.verify(spkiOf(ec.publicKey), 'ECDSA-SHA256', data, ecSig)).toBe(true);
    expect(await v.verify(spkiOf(ec.publicKey), 'ECDSA-SHA256', data.subarray(1), ecSig)).toBe(false);
  });

  it('fail-other-key: a cached key never answers for a different key, even in the same buffer', async () => {
    const v = nodeVerifier();
    const a = rsa();
    const b = rsa();
    expect(a.spki.length).toBe(b.spki.length);
    const buf = new Uint8Array(a.spki);
    expect(await v.verify(buf, 'RSA-SHA256', data, a.sig)).toBe(true);
    buf.set(b.spki); // the same Uint8Array object now holds another key
    expect(await v.verify(buf, 'RSA-SHA256', data, a.sig)).toBe(false);
    expect(await v.verify(buf, 'RSA-SHA256', data, b.sig)).toBe(true);
    // The same bytes in a fresh buffer hit the cached key.
    expect(await v.verify(new Uint8Array(b.spki), 'RSA-SHA256', data, b.sig)).toBe(true);
    expect(v.cachedKeys()).toBe(2);
  });

  it('ok-cache-bound: keeps at most cacheSize keys, least recently used out first', async () => {
    const v = nodeVerifier(2);
    const [a, b, c] = [rsa(1024), rsa(1024), rsa(1024)];
    for (const k of [a, b, a, c, a, b, c])
      expect(await v.verify(k.spki, 'RSA-SHA256', data, k.sig)).toBe(true);
    expect(v.cachedKeys()).toBe(2);
    expect(await v.verify(a.spki, 'RSA-SHA256', data, b.sig)).toBe(false);
    expect(() => nodeVerifier(0)).toThrow(RangeError);
  });

  it('fail-non-canonical-spki: answers exactly as a DER import would', async () => {
    const k = rsa();
    const key = createPublicKey({ key: Buffer.from(k.spki), format: 'der', type: 'spki' });
    const { n, e } = key.export({ format: 'jwk' });
    const nBytes = Buffer.from(n!, 'base64url');
    const eBytes = Buffer.from(e!, 'base64url');
    const rsaKey = (modulus: Uint8Array): Uint8Array =>
      bitString(seq(tlv(Tag.INTEGER, modulus), int(eBytes)));
    const variants: Uint8Array[] = [
      seq(seq(oid(OID.rsaEncryption)), rsaKey(Uint8Array.of(0, ...nBytes))), // parameters absent
      seq(seq(oid(OID.rsaEncryption), nul()), rsaKey(Uint8Array.of(0, 0, ...nBytes))), // non-minimal
      seq(seq(oid(OID.rsaEncryption), nul()), rsaKey(nBytes)), // negative modulus
      seq(seq(oid(OID.rsaEncryption), nul()), rsaKey(Uint8Array.of(0, ...nBytes)), nul()), // trailing
      Uint8Array.of(...k.spki, 0), // trailing byte
      k.spki.subarray(0, 100), // truncated
      new Uint8Array(0),
    ];
    const v = nodeVerifier();
    for (const spki of variants)
      expect(
        await v.verify(spki, 'RSA-SHA256', data, k.sig),
        Buffer.from(spki).toString('hex').slice(0, 40),
      ).toBe(reference(spki, k.sig));
    // The canonical form verifies, through whichever import.
    expect(
      await v.verify(
        seq(seq(oid(OID.rsaEncryption), nul()), rsaKey(Uint8Array.of(0, ...nBytes))),
        'RSA-SHA256',
        data,
        k.sig,
      ),
    ).toBe(true);
  });
});
