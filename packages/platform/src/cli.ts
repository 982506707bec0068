/**
 * `@watashi/platform/cli` — what the `watashi` command (packages/cli) needs of the platform, and
 * nothing more: run it, and the operator's tools beside it — the audit log and its checkpoints,
 * the key store, the relying-party registry, account status, event deliveries, the lifecycle
 * sweep and the J-LIS fee report. The CLI loads this module with a dynamic import inside the
 * commands that use it (docs/conventions.md §14), so a command that needs no platform loads none.
 */
export { createPlatform, readTsaCertificates } from './platform.ts';
export type { Platform } from './platform.ts';
export { parsePlatformConfig } from './config.ts';
export {
  migrateToLatest,
  openDatabase,
  readLatestAuditCheckpoint,
  verifyAuditChain,
  verifyAuditCheckpointTimestamp,
  writeAuditCheckpoint,
} from './store/index.ts';
export { activationSeconds, keyIdTime, openLocalKeyStore, signingOrder } from './keys/index.ts';
export type { KeyStore, SigningKeyStore } from './keys/index.ts';
export { addRelyingParty, getRelyingParty, listRelyingParties, removeRelyingParty } from './oidc/index.ts';
export type { RegistryDeps, RelyingParty } from './oidc/index.ts';
export {
  Sweeper,
  changeAccountStatus,
  listDeliveries,
  provisionOptionsFrom,
  retryDelivery,
} from './lifecycle/index.ts';
export type { AccountStatusChange } from './lifecycle/index.ts';
export { currentFeeMonth, feeReport, parseFeeMonth } from './jlis/index.ts';
export type { FeeReport } from './jlis/index.ts';
