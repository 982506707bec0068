/** Error codes of the lifecycle jobs (docs/conventions.md §4: one WatashiError, a stable code union). */
import { WatashiError } from '@watashi/pki';

/** Stable codes. CRL refusals keep @watashi/pki's `crl_*` codes (e.g. `crl_stale` past nextUpdate). */
export type LifecycleErrorCode =
  /** The CRL's number is lower than one a previous sweep used for that CA: a replay or rollback. */
  | 'sweep_crl_number_regressed'
  /** The CRL carries no cRLNumber, so a rollback could not be detected (RFC 5280 §5.2.3). */
  | 'sweep_crl_number_missing'
  /** A sweep being resumed names a CA the trust store no longer holds. */
  | 'sweep_issuer_unknown'
  /** Another worker advanced this shard's checkpoint first (its lease had lapsed): this batch is dropped. */
  | 'sweep_shard_conflict'
  /** The sweep stopped before every shard was done (aborted, or shards held by other workers). */
  | 'sweep_interrupted'
  /**
   * Latest-basic-4 provisions J-LIS did not answer (slow, down, circuit open, the run's deadline
   * passed) were deferred to the `sweep.provisions` retry job; those accounts were left as they were.
   */
  | 'sweep_provisions_deferred';

/** A lifecycle error. */
export const lifecycleError = (
  code: LifecycleErrorCode,
  message: string,
  options?: { cause?: unknown; detail?: Record<string, unknown> },
): WatashiError<LifecycleErrorCode> => new WatashiError(code, message, options);
