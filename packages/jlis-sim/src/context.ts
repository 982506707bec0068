/**
 * The runtime context shared by the simulator's domain modules: configuration, clock, PRNG,
 * store, persisted state and the loaded CAs. One per simulator instance (no module state).
 */
import type { KeySource } from './keys.ts';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Certificate, Signer } from '@watashi/pki';
import type { Clock } from './clock.ts';
import type { SimConfig } from './config.ts';
import type { CaRecord, Purpose, SimState } from './model.ts';
import type { Random } from './random.ts';
import type { Store } from './store.ts';

/** A CA generation loaded in memory (key, parsed certificate, OCSP CertID hashes). */
export interface CaRuntime {
  readonly record: CaRecord;
  readonly purpose: Purpose;
  readonly generation: string;
  readonly der: Uint8Array;
  readonly certificate: Certificate;
  readonly key: KeyObject;
  readonly signer: Signer;
  /** SHA-256 of the certificate DER, hex (published in /info). */
  readonly sha256: string;
  /** OCSP CertID hashes (RFC 6960 §4.1.1) by hash algorithm: hex of issuerNameHash ‖ issuerKeyHash. */
  readonly certIdKeys: Readonly<Record<'SHA-1' | 'SHA-256', string>>;
}

/** Everything a domain operation needs. */
export interface SimContext {
  readonly config: SimConfig;
  readonly clock: Clock;
  readonly rnd: Random;
  readonly store: Store;
  readonly state: SimState;
  readonly log: Logger;
  /** Where RSA-2048 keys come from (keys.ts). */
  readonly keys: KeySource;
  /** CAs keyed `${purpose}/${generation}`. */
  readonly cas: Map<string, CaRuntime>;
  /** Persists the state now (after a domain mutation). */
  save(): void;
  /** Persists the state within about a second (hot-path counters). */
  saveSoon(): void;
}

/** Key of a CA in {@link SimContext.cas}. */
export const caKey = (purpose: Purpose, generation: string): string => `${purpose}/${generation}`;

/** Allocates the next serial of the shared sequential serial space (docs/jpki.md §1.1). */
export function nextSerial(ctx: SimContext): bigint {
  const s = BigInt(ctx.state.nextSerial);
  ctx.state.nextSerial = (s + 1n).toString();
  return s;
}

/** The PRNG state is part of the persisted state, so a restart continues the sequence. */
export function syncRandom(ctx: SimContext): void {
  ctx.state.random = ctx.rnd.state();
}

/** Now as an ISO string. */
export const nowIso = (ctx: SimContext): string => ctx.clock.now().toISOString();
