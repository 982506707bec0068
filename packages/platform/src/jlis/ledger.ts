/**
 * The fee ledger (docs/architecture.md §3.4, issue 5): a decorator of the JpkiBackend port that records one
 * `fee_ledger` row per query it passes on to J-LIS — method, purpose, certificate type, the
 * relying party and account it was made for (JlisQueryOptions), the price from the configuration
 * at that moment, and the outcome. Failed queries are recorded too (`outcome = 'error'` with the
 * error code), priced by `fees.chargeFailedQueries`.
 *
 * Prices (config `fees`, defaults from docs/jpki.md): OCSP ¥20 per signing-certificate check
 * and ¥2 per user-authentication check (§2.2, J-LIS 電子証明書検証手数料); CRL downloads free (§2.2:
 * the CRL method is free permanently since January 2023); latest-basic-4 provision ¥20 when it
 * provided something, nothing when J-LIS had nothing new (§4.2); consent registration free (no
 * published fee).
 *
 * Wrap the backend that really talks to J-LIS, under any cache (ocsp-cache.ts): a cache hit is
 * not a query and costs nothing. The row is written with the platform's database handle, outside
 * any caller transaction, and awaited: a ledger write that fails fails the call, so no query goes
 * unrecorded silently. A caller that waits for J-LIS inside a transaction says so
 * (`inTransaction`): the write is then not awaited (on the embedded database it can only run once
 * that transaction ends) and a failure goes to `onError` (the platform log).
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isWatashiError, type Certificate, type OcspSubject } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import type { PlatformConfig } from '../config.ts';
import type { FeeMethod, Schema } from '../store/schema.ts';
import type {
  JlisPurpose,
  JlisQueryOptions,
  JpkiBackend,
  LatestBasic4Result,
  RegisteredConsent,
  StatusEvidence,
  VerifiedCrl,
} from './backend.ts';

/** What the ledger needs. */
export interface FeeLedgerDeps {
  readonly db: Kysely<Schema>;
  readonly now: () => Date;
  /** The prices (read at each query, so a configuration reload applies from then on). */
  readonly fees: () => PlatformConfig['fees'];
  /** Tells a signing CA from a user-authentication CA (they are priced differently). */
  readonly trust?: JpkiTrustStore;
  /** A ledger write that was not awaited (`inTransaction`) failed. Default: rethrown unhandled. */
  readonly onError?: (e: unknown) => void;
  /** Told of every row written, once it is written (metrics: J-LIS queries and yen by method). */
  readonly onRecorded?: (row: { method: FeeMethod; outcome: string; priceYen: number }) => void;
}

const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** One ledger entry before it is priced. */
interface Entry {
  readonly method: FeeMethod;
  readonly purpose: JlisPurpose;
  readonly certificate: 'sign' | 'auth' | null;
  readonly options: JlisQueryOptions | undefined;
}

/** The JpkiBackend that records every query in `fee_ledger` (see the module comment). */
export class LedgerJpkiBackend implements JpkiBackend {
  readonly kind: string;
  readonly #inner: JpkiBackend;
  readonly #deps: FeeLedgerDeps;
  #caPurpose: Map<string, 'sign' | 'auth'> | undefined;

  constructor(inner: JpkiBackend, deps: FeeLedgerDeps) {
    this.kind = inner.kind;
    this.#inner = inner;
    this.#deps = deps;
  }

