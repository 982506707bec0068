/**
 * When an anchor's revocation status was last confirmed: the newer of its own
 * `status_checked_at` (enrolment, an OCSP check at a sensitive moment, a status change, a
 * re-anchoring) and the coverage of the revocation sweeps (sweep.ts).
 *
 * A sweep does not write a row per anchor it finds unchanged: that rewrite of every anchor was
 * most of the sweep's time at ten million anchors (bench/lifecycle-sweep.bench.ts). Instead each
 * shard's checkpoint says how far the sweep got — anchors of the shard's account range up to the
 * cursor `(cursor_account_id, cursor_anchor_id)`, or all of them once the shard is `done` — and
 * `sweep_crls` says which CRL (thisUpdate: the age of the information) each CA was checked
 * against. An anchor is covered by a run when:
 * - the run's CRL for the anchor's CA was used (no `error_code`): a refused or missing CRL covers
 *   nothing, so those anchors' freshness decays (fail closed);
 * - its account id is in a shard's range and the shard's cursor has passed it (or it is done);
 * - the run holds no provision for the anchor's certificate (`sweep_provisions`, migration 0014):
 *   a provision J-LIS did not answer leaves the anchor as it was although the CRL changed it, so
 *   the run does not vouch for it until the retry applies the change (fail closed);
 * - the anchor was created at least {@link COVERAGE_MARGIN_MS} before the run started. Rows the
 *   batches could not see (created by a transaction that committed after a batch read its range)
 *   are never covered; the margin leaves room for an enrolment transaction that began before the
 *   run and committed during it. Such anchors keep their own time, which their creation set.
 *
 * Status *changes* are still written per anchor (with the CRL's thisUpdate), so a revoked,
 * held or released anchor carries its own time; coverage only ever says "still as recorded".
 */
import { sql, type RawBuilder } from 'kysely';

/** How long before a run an anchor must exist for the run's coverage to count for it. */
const COVERAGE_MARGIN_MS = 5 * 60_000;

/**
 * The newest sweep coverage of the anchor row `alias` (a table alias or `anchors`), or NULL.
 * The newest usable CRL first (`sweep_crls_issuer_idx`, cRLNumbers only grow: sweep.ts refuses a
 * lower one), stopping at the first run whose shard has passed the anchor.
 */
function sweepCoverage(alias: string): RawBuilder<Date | null> {
  const col = (c: string) => sql.ref(`${alias}.${c}`);
  return sql<Date | null>`(
    SELECT c.this_update FROM sweep_crls c
      JOIN sweep_runs r ON r.id = c.run_id
      JOIN sweep_shards s ON s.run_id = c.run_id
    WHERE c.issuer_key_hash = ${col('issuer_key_hash')}
      AND c.error_code IS NULL AND c.this_update IS NOT NULL
      AND ${col('created_at')} <= r.started_at - make_interval(secs => ${COVERAGE_MARGIN_MS / 1000})
      AND s.lo <= ${col('account_id')} AND (s.hi IS NULL OR ${col('account_id')} < s.hi)
      AND (s.state = 'done'
        OR (s.cursor_account_id, s.cursor_anchor_id) >= (${col('account_id')}, ${col('id')}))
      AND NOT EXISTS (SELECT 1 FROM sweep_provisions p
        WHERE p.issuer_key_hash = ${col('issuer_key_hash')} AND p.serial = ${col('serial')}
          AND p.run_id = c.run_id)
    ORDER BY c.crl_number DESC, c.this_update DESC
    LIMIT 1)`;
}

/**
 * `status_checked_at` as the assurance engine and the relying parties should see it: the
 * anchor's own time or the newest sweep that covered it, whichever is newer. Select it
 * `.as('status_checked_at')` in place of the column.
 */
export function statusCheckedAt(alias = 'anchors'): RawBuilder<Date> {
  return sql<Date>`GREATEST(${sql.ref(`${alias}.status_checked_at`)}, ${sweepCoverage(alias)})`;
}
