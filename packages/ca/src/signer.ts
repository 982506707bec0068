/**
 * Adapters from keys that sign in JWS form (raw r ‖ s, as the platform's key store and PKCS#11's
 * CKM_ECDSA return) to the X.509 {@link Signer} port of @watashi/pki (DER Ecdsa-Sig-Value).
 */
import { ecdsaRawToDer, fromBase64, type Signer } from '@watashi/pki';

const P256_SPKI_PREFIX = Uint8Array.from(
  Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
);

/** SubjectPublicKeyInfo DER of a P-256 public key given as a JWK's `x` and `y` (RFC 7518 §6.2.1). */
export function p256SpkiFromJwk(jwk: { readonly x: string; readonly y: string }): Uint8Array {
  const x = fromBase64(jwk.x);
  const y = fromBase64(jwk.y);
  if (x.length !== 32 || y.length !== 32) throw new RangeError('not a P-256 public key');
  const out = new Uint8Array(P256_SPKI_PREFIX.length + 65);
  out.set(P256_SPKI_PREFIX);
  out[P256_SPKI_PREFIX.length] = 0x04;
  out.set(x, P256_SPKI_PREFIX.length + 1);
  out.set(y, P256_SPKI_PREFIX.length + 33);
  return out;
}

/** A {@link Signer} (ECDSA-SHA256, DER signatures) over a key that signs SHA-256 into raw r ‖ s. */
export function rawP256Signer(
  spki: Uint8Array,
  signRaw: (data: Uint8Array) => Promise<Uint8Array> | Uint8Array,
): Signer {
  return {
    algorithm: 'ECDSA-SHA256',
    spki,
    async sign(data) {
      return ecdsaRawToDer(await signRaw(data));
    },
  };
}
