/**
 * 0015 — drop `jobs` (0004), with its index `jobs_claim_idx`. The table served the
 * `PostgresJobQueue`, which no platform has run since the job queue moved to pg-boss on
 * PostgreSQL (jobs/pgboss-job-queue.ts; docs/decisions.md) and the in-process `MemoryJobQueue` on
 * embedded PGlite; the queue itself is deleted with this migration (issue 16). Nothing reads or
 * writes the table, so whatever rows an old instance left there are finished or abandoned work
 * of a queue that no longer exists: the sweep keeps its own checkpoints (`sweep_shards`) and
 * re-enqueues on its next run.
 *
 * Same portability rules as 0001: core statements, one at a time, forward-only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/** Drop the job table no queue uses any more. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`DROP TABLE jobs`).execute(db);
}
