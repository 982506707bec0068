/**
 * 0010 — drop `anchors_sweep_idx` (0001: current anchors by account_id). Since 0008 the covering
 * index `anchors_sweep_cover_idx` has the same predicate and begins with the same column, so
 * every query the old one served is served by it, and the old one was only written: one more
 * index entry for each anchor added or superseded, and its pages on disk and in shared buffers
 * (30 MB per million anchors when freshly built, more once grown by random inserts — measured
 * with a one-column uuid index on PostgreSQL 15).
 *
 * Same portability rules as 0001: core statements, one at a time, forward-only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/** Drop the index the covering sweep index makes redundant. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`DROP INDEX anchors_sweep_idx`).execute(db);
}
