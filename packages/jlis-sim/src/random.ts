/**
 * Seeded PRNG for everything the simulator invents: residents, PINs, IDs, serial bases, CNs and the
 * details of generated events. With `--seed` these are reproducible run to run. Key pairs are NOT
 * drawn from here: WebCrypto / node:crypto key generation cannot be seeded, so keys (and therefore
 * certificate signatures and fingerprints) differ between runs unless the data dir is kept.
 *
 * The generator is sfc32 (Small Fast Counting, 128-bit state), seeded from SHA-256 of the seed
 * string; its state is persisted with the simulator state so a restart continues the sequence.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Serializable generator state (four 32-bit words). */
export type RandomState = readonly [number, number, number, number];

/** A deterministic random source. */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: ReadonlyArray<T>): T;
  /** `n` characters drawn from `alphabet`. */
  chars(n: number, alphabet: string): string;
  /** The current state (to persist). */
  state(): RandomState;
}

/** Seed material → initial state (SHA-256 of the UTF-8 seed). */
export function seedState(seed: string): RandomState {
  const h = createHash('sha256').update(seed, 'utf8').digest();
  return [h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12)];
}

/** A fresh unpredictable seed for runs without `--seed`. */
export const randomSeed = (): string => randomBytes(16).toString('hex');

/** sfc32 over `initial`, warmed up by 16 rounds as its author recommends. */
export function createRandom(initial: RandomState, warm = true): Random {
  let [a, b, c, d] = initial;
  const step = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  if (warm) for (let i = 0; i < 16; i++) step();
  const int = (n: number): number => {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError('n must be a positive integer');
    return Math.floor(step() * n);
  };
  return {
    next: step,
    int,
    pick<T>(items: ReadonlyArray<T>): T {
      if (items.length === 0) throw new RangeError('pick from an empty array');
      return items[int(items.length)] as T;
    },
    chars(n, alphabet) {
      let s = '';
      for (let i = 0; i < n; i++) s += alphabet[int(alphabet.length)];
      return s;
    },
    state: () => [a >>> 0, b >>> 0, c >>> 0, d >>> 0],
  };
}

/** Alphabets used for identifiers (no 12-digit numbers are ever generated: IDs are prefixed and mixed). */
export const ALPHABET = {
  lowerAlnum: 'abcdefghijkmnpqrstuvwxyz23456789',
  upperAlnum: 'ABCDEFGHIJKLMNPQRSTUVWXYZ0123456789',
  digits: '0123456789',
  letters: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
} as const;

/** A prefixed opaque identifier, e.g. `r-k3m9x2qa`. */
export const newId = (rnd: Random, prefix: string): string =>
  `${prefix}-${rnd.chars(10, ALPHABET.lowerAlnum)}`;

/** A valid signing password (docs/jpki.md §3.5: 6–16 of [A-Z0-9], mixing letters and digits). */
export function newSignPin(rnd: Random): string {
  const letters = rnd.chars(3, ALPHABET.letters);
  const digits = rnd.chars(3, ALPHABET.digits);
  return letters + digits;
}

/** A valid user-authentication PIN (docs/jpki.md §3.5: 4 digits). */
export const newAuthPin = (rnd: Random): string => rnd.chars(4, ALPHABET.digits);
