/**
 * Where the simulator's RSA-2048 key pairs come from: one per CA at first start (two purposes ×
 * each generation) and one per certificate at issuance (two per card). Generating an RSA-2048 key
 * costs a quarter of a second to a second of CPU, which made starting a simulator and issuing
 * cards the largest single cost of the project's test suite.
 *
 * By default every key is freshly generated. A {@link keyPool} hands out keys generated earlier
 * (each at most once per process) and falls back to fresh generation when it runs dry; the test
 * suite installs one for every simulator it starts in process (test/support/sim-keys-setup.ts). Keys from
 * a pool are as real as fresh ones — only their reuse across simulator data directories differs,
 * which is harmless for a simulator and the reason a pool is never the default.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { nodeGenerateKey, nodePrivateKey } from '@watashi/pki/node';

/** A supplier of RSA-2048 (e = 65537) private keys. */
export interface KeySource {
  /** The next private key, never handed out before by this source. */
  rsa2048(): KeyObject;
}

/** Fresh generation with node:crypto (the default). */
export const freshKeys: KeySource = { rsa2048: () => nodeGenerateKey('RSA-SHA256') };

let defaultSource: KeySource = freshKeys;

/** The source simulators use when their options name none. */
export function defaultKeySource(): KeySource {
  return defaultSource;
}

/**
 * Sets the source of every simulator opened afterwards in this process without `keys` in its
 * options (`undefined` restores fresh generation). For test set-up files.
 */
export function setDefaultKeySource(source: KeySource | undefined): void {
  defaultSource = source ?? freshKeys;
}

/**
 * A source that hands out the given PKCS#8 PEM keys in order, each once, then generates fresh
 * ones. Throws `TypeError` for a key that is not RSA-2048 with e = 65537 (the JPKI profile).
 */
export function keyPool(pems: readonly string[], fallback: KeySource = freshKeys): KeySource {
  const keys = pems.map((pem) => {
    const key = nodePrivateKey(pem);
    const d = key.asymmetricKeyDetails;
    if (key.asymmetricKeyType !== 'rsa' || d?.modulusLength !== 2048 || d.publicExponent !== 65537n)
      throw new TypeError('keyPool: every key must be RSA-2048 with e = 65537');
    return key;
  });
  let next = 0;
  return { rsa2048: () => (next < keys.length ? (keys[next++] as KeyObject) : fallback.rsa2048()) };
}

/** A card key pair as the virtual card holds it: the private key as JWK and the public key's SPKI. */
export function cardKeyPair(source: KeySource): { privateJwk: JsonWebKey; spki: Uint8Array } {
  const key = source.rsa2048();
  const privateJwk = key.export({ format: 'jwk' }) as JsonWebKey;
  const spki = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  return { privateJwk, spki };
}
