/** The JpkiBackend port and its HTTP implementations (DESIGN.md §2: the platform never imports the simulator). */
import type { RevocationChecker } from '@watashi/pki';
import { firstDefiniteRevocation } from '@watashi/pki';
import type { PlatformConfig } from '../config.ts';
import type { JlisPurpose, JpkiBackend } from './backend.ts';
import { HttpJpkiBackend, type HttpJpkiBackendOptions } from './http-backend.ts';

export * from './backend.ts';
export { HttpJpkiBackend } from './http-backend.ts';
export { LedgerJpkiBackend, type FeeLedgerDeps } from './ledger.ts';
export { CachingJpkiBackend, type OcspCacheOptions } from './ocsp-cache.ts';
export {
  currentFeeMonth,
  feeReport,
  parseFeeMonth,
  type FeeMonth,
  type FeeReport,
  type FeeReportLine,
} from './fees.ts';
export type { HttpBackendEndpoints, HttpJpkiBackendOptions, JlisErrorCode } from './http-backend.ts';

/** Builds the backend the configuration names (`jlis.kind`: `simulator` or `standard`). */
export function createJpkiBackend(
  jlis: NonNullable<PlatformConfig['jlis']>,
  options: Omit<HttpJpkiBackendOptions, 'endpoints' | 'operatorId'> = {},
): JpkiBackend {
  return new HttpJpkiBackend({
    ...options,
    operatorId: jlis.operatorId,
    endpoints:
      jlis.kind === 'simulator'
        ? { kind: 'simulator', baseUrl: jlis.url }
        : { kind: 'standard', ocspUrl: jlis.ocspUrl, crlUrls: jlis.crlUrls },
  });
}

/**
 * Adapts the backend to path validation's revocation port (@watashi/pki): OCSP first, then the
 * issuer's full CRL — the first definite answer wins; `unknown` only when both fail, which the
 * path validation's policy (`hard-fail` by default) then decides.
 */
export function revocationCheckerFrom(
  backend: JpkiBackend,
  options: { readonly purpose?: JlisPurpose; readonly crl?: boolean } = {},
): RevocationChecker {
  const purpose = options.purpose ?? 'signature_verification';
  const ocsp: RevocationChecker = async (cert, issuer) => {
    const e = await backend.ocspStatus(cert, issuer, { purpose });
    if (e.status === 'good') return { status: 'good', source: 'ocsp' };
    if (e.status === 'revoked')
      return {
        status: 'revoked',
        source: 'ocsp',
        ...(e.reason === undefined ? {} : { reason: e.reason }),
        ...(e.revokedAt === undefined ? {} : { revocationTime: e.revokedAt }),
      };
    return { status: 'unknown', detail: 'OCSP answered unknown' };
  };
  if (options.crl === false) return ocsp;
  const crl: RevocationChecker = async (cert, issuer) => {
    const c = await backend.fetchCrl(issuer, { purpose });
    const hit = c.index.lookup(cert.serial);
    if (hit === undefined) return { status: 'good', source: 'crl' };
    return { status: 'revoked', source: 'crl', reason: hit.reason, revocationTime: hit.revocationDate };
  };
  return firstDefiniteRevocation(ocsp, crl);
}
