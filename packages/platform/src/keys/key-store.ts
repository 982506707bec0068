/**
 * The key store port (issue 3: "basic 4 information … encrypted at rest with a key from the
 * configured key store"; docs/conventions.md: keys never leave their store). Callers ask the store to do
 * things with keys; they never receive key material.
 */

/** An AEAD sealed box (AES-256-GCM). */
export interface SealedBox {
  readonly alg: 'A256GCM';
  /** Names the data key, so rotation can find rows sealed under an older key. */
  readonly keyId: string;
  /** 12 bytes. */
  readonly nonce: Uint8Array;
  /** Ciphertext with the 16-byte tag appended. */
  readonly ciphertext: Uint8Array;
}

/** The public half of a signing key, as a JWK (RFC 7517/7518 §6.2): safe to publish. */
export interface PublicSigningJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
}

/**
 * A signing key held by the store: its public half and a sign operation; the private key never
 * leaves the store (docs/conventions.md §7), so an HSM-backed store can implement the same interface.
 */
export interface SigningKey {
  /** Stable key id (JWS `kid`), `<yyyymmddhhmmss>-<8 hex>`; newer keys sort later. */
  readonly keyId: string;
  /** JWS algorithm (RFC 7518 §3.4: ECDSA P-256 SHA-256). */
  readonly alg: 'ES256';
  readonly publicJwk: PublicSigningJwk;
  /** Signs the JWS signing input; returns the JWS signature (R ‖ S, 64 bytes, RFC 7518 §3.4). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export interface KeyStore {
  /** Seals `plaintext` under the current data key, binding `aad` (e.g. the account id). */
  seal(plaintext: Uint8Array, aad: Uint8Array): Promise<SealedBox>;
  /** Opens a box sealed by {@link seal}; `key_store_decrypt_failed` when the key, nonce, tag or aad do not match. */
  open(box: SealedBox, aad: Uint8Array): Promise<Uint8Array>;
  /**
   * HMAC-SHA-256 under a named secret (`person-key` for accounts.person_key, `pairwise` later for
   * OIDC subjects). Returns the MAC and the id of the secret version used.
   */
  mac(purpose: string, data: Uint8Array): Promise<{ readonly mac: Uint8Array; readonly keyId: string }>;
  /**
   * Optional capability (a store may only seal and MAC): the signing keys of a purpose (`oidc`
   * for ID tokens and JWT responses), current first, older ones after it (still published so that
   * what they signed verifies). The first call for a purpose creates its first key. Both stores
   * of this module implement it; the OpenID Provider refuses to start without it.
   */
  signingKeys?(purpose: string): Promise<readonly SigningKey[]>;
  /** Optional capability: adds a new current signing key for `purpose` (rotation); older keys stay until removed. */
  rotateSigningKey?(purpose: string): Promise<SigningKey>;
}

/** A key store with the signing capability (what both stores of this module are). */
export type SigningKeyStore = KeyStore & Required<Pick<KeyStore, 'signingKeys' | 'rotateSigningKey'>>;
