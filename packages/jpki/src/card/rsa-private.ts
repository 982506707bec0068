/**
 * The card's raw RSA private operation with PKCS#1 v1.5 type-1 padding, as COMPUTE DIGITAL
 * SIGNATURE performs it (docs/jpki.md §3.3; RFC 8017 §8.2.1 steps 2–4 minus the hashing, which
 * the client does). BigInt with the Chinese remainder theorem (RFC 8017 §5.1.2, method 2).
 * Internal to the virtual card: the key never leaves the object that holds it.
 */
import { fromBase64 } from '@watashi/pki';

function toBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** I2OSP (RFC 8017 §4.1). */
function toBytes(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

const JWK_FIELDS = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;

/** An RSA private key held as BigInts, built from a private JWK with all CRT parameters. */
export class RsaPrivateKey {
  readonly #n: bigint;
  readonly #e: bigint;
  readonly #p: bigint;
  readonly #q: bigint;
  readonly #dp: bigint;
  readonly #dq: bigint;
  readonly #qi: bigint;
  /** Modulus length in bytes (k in RFC 8017). */
  readonly size: number;

  constructor(jwk: JsonWebKey) {
    if (jwk.kty !== 'RSA') throw new TypeError('card key must be an RSA JWK');
    for (const f of JWK_FIELDS)
      if (typeof jwk[f] !== 'string')
        throw new TypeError(`card key JWK lacks "${f}" (need a private key with CRT parameters)`);
    const get = (f: (typeof JWK_FIELDS)[number]): Uint8Array => fromBase64(jwk[f] as string);
    const nBytes = get('n');
    this.#n = toBigInt(nBytes);
    this.#e = toBigInt(get('e'));
    this.#p = toBigInt(get('p'));
    this.#q = toBigInt(get('q'));
    this.#dp = toBigInt(get('dp'));
    this.#dq = toBigInt(get('dq'));
    this.#qi = toBigInt(get('qi'));
    if (this.#p * this.#q !== this.#n) throw new TypeError('card key JWK: p·q ≠ n');
    this.size = Math.ceil(this.#n.toString(16).length / 2);
    if (this.size < 128) throw new RangeError('card key must be at least 1024 bits');
  }

  /** Largest input the type-1 padding accepts: k − 11 (RFC 8017 §9.2 step 3). */
  get maxInput(): number {
    return this.size - 11;
  }

  /** EM = 00 01 FF…FF 00 ‖ input, then s = EM^d mod n by CRT; the result is checked with e (fault check). */
  signPkcs1Type1(input: Uint8Array): Uint8Array {
    if (input.length < 1 || input.length > this.maxInput) throw new RangeError('input length out of range');
    const em = new Uint8Array(this.size).fill(0xff);
    em[0] = 0x00;
    em[1] = 0x01;
    em[this.size - input.length - 1] = 0x00;
    em.set(input, this.size - input.length);
    const m = toBigInt(em);
    const s1 = modPow(m, this.#dp, this.#p);
    const s2 = modPow(m, this.#dq, this.#q);
    const h = (this.#qi * (((s1 - s2) % this.#p) + this.#p)) % this.#p;
    const s = s2 + h * this.#q;
    // A wrong CRT parameter would leak a factor of n through a faulty signature; refuse instead.
    if (modPow(s, this.#e, this.#n) !== m) throw new Error('RSA private operation self-check failed');
    return toBytes(s, this.size);
  }
}
