/**
 * The revocation port of path validation. Path validation does not fetch CRLs or ask OCSP
 * responders itself: the caller injects a {@link RevocationChecker} (a CRL index, an OCSP client,
 * a J-LIS backend, or a chain of them) and chooses a {@link RevocationPolicy}. docs/conventions.md §5: an
 * answer that cannot be verified is `unknown`, never `good`, and `hard-fail` is the default.
 */
import type { Certificate } from '../cert/parse.ts';

/**
 * The revocation status of one certificate as reported by a checker.
 *
 * - `good`: a verified CRL or OCSP response says the certificate is not revoked.
 * - `revoked`: it is revoked; `reason` is the RFC 5280 §5.3.1 CRLReason name (e.g. `affiliationChanged`).
 * - `unknown`: no verified answer (responder down, CRL stale, OCSP `unknown`, signature invalid…).
 */
export type RevocationStatus =
  | { readonly status: 'good'; readonly source?: string }
  | {
      readonly status: 'revoked';
      readonly reason?: string;
      readonly revocationTime?: Date;
      readonly source?: string;
    }
  | { readonly status: 'unknown'; readonly detail?: string; readonly cause?: unknown };

/**
 * Answers "is `cert`, issued by `issuer`, revoked?". Implementations must verify what they rely on
 * (the CRL or OCSP signature) and return `unknown` rather than `good` when they cannot. Throwing is
 * treated as `unknown` (except `TypeError`/`RangeError`, which are caller bugs and propagate).
 */
export type RevocationChecker = (cert: Certificate, issuer: Certificate) => Promise<RevocationStatus>;

/**
 * What to do with `unknown`: `hard-fail` rejects the path (`path_revocation_unknown`), `soft-fail`
 * accepts it and reports the status in the result so the caller can log and lower its assurance.
 */
export type RevocationPolicy = 'hard-fail' | 'soft-fail';

/** The revocation outcome for one certificate of a validated path. */
export interface PathRevocationResult {
  /** The certificate that was checked (a path element other than the trust anchor). */
  readonly certificate: Certificate;
  /** Its issuer in the path. */
  readonly issuer: Certificate;
  /** The checker's answer; absent when no checker was supplied (revocation not checked). */
  readonly status?: RevocationStatus;
}

/**
 * Runs checkers in order and returns the first definite answer (`good` or `revoked`); `unknown`
 * only when all of them say so — e.g. OCSP first, then the daily CRL (docs/architecture.md §3.4).
 */
export function firstDefiniteRevocation(...checkers: ReadonlyArray<RevocationChecker>): RevocationChecker {
  if (checkers.length === 0) throw new TypeError('firstDefiniteRevocation needs at least one checker');
  return async (cert, issuer) => {
    const details: string[] = [];
    for (const check of checkers) {
      const r = await runChecker(check, cert, issuer);
      if (r.status !== 'unknown') return r;
      if (r.detail !== undefined) details.push(r.detail);
    }
    return { status: 'unknown', detail: details.join('; ') || 'no checker gave a definite answer' };
  };
}

/** Calls a checker, turning infrastructure failures into `unknown` (caller bugs still throw). */
export async function runChecker(
  check: RevocationChecker,
  cert: Certificate,
  issuer: Certificate,
): Promise<RevocationStatus> {
  try {
    return await check(cert, issuer);
  } catch (cause) {
    if (cause instanceof TypeError || cause instanceof RangeError) throw cause;
    const detail = cause instanceof Error ? cause.message : 'revocation checker failed';
    return { status: 'unknown', detail, cause };
  }
}