  /** `sign` or `auth` for a CA of the trust store, else null (priced as a signing check: the dearer). */
  #certificateOf(issuer: Certificate): 'sign' | 'auth' | null {
    if (this.#deps.trust === undefined) return null;
    this.#caPurpose ??= new Map(
      this.#deps.trust.list().map((a) => [sha256Hex(a.certificate.spki), a.purpose] as const),
    );
    return this.#caPurpose.get(sha256Hex(issuer.spki)) ?? null;
  }

  /** The price of a successful query of this kind and outcome. */
  #price(e: Entry, outcome: string): number {
    const f = this.#deps.fees();
    switch (e.method) {
      case 'ocsp':
        return e.certificate === 'auth' ? f.ocspAuth : f.ocspSign;
      case 'crl':
        return f.crl;
      case 'provision':
        // docs/jpki.md §4.2: no fee when nothing new is provided.
        return outcome === 'provided' ? f.provision : 0;
      case 'consent_registration':
      case 'consent_withdrawal':
        return f.consent;
    }
  }

  async #record(e: Entry, outcome: string, errorCode: string | null): Promise<void> {
    const f = this.#deps.fees();
    // A failed provision would have provided something had it worked: priced as one.
    const price =
      errorCode === null ? this.#price(e, outcome) : f.chargeFailedQueries ? this.#price(e, 'provided') : 0;
    await this.#deps.db
      .insertInto('fee_ledger')
      .values({
        at: this.#deps.now(),
        method: e.method,
        purpose: e.purpose,
        certificate: e.certificate,
        client_id: e.options?.clientId ?? null,
        account_id: e.options?.accountId ?? null,
        price_yen: price,
        outcome,
        error_code: errorCode,
        backend: this.kind,
      })
      .execute();
    this.#deps.onRecorded?.({ method: e.method, outcome, priceYen: price });
  }

  async #metered<T>(e: Entry, call: () => Promise<T>, outcomeOf: (r: T) => string): Promise<T> {
    const record = async (outcome: string, errorCode: string | null): Promise<void> => {
      if (e.options?.inTransaction !== true) return this.#record(e, outcome, errorCode);
      // See JlisQueryOptions.inTransaction: written when the session is free, not awaited here.
      this.#record(e, outcome, errorCode).catch(
        this.#deps.onError ??
          ((err: unknown) => {
            throw err;
          }),
      );
    };
    let r: T;
    try {
      r = await call();
    } catch (err) {
      await record('error', isWatashiError(err) ? err.code : 'jlis_unavailable');
      throw err;
    }
    await record(outcomeOf(r), null);
    return r;
  }

  ocspStatus(cert: OcspSubject, issuer: Certificate, options?: JlisQueryOptions): Promise<StatusEvidence> {
    return this.#metered(
      {
        method: 'ocsp',
        purpose: options?.purpose ?? 'signature_verification',
        certificate: this.#certificateOf(issuer),
        options,
      },
      () => this.#inner.ocspStatus(cert, issuer, options),
      (r) => r.status,
    );
  }

  fetchCrl(
    issuer: Certificate,
    options?: JlisQueryOptions & { readonly minCrlNumber?: bigint },
  ): Promise<VerifiedCrl> {
    return this.#metered(
      {
        method: 'crl',
        purpose: options?.purpose ?? 'liveness_check',
        certificate: this.#certificateOf(issuer),
        options,
      },
      () => this.#inner.fetchCrl(issuer, options),
      () => 'ok',
    );
  }

  latestBasic4(
    serial: string,
    consentId: string | undefined,
    options?: JlisQueryOptions,
  ): Promise<LatestBasic4Result> {
    return this.#metered(
      { method: 'provision', purpose: 'provision', certificate: 'sign', options },
      () => this.#inner.latestBasic4(serial, consentId, options),
      (r) => r.outcome,
    );
  }

  registerConsent(cms: Uint8Array, options?: JlisQueryOptions): Promise<RegisteredConsent> {
    return this.#metered(
      { method: 'consent_registration', purpose: 'provision', certificate: 'sign', options },
      () => this.#inner.registerConsent(cms, options),
      () => 'ok',
    );
  }

  withdrawConsent(consentId: string, cms: Uint8Array, options?: JlisQueryOptions): Promise<void> {
    return this.#metered(
      { method: 'consent_withdrawal', purpose: 'provision', certificate: 'sign', options },
      () => this.#inner.withdrawConsent(consentId, cms, options),
      () => 'ok',
    );
  }
}
