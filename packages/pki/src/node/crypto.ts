/**
 * node:crypto implementations of the crypto port. Synchronous `crypto.verify` with cached
 * `KeyObject`s runs at 0.72× `openssl speed` (docs/performance.md §2), against 0.10× when a key is re-parsed
 * per call — so keys are cached by SPKI. Node-only: import from `@watashi/pki/node`.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { SignatureAlgorithm } from '../crypto/algorithms.ts';
import type { Digest, Signer, SignatureVerifier } from '../crypto/provider.ts';
import { bytesEqual } from '../der/hex.ts';
import { DerReader, encodingOf, parseTopLevel, readBitString, Tag, valueOf } from '../der/reader.ts';

/** node:crypto's name for the hash of each signature algorithm (computed once, not per call). */
const HASH_NAME: Readonly<Record<SignatureAlgorithm, string>> = {
  'RSA-SHA256': 'sha256',
  'RSA-SHA384': 'sha384',
  'RSA-SHA512': 'sha512',
  'ECDSA-SHA256': 'sha256',
};

/** A Signer over a node:crypto private KeyObject (RSA PKCS#1 v1.5 or ECDSA P-256, DER signatures). */
export function nodeSigner(privateKey: KeyObject, algorithm: SignatureAlgorithm): Signer {
  const spki = new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
  return {
    algorithm,
    spki,
    sign(data) {
      return Promise.resolve(new Uint8Array(nodeSign(HASH_NAME[algorithm], data, privateKey)));
    },
  };
}

/** Generates an RSA-2048 (e = 65537) or P-256 private KeyObject. */
export function nodeGenerateKey(algorithm: SignatureAlgorithm): KeyObject {
  return algorithm === 'ECDSA-SHA256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    : generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 }).privateKey;
}

/** Loads a PEM or DER (PKCS#8) private key. */
export function nodePrivateKey(pemOrDer: string | Uint8Array): KeyObject {
  return typeof pemOrDer === 'string'
    ? createPrivateKey(pemOrDer)
    : createPrivateKey({ key: Buffer.from(pemOrDer), format: 'der', type: 'pkcs8' });
}

/** AlgorithmIdentifier rsaEncryption with NULL parameters (RFC 3279 §2.3.1), DER. */
const RSA_ALGORITHM_ID = Buffer.from('300d06092a864886f70d0101010500', 'hex');
/** AlgorithmIdentifier id-ecPublicKey with namedCurve prime256v1 (RFC 5480 §2.1.1), DER. */
const EC_P256_ALGORITHM_ID = Buffer.from('301306072a8648ce3d020106082a8648ce3d030107', 'hex');

const b64url = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');

/** A positive INTEGER's magnitude (leading 0x00 dropped), or undefined when negative or empty. */
function unsigned(v: Uint8Array): Uint8Array | undefined {
  if (v.length === 0 || (v[0]! & 0x80) !== 0) return undefined;
  return v[0] === 0 && v.length > 1 ? v.subarray(1) : v;
}

/**
 * The JWK of an RSA (RFC 3279 §2.3.1) or uncompressed P-256 (RFC 5480 §2) SubjectPublicKeyInfo in
 * its canonical DER form, or undefined for anything else. OpenSSL 3.0 imports a DER SPKI through
 * its generic decoders at about 115 µs; a JWK of the same numbers takes about 3 µs (measured in
 * bench/enrolment-verify.bench.ts). Every new card brings a new leaf key, so this is per enrolment.
 */
function spkiJwk(spki: Uint8Array): JsonWebKey | undefined {
  try {
    const r = DerReader.of(spki, parseTopLevel(spki, Tag.SEQUENCE, 'SubjectPublicKeyInfo', 4096));
    const alg = encodingOf(spki, r.expect(Tag.SEQUENCE, 'AlgorithmIdentifier'));
    const { bytes, unusedBits } = readBitString(spki, r.expect(Tag.BIT_STRING, 'subjectPublicKey'));
    r.end('SubjectPublicKeyInfo');
    if (unusedBits !== 0) return undefined;
    if (bytesEqual(alg, RSA_ALGORITHM_ID)) {
      const seq = DerReader.of(bytes, parseTopLevel(bytes, Tag.SEQUENCE, 'RSAPublicKey'));
      const n = unsigned(valueOf(bytes, seq.expect(Tag.INTEGER, 'modulus')));
      const e = unsigned(valueOf(bytes, seq.expect(Tag.INTEGER, 'publicExponent')));
      seq.end('RSAPublicKey');
      if (n === undefined || e === undefined) return undefined;
      return { kty: 'RSA', n: b64url(n), e: b64url(e) };
    }
    if (bytesEqual(alg, EC_P256_ALGORITHM_ID) && bytes.length === 65 && bytes[0] === 0x04)
      return { kty: 'EC', crv: 'P-256', x: b64url(bytes.subarray(1, 33)), y: b64url(bytes.subarray(33)) };
  } catch {
    // Not canonical: the DER import below decides.
  }
  return undefined;
}

/**
 * Imports a public key; null when node:crypto refuses it. The JWK path is taken only when the key
 * it builds exports back to exactly `spki`, so it accepts nothing the DER import would not.
 */
function importSpki(spki: Uint8Array): KeyObject | null {
  const jwk = spkiJwk(spki);
  if (jwk !== undefined) {
    try {
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      if (bytesEqual(key.export({ type: 'spki', format: 'der' }), spki)) return key;
    } catch {
      // fall through to the DER import
    }
  }
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    return null; // unparsable keys verify nothing
  }
}

/**
 * A synchronous node:crypto verifier with an LRU cache of public KeyObjects keyed by the SPKI
 * bytes (a content key: the same bytes in another buffer hit, different bytes never do). A cache
 * hit costs one native latin1 copy of the SPKI; a miss imports the key (see {@link importSpki}).
 */
export function nodeVerifier(cacheSize = 1024): SignatureVerifier & {
  verifySync(spki: Uint8Array, alg: SignatureAlgorithm, data: Uint8Array, sig: Uint8Array): boolean;
  /** How many keys the cache holds now (at most `cacheSize`), for tests and metrics. */
  cachedKeys(): number;
} {
  if (!Number.isInteger(cacheSize) || cacheSize < 1)
    throw new RangeError('cacheSize must be a positive integer');
  const cache = new Map<string, KeyObject | null>();
  const keyFor = (spki: Uint8Array): KeyObject | null => {
    const k = Buffer.from(spki.buffer, spki.byteOffset, spki.length).toString('latin1');
    let key = cache.get(k);
    if (key === undefined) {
      key = importSpki(spki);
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
    } else {
      cache.delete(k); // LRU: a hit moves the key to the young end
    }
    cache.set(k, key);
    return key;
  };
  const verifySync = (
    spki: Uint8Array,
    alg: SignatureAlgorithm,
    data: Uint8Array,
    sig: Uint8Array,
  ): boolean => {
    const key = keyFor(spki);
    if (!key) return false;
    try {
      return nodeVerify(HASH_NAME[alg], data, key, sig);
    } catch {
      return false; // a malformed signature is a failed verification, not a crash
    }
  };
  return {
    verifySync,
    verify: (s, a, d, g) => Promise.resolve(verifySync(s, a, d, g)),
    cachedKeys: () => cache.size,
  };
}

/** node:crypto digest. */
export const nodeDigest: Digest = (alg, data) =>
  Promise.resolve(new Uint8Array(createHash(alg.replace('-', '').toLowerCase()).update(data).digest()));
