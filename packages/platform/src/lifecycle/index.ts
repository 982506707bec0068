/** Lifecycle (docs/architecture.md §3.4): the revocation sweep and what follows from it. */
export { lifecycleError, type LifecycleErrorCode } from './errors.ts';
export {
  issuingSignCa,
  reanchorFromProvision,
  type ProvisionOutcome,
  type ReanchorInput,
} from './reanchor.ts';
export {
  provisionOptionsFrom,
  runSweep,
  shardBound,
  Sweeper,
  SWEEP_PROVISION_QUEUE,
  SWEEP_QUEUE,
} from './sweep.ts';
export type {
  SweepCrlReport,
  SweepDeps,
  SweepOptions,
  SweepProgress,
  SweepProvisionOptions,
  SweepResult,
} from './sweep.ts';
export {
  isTransientProvision,
  JlisCircuitBreaker,
  TRANSIENT_PROVISION_CODES,
  type BreakerOptions,
  type ProvisionPolicy,
} from './provisions.ts';
export * from './events/index.ts';
export {
  dueSweepSlot,
  runScheduledSweep,
  scheduleSweep,
  SWEEP_SCHEDULE_QUEUE,
  type ScheduleSweepOptions,
  type SweepSchedule,
  type SweepScheduleDeps,
} from './schedule.ts';
export {
  applyOcspEvidence,
  checkAnchorNow,
  type AnchorCheckOptions,
  type AnchorCheckResult,
} from './anchor-check.ts';
export {
  changeAccountStatus,
  MAX_REASON_LENGTH,
  OPERATOR_REASON,
  RESIDENT_REASON,
  type AccountStatusChange,
  type AccountStatusDeps,
  type AccountStatusErrorCode,
  type AccountStatusRequest,
} from './account-status.ts';
export { CLOSE_MAX_AUTH_AGE_SECONDS, registerAccountStatusRoutes } from './account-routes.ts';
