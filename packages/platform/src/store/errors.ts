import { WatashiError } from '@watashi/pki';

/**
 * Error codes raised by the platform store (`packages/platform/src/store`). Caller bugs (a query
 * issued on a closed database, an audit payload carrying basic 4 information) are `TypeError`s
 * instead; these codes are for conditions a running platform must handle.
 */
export type StoreErrorCode =
  /** The database holds migrations this build does not know: it was migrated by newer code. */
  | 'store_migrations_unknown'
  /** A migration failed; the whole batch was rolled back (PostgreSQL DDL is transactional). */
  | 'store_migration_failed'
  /** `withTransaction` gave up after repeated serialization failures or deadlocks. */
  | 'store_transaction_conflict'
  /**
   * The PostgreSQL connection was lost (server restart, failover, `pg_terminate_backend`) or could
   * not be made; the work was not done, or (lost during COMMIT) its outcome is unknown. HTTP 503.
   */
  | 'store_unavailable'
  /** Waiting for the single PGlite session took longer than the configured limit. */
  | 'store_busy'
  /** The embedded data directory is open in another live process (its pid is in the detail). */
  | 'store_in_use';

/** Shorthand for a store error. */
export function storeError(
  code: StoreErrorCode,
  message: string,
  options?: { cause?: unknown; detail?: Record<string, unknown> },
): WatashiError<StoreErrorCode> {
  return new WatashiError(code, message, options);
}
