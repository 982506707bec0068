/**
 * The platform store (docs/architecture.md §7): PGlite embedded or PostgreSQL, one Kysely API over both,
 * numbered migrations, transactions with conflict retry, the hash-chained audit log and
 * single-use nonces.
 */
export * from './errors.ts';
export * from './json.ts';
export * from './schema.ts';
export { openDatabase, withTransaction, isRetryableTransactionError, isConnectionLost } from './database.ts';
export type {
  Database,
  DatabaseConfig,
  PgliteDatabase,
  PostgresDatabase,
  Isolation,
  TransactionBody,
  TransactionOptions,
} from './database.ts';
export { migrateToLatest, executedMigrations } from './migrate.ts';
export type { MigrationReport } from './migrate.ts';
export { appendAudit, appendAuditMany, verifyAuditChain, assertNoBasic4 } from './audit.ts';
export type { AuditEvent, AuditRecord, AuditChainVerification, AuditAnchor } from './audit.ts';
export {
  AUDIT_SIGNING_PURPOSE,
  createAuditCheckpoint,
  readAuditCheckpoint,
  readLatestAuditCheckpoint,
  writeAuditCheckpoint,
  verifyAuditCheckpointTimestamp,
  auditCheckpointImprint,
} from './audit-checkpoint.ts';
export type {
  AuditCheckpoint,
  AuditCheckpointErrorCode,
  AuditCheckpointFile,
  AuditCheckpointPayload,
  AuditCheckpointTimestampResult,
  AuditTsaOptions,
} from './audit-checkpoint.ts';
export { classifyNonce, consumeNonce } from './nonces.ts';
export type { NonceOutcome } from './nonces.ts';
