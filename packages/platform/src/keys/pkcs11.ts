/**
 * The signing capability of the {@link KeyStore} port in a PKCS#11 token (issue 18: the CA's keys
 * in an HSM; SoftHSM2 in tests and demos). Keys are ECDSA P-256, generated inside the token as
 * sensitive and non-extractable, and found again by label `watashi-<purpose>-<keyId>`; the
 * private key never leaves the token, only signatures do (docs/conventions.md §7).
 *
 * Sealing and MACs stay with the local store: {@link withPkcs11Signing} combines the two, so the
 * platform's `keys` can have its CA (and, if configured so, its OIDC) keys in the token.
 */
import {
  openPkcs11Token,
  type Pkcs11Key,
  type Pkcs11Token,
  type Pkcs11TokenOptions,
} from '@watashi/ca/pkcs11';
import { randomBytes } from 'node:crypto';
import type { KeyStore, SigningKey, SigningKeyStore } from './key-store.ts';

const PURPOSE_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const LABEL_RE = /^watashi-([a-z0-9][a-z0-9._-]{0,63})-(\d{14}-[0-9a-f]{8})$/;

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

function signingKeyOf(keyId: string, key: Pkcs11Key): SigningKey {
  // SPKI of P-256: the last 65 bytes are 04 ‖ X ‖ Y.
  const point = key.spki.subarray(key.spki.length - 65);
  return Object.freeze({
    keyId,
    alg: 'ES256' as const,
    publicJwk: Object.freeze({
      kty: 'EC' as const,
      crv: 'P-256' as const,
      x: b64url(point.subarray(1, 33)),
      y: b64url(point.subarray(33)),
    }),
    // CKM_ECDSA returns r ‖ s, which is the JWS form (RFC 7518 §3.4).
    sign: (data: Uint8Array) => Promise.resolve(key.signRaw(data)),
  });
}

/** Signing keys in a PKCS#11 token, and the token's session to close at shutdown. */
export interface Pkcs11SigningKeys extends Pick<SigningKeyStore, 'signingKeys' | 'rotateSigningKey'> {
  close(): void;
}

/** Opens the token and serves signing keys from it (the first call for a purpose creates its key). */
export function openPkcs11SigningKeys(
  options: Pkcs11TokenOptions & { readonly now?: () => Date },
): Pkcs11SigningKeys {
  const token: Pkcs11Token = openPkcs11Token(options);
  const now = options.now ?? (() => new Date());
  const cache = new Map<string, SigningKey>();
  const load = (purpose: string): SigningKey[] => {
    const ids = token
      .listKeyLabels()
      .map((l) => LABEL_RE.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && m[1] === purpose)
      .map((m) => m[2] ?? '')
      .sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    return ids.map((id) => {
      const cached = cache.get(id);
      if (cached !== undefined) return cached;
      const key = token.findKey(`watashi-${purpose}-${id}`);
      if (key === undefined) throw new TypeError(`key ${id} vanished from the token`);
      const k = signingKeyOf(id, key);
      cache.set(id, k);
      return k;
    });
  };
  const create = (purpose: string, after?: string): void => {
    let t = now().getTime();
    const idAt = (ms: number) =>
      `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`;
    let id = idAt(t);
    while (after !== undefined && id <= after) id = idAt((t += 1000));
    token.generateKey(`watashi-${purpose}-${id}`);
  };
  return {
    signingKeys(purpose) {
      try {
        if (!PURPOSE_RE.test(purpose)) throw new TypeError(`bad signing purpose ${JSON.stringify(purpose)}`);
        let keys = load(purpose);
        if (keys.length === 0) {
          create(purpose);
          keys = load(purpose);
        }
        return Promise.resolve(keys);
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    async rotateSigningKey(purpose) {
      const [newest] = await this.signingKeys(purpose);
      create(purpose, newest?.keyId);
      const [current] = load(purpose);
      if (current === undefined) throw new TypeError('no signing key after rotation');
      return current;
    },
    close: () => token.close(),
  };
}

/** `base` for sealing and MACs, `signing` for signing keys. */
export function withPkcs11Signing(base: KeyStore, signing: Pkcs11SigningKeys): SigningKeyStore {
  // Non-enumerable signing methods, as the local store has them (local.ts).
  const store: KeyStore = {
    seal: base.seal.bind(base),
    open: base.open.bind(base),
    mac: base.mac.bind(base),
  };
  Object.defineProperties(store, {
    signingKeys: { value: signing.signingKeys.bind(signing), enumerable: false },
    rotateSigningKey: { value: signing.rotateSigningKey.bind(signing), enumerable: false },
  });
  return Object.freeze(store as SigningKeyStore);
}
