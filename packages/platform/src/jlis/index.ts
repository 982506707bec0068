/** The JpkiBackend port and its HTTP implementations (docs/architecture.md §2: the platform never imports the simulator). */
import type { PlatformConfig } from '../config.ts';
import type { JpkiBackend } from './backend.ts';
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
