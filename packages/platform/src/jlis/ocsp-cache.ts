/**
 * Reuse of single-certificate OCSP answers (docs/architecture.md §3.4: OCSP for single anchors at sensitive
 * moments, "with the result cached for the responder's cadence"): a decorator of the JpkiBackend
 * port in front of the fee ledger, so an answer reused from here is no query and costs nothing.
 *
 * An answer is fresh while `thisUpdate ≤ now < min(nextUpdate, checkedAt + maxSeconds)`. The
 * responder's nextUpdate is its cadence (RFC 6960 §2.4: newer information is available after it;
 * J-LIS refreshes its OCSP data every 15 minutes, docs/jpki.md §2.2), and `maxSeconds`
 * (config `ocspCache.maxSeconds`) caps a responder that promises a long nextUpdate. An answer
 * without nextUpdate (RFC 6960 §4.2.2.1: newer information is always available) and an `unknown`
 * answer are never reused. Reuse is opt-in per query (`acceptCached`: logins), so identity proofing
 * always gets a fresh answer, which also refreshes the entry. The cache is per instance, in
 * memory, bounded (oldest first out).
 * Everything else is passed through unchanged.
 */
import { createHash } from 'node:crypto';
import type { Certificate, OcspSubject } from '@watashi/pki';
import type {
  JlisQueryOptions,
  JpkiBackend,
  LatestBasic4Result,
  RegisteredConsent,
  StatusEvidence,
  VerifiedCrl,
} from './backend.ts';

/** Options of {@link CachingJpkiBackend}. */
export interface OcspCacheOptions {
  readonly now: () => Date;
  /** Longest reuse in seconds (0: no cache). */
  readonly maxSeconds: number;
  /** Answers kept (0: no cache). */
  readonly maxEntries: number;
}

const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The JpkiBackend that reuses fresh OCSP answers (see the module comment). */
export class CachingJpkiBackend implements JpkiBackend {
  readonly kind: string;
  readonly #inner: JpkiBackend;
  readonly #o: OcspCacheOptions;
  readonly #cache = new Map<string, { evidence: StatusEvidence; freshUntil: number }>();

  constructor(inner: JpkiBackend, options: OcspCacheOptions) {
    this.kind = inner.kind;
    this.#inner = inner;
    this.#o = options;
  }

  async ocspStatus(
    cert: OcspSubject,
    issuer: Certificate,
    options?: JlisQueryOptions,
  ): Promise<StatusEvidence> {
    const enabled = this.#o.maxSeconds > 0 && this.#o.maxEntries > 0;
    const key = `${sha256Hex(issuer.spki)}:${cert.serial.toString()}`;
    const now = this.#o.now().getTime();
    // Only a caller that says so gets a reused answer (JlisQueryOptions.acceptCached): identity
    // proofing always asks J-LIS, and its fresh answer then replaces what logins reuse.
    if (enabled && options?.acceptCached === true) {
      const hit = this.#cache.get(key);
      if (hit !== undefined) {
        if (now < hit.freshUntil && now >= hit.evidence.thisUpdate.getTime()) return hit.evidence;
        this.#cache.delete(key);
      }
    }
    const evidence = await this.#inner.ocspStatus(cert, issuer, options);
    if (enabled && evidence.status !== 'unknown' && evidence.nextUpdate !== undefined) {
      const freshUntil = Math.min(
        evidence.nextUpdate.getTime(),
        evidence.checkedAt.getTime() + this.#o.maxSeconds * 1000,
      );
      if (freshUntil > now) {
        if (this.#cache.size >= this.#o.maxEntries) {
          const oldest = this.#cache.keys().next().value;
          if (oldest !== undefined) this.#cache.delete(oldest);
        }
        this.#cache.set(key, { evidence, freshUntil });
      }
    }
    return evidence;
  }

  fetchCrl(
    issuer: Certificate,
    options?: JlisQueryOptions & { readonly minCrlNumber?: bigint },
  ): Promise<VerifiedCrl> {
    return this.#inner.fetchCrl(issuer, options);
  }

  latestBasic4(
    serial: string,
    consentId: string | undefined,
    options?: JlisQueryOptions,
  ): Promise<LatestBasic4Result> {
    return this.#inner.latestBasic4(serial, consentId, options);
  }

  registerConsent(cms: Uint8Array, options?: JlisQueryOptions): Promise<RegisteredConsent> {
    return this.#inner.registerConsent(cms, options);
  }

  withdrawConsent(consentId: string, cms: Uint8Array, options?: JlisQueryOptions): Promise<void> {
    return this.#inner.withdrawConsent(consentId, cms, options);
  }
}
