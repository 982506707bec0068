/**
 * The crypto port (docs/conventions.md §8: inject crypto). Everything in pki signs through a {@link Signer}
 * and verifies through a {@link SignatureVerifier}; the default implementations use WebCrypto so
 * the package runs in the browser. `@watashi/pki/node` offers faster node:crypto versions
 * (cached `KeyObject`s, docs/performance.md §2) and an HSM can plug in as another `Signer`.
 */
import type { DigestAlgorithm, SignatureAlgorithm } from './algorithms.ts';
import { digestOf } from './algorithms.ts';
import { toHex } from '../der/hex.ts';

/** A private key that can sign; the key material itself never leaves the implementation. */
export interface Signer {
  /** Algorithm used for every signature from this signer. */
  readonly algorithm: SignatureAlgorithm;
  /** DER SubjectPublicKeyInfo of the matching public key. */
  readonly spki: Uint8Array;
  /** Signs `data` (the signer hashes it). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** Verifies signatures by SubjectPublicKeyInfo. Implementations cache imported keys. */
export interface SignatureVerifier {
  /** True when `signature` over `data` verifies with `spki` under `algorithm`. Never throws for a bad signature. */
  verify(
    spki: Uint8Array,
    algorithm: SignatureAlgorithm,
    data: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;
}

/** Digest function port. */
export type Digest = (alg: DigestAlgorithm, data: Uint8Array) => Promise<Uint8Array>;

const subtleOf = (c?: Crypto): SubtleCrypto => (c ?? globalThis.crypto).subtle;

function importParams(alg: SignatureAlgorithm): RsaHashedImportParams | EcKeyImportParams {
  return alg === 'ECDSA-SHA256'
    ? { name: 'ECDSA', namedCurve: 'P-256' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: digestOf(alg) };
}

function signParams(alg: SignatureAlgorithm): AlgorithmIdentifier | EcdsaParams {
  return alg === 'ECDSA-SHA256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
}

/** Copies a view into a standalone ArrayBuffer-backed array (WebCrypto wants BufferSource). */
export const own = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);

/** A Signer over a WebCrypto private key. ECDSA signatures are converted to DER (X9.62) as X.509 needs. */
export async function webCryptoSigner(
  keyPair: CryptoKeyPair,
  algorithm: SignatureAlgorithm,
  c?: Crypto,
): Promise<Signer> {
  const subtle = subtleOf(c);
  const spki = new Uint8Array(await subtle.exportKey('spki', keyPair.publicKey));
  return {
    algorithm,
    spki,
    async sign(data) {
      const sig = new Uint8Array(await subtle.sign(signParams(algorithm), keyPair.privateKey, own(data)));
      return algorithm === 'ECDSA-SHA256' ? ecdsaRawToDer(sig) : sig;
    },
  };
}

/** Generates an RSA-2048 (e = 65537) or P-256 key pair with WebCrypto. */
export async function generateKeyPair(
  algorithm: SignatureAlgorithm,
  c?: Crypto,
  extractable = false,
): Promise<CryptoKeyPair> {
  const subtle = subtleOf(c);
  if (algorithm === 'ECDSA-SHA256') {
    return subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, extractable, ['sign', 'verify']);
  }
  return subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: Uint8Array.of(1, 0, 1),
      hash: digestOf(algorithm),
    },
    extractable,
    ['sign', 'verify'],
  );
}

/** A WebCrypto verifier with a bounded cache of imported keys. */
export function webCryptoVerifier(c?: Crypto, cacheSize = 256): SignatureVerifier {
  const subtle = subtleOf(c);
  const cache = new Map<string, Promise<CryptoKey>>();
  return {
    async verify(spki, algorithm, data, signature) {
      const k = `${algorithm}:${toHex(spki)}`;
      let key = cache.get(k);
      if (!key) {
        key = subtle.importKey('spki', own(spki), importParams(algorithm), false, ['verify']);
        cache.set(k, key);
        if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
      }
      let imported: CryptoKey;
      try {
        imported = await key;
      } catch {
        cache.delete(k);
        return false;
      }
      const sig = algorithm === 'ECDSA-SHA256' ? ecdsaDerToRaw(signature) : signature;
      if (sig === undefined) return false;
      return subtle.verify(signParams(algorithm), imported, own(sig), own(data));
    },
  };
}

/** WebCrypto digest. */
export const webCryptoDigest =
  (c?: Crypto): Digest =>
  async (alg, data) =>
    new Uint8Array(await subtleOf(c).digest(alg, own(data)));

/** ECDSA P-256 raw r‖s (64 bytes) → DER Ecdsa-Sig-Value. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const enc = (x: Uint8Array): number[] => {
    let i = 0;
    while (i < x.length - 1 && x[i] === 0) i++;
    const v = Array.from(x.subarray(i));
    if (v[0]! & 0x80) v.unshift(0);
    return [0x02, v.length, ...v];
  };
  const body = [...enc(raw.subarray(0, half)), ...enc(raw.subarray(half))];
  return Uint8Array.from([0x30, body.length, ...body]);
}

/** DER Ecdsa-Sig-Value → raw r‖s (64 bytes), or undefined if malformed. */
export function ecdsaDerToRaw(der: Uint8Array): Uint8Array | undefined {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const out = new Uint8Array(64);
  let p = 2;
  for (let k = 0; k < 2; k++) {
    if (der[p] !== 0x02) return undefined;
    const len = der[p + 1]!;
    let v = der.subarray(p + 2, p + 2 + len);
    while (v.length > 32 && v[0] === 0) v = v.subarray(1);
    if (v.length > 32) return undefined;
    out.set(v, k * 32 + (32 - v.length));
    p += 2 + len;
  }
  return p === der.length ? out : undefined;
}
