/**
 * 0008 — the revocation sweep stops rewriting every anchor (lifecycle/coverage.ts): an unchanged
 * anchor's last check is read from the sweep's checkpoints (`sweep_shards` cursors and
 * `sweep_crls`) instead of a per-row `status_checked_at` update. The fill factor of 70 that 0004
 * set so those updates could be HOT is then only wasted space — 30 % more pages for the sweep to
 * read — so the table goes back to PostgreSQL's default. Like 0004's setting, this applies to
 * pages written from now on (`VACUUM FULL anchors` or pg_repack compacts an existing table).
 *
 * Same portability rules as 0001: core statements, one at a time, forward-only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [`ALTER TABLE anchors RESET (fillfactor)`];

/** Reset the anchors table's fill factor. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
