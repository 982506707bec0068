/**
 * The key store port (issue 3: "basic 4 information … encrypted at rest with a key from the
 * configured key store"; STYLE.md: keys never leave their store). Callers ask the store to do
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
}
