/**
 * The JpkiBackend port (docs/architecture.md §2, §3.1, §3.4): everything the platform needs from J-LIS —
 * certificate status by OCSP, full CRLs, the latest basic 4 information (2021 amendment,
 * docs/jpki.md §4.2) and consent registration — behind one interface. The platform never
 * imports the simulator: `SimulatorBackend` talks to it over HTTP exactly as the platform would talk
 * to a real platform operator's gateway, and `StandardCaBackend` talks to any standards-conforming CA
 * through configured OCSP and CRL URLs.
 *
 * Every method verifies what it returns (OCSP and CRL signatures against the issuer given by the
 * caller, which the caller has already chained to a pinned root) and fails closed: an answer that
 * cannot be obtained or verified is an error with a stable code, never `good`.
 */
import type { Certificate, CrlIndex, OcspSubject } from '@watashi/pki';

/** Why J-LIS is being asked — recorded in the fee ledger (docs/jpki.md §2.4). */
export type JlisPurpose = 'signature_verification' | 'liveness_check' | 'provision';

/** A verified statement about one certificate's revocation status, with its evidence. */
export interface StatusEvidence {
  readonly source: 'ocsp' | 'crl';
  readonly status: 'good' | 'revoked' | 'unknown';
  /** RFC 5280 §5.3.1 reason name when revoked (e.g. `affiliationChanged`, `certificateHold`). */
  readonly reason?: string;
  readonly revokedAt?: Date;
  /** OCSP producedAt / thisUpdate, or the CRL's thisUpdate. */
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  /** When the platform obtained this answer. */
  readonly checkedAt: Date;
  /** The DER OCSP response, kept as proofing evidence (source `ocsp`). */
  readonly ocspResponse?: Uint8Array;
  /** The CRL number (source `crl`). */
  readonly crlNumber?: bigint;
  /** URL the answer came from. */
  readonly url?: string;
}

/** A downloaded, signature-verified full CRL of one CA (generation). */
export interface VerifiedCrl {
  /** The issuer certificate it was verified against. */
  readonly issuer: Certificate;
  readonly index: CrlIndex;
  readonly crlNumber: bigint | undefined;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly url: string;
  /** Size of the DER in bytes. */
  readonly bytes: number;
}

/** The basic 4 information as J-LIS provides it (consented items only). */
export interface ProvidedBasic4 {
  readonly name?: string;
  readonly address?: string;
  /** ISO date YYYY-MM-DD. */
  readonly birthDate?: string;
  /** '1' male, '2' female, '3' other/unknown (docs/jpki.md §1.3). */
  readonly sex?: string;
  /** Substitute-character maps (docs/jpki.md §1.3), as J-LIS sends them. */
  readonly nameSubstitute?: string;
  readonly addressSubstitute?: string;
}

/** Answer of a latest-basic-4 inquiry for a (revoked) signing certificate. */
export type LatestBasic4Result =
  | { readonly outcome: 'not_revoked' }
  | { readonly outcome: 'no_new_certificate' }
  | {
      readonly outcome: 'provided';
      readonly basic4: ProvidedBasic4;
      /** Serial of the newest signing certificate (decimal string). */
      readonly newSerial: string;
      readonly providedAt: Date;
    };

/** A consent registered with J-LIS for latest-basic-4 provision. */
export interface RegisteredConsent {
  readonly consentId: string;
  readonly service: string;
  readonly items: ReadonlyArray<string>;
  readonly grantedAt: Date;
  readonly expiresAt: Date;
}

/** Options common to every query: who is asking and why (the fee ledger records both). */
export interface JlisQueryOptions {
  readonly purpose?: JlisPurpose;
  /** The relying party (client_id) on whose behalf J-LIS is asked; absent: the platform's own query. */
  readonly clientId?: string;
  /** The account the query is about, when known (fee ledger; an id, never an attribute). */
  readonly accountId?: string;
  /**
   * The caller holds a database transaction while it waits for this answer. The fee ledger then
   * does not wait for its own write (on the embedded database it could only run after that
   * transaction: waiting would deadlock); a failed write is reported to the platform log.
   */
  readonly inTransaction?: boolean;
  /** Abort after this many milliseconds (default from configuration). */
  readonly timeoutMs?: number;
  /**
   * OCSP only: an answer the platform already holds may serve (jlis/ocsp-cache.ts). Absent or
   * false: J-LIS is asked now. Logins pass true — the cache is for them; identity proofing
   * (enrolment, re-proofing) never does, so an answer cached before a revocation cannot proof a
   * revoked card (issue 15).
   */
  readonly acceptCached?: boolean;
}

/** The port. Implementations: `SimulatorBackend`, `StandardCaBackend` (see ./index.ts). */
export interface JpkiBackend {
  /** A short name for logs and the fee ledger (`simulator`, `standard`). */
  readonly kind: string;
  /**
   * OCSP status of `cert` issued by `issuer`, the response verified against `issuer` (or a
   * delegated responder it certified). Errors: `jlis_unavailable` (network, timeout, HTTP error),
   * `ocsp_*` codes from @watashi/pki for bad responses.
   */
  ocspStatus(cert: OcspSubject, issuer: Certificate, options?: JlisQueryOptions): Promise<StatusEvidence>;
  /**
   * The latest full CRL of `issuer`, downloaded and verified (signature, issuer, freshness). A CRL
   * older than `minCrlNumber` is refused (`crl_stale`). Large CRLs are streamed to disk, never
   * held as an object tree.
   */
  fetchCrl(
    issuer: Certificate,
    options?: JlisQueryOptions & { readonly minCrlNumber?: bigint },
  ): Promise<VerifiedCrl>;
  /** Latest basic 4 information for a revoked signing certificate under a registered consent. */
  latestBasic4(
    serial: string,
    consentId: string | undefined,
    options?: JlisQueryOptions,
  ): Promise<LatestBasic4Result>;
  /** Registers a consent (CMS SignedData, DER, signed with the resident's signing key). */
  registerConsent(cms: Uint8Array, options?: JlisQueryOptions): Promise<RegisteredConsent>;
  /** Withdraws a consent (CMS SignedData over the withdrawal document). */
  withdrawConsent(consentId: string, cms: Uint8Array, options?: JlisQueryOptions): Promise<void>;
}
