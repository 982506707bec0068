/**
 * 0004 — lifecycle (docs/architecture.md §3.4, issue 5): the shared job table, the record of revocation
 * sweeps with their per-shard checkpoints and the CRLs they used, and what re-anchoring through
 * J-LIS's latest-basic-4 provision needs of `anchors`.
 *
 * Same portability rules as 0001: core types only, statements one at a time, forward-only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  /*
   * jobs — the PostgreSQL JobQueue (lifecycle/postgres-job-queue.ts). Several platform instances
   * share it (docs/architecture.md §7): a worker claims the oldest due job with `FOR UPDATE SKIP LOCKED`, so
   * two workers never take the same row, and holds it under a lease (`locked_until`) that it
   * extends while it works. A worker that dies stops extending its lease; once the lease has run
   * out the job is due again and another worker takes it (attempts counts every claim).
   *
   * `key` makes enqueueing idempotent: a second enqueue of (queue, key) returns the existing job
   * whatever its state, so a coordinator that restarts can re-enqueue everything it planned.
   * pg-boss 10.4.2 is pinned in docs/dependencies.md §5.5, but it is not installed, it would need
   * `pglite-socket` (and PGlite pinned to 0.5.14) to run on the embedded engine, and the sweep only
   * needs claim / lease / retry: this table does that on both engines with the same SQL.
   */
  `CREATE TABLE jobs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    queue text NOT NULL CHECK (length(queue) BETWEEN 1 AND 100),
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 300),
    payload jsonb NOT NULL,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    run_at timestamptz NOT NULL,
    locked_by text,
    locked_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    finished_at timestamptz,
    CONSTRAINT jobs_queue_key_key UNIQUE (queue, key),
    CHECK ((state = 'running') = (locked_until IS NOT NULL))
  )`,
  // Claiming: due jobs of a queue in run_at order (queued, or running with a lapsed lease).
  `CREATE INDEX jobs_claim_idx ON jobs (queue, run_at) WHERE state IN ('queued', 'running')`,

  /*
   * sweep_runs — one revocation sweep (docs/architecture.md §3.4): every current anchor checked against the
   * latest CRL of its issuer. status: running (shards left; a killed sweep stays `running` and the
   * next `watashi sweep` resumes it), completed, partial (some issuer's CRL was refused or could
   * not be fetched: its anchors were not checked and keep their older status_checked_at, so their
   * proofing level decays — fail closed), failed (no CRL at all). Counters are the sums of the
   * shards' and are written when the run finishes.
   */
  `CREATE TABLE sweep_runs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    status text NOT NULL CHECK (status IN ('running', 'completed', 'partial', 'failed')),
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    duration_ms bigint,
    shard_count integer NOT NULL CHECK (shard_count BETWEEN 1 AND 65536),
    anchors_checked bigint NOT NULL DEFAULT 0,
    revoked_found bigint NOT NULL DEFAULT 0,
    released bigint NOT NULL DEFAULT 0,
    unchecked bigint NOT NULL DEFAULT 0,
    error_code text,
    -- Who started it: 'system:schedule', 'operator:cli', …
    actor text NOT NULL,
    CHECK ((status = 'running') = (finished_at IS NULL))
  )`,
  // At most one sweep runs at a time; a second start joins it.
  `CREATE UNIQUE INDEX sweep_runs_one_running_key ON sweep_runs (status) WHERE status = 'running'`,

  /*
   * sweep_crls — the CRL each run used per issuing CA generation (issuer = SHA-256 of the CA
   * certificate's subjectPublicKeyInfo, as anchors.issuer_key_hash), or why it used none
   * (error_code: crl_stale, sweep_crl_number_regressed, jlis_unavailable, …). The largest
   * crl_number recorded for an issuer is the floor the next run's CRL must reach: a CRL numbered
   * lower is a replay or a rollback and is refused (RFC 5280 §5.2.3: numbers increase).
   */
  `CREATE TABLE sweep_crls (
    run_id uuid NOT NULL REFERENCES sweep_runs (id),
    issuer_key_hash bytea NOT NULL CHECK (octet_length(issuer_key_hash) = 32),
    purpose text NOT NULL CHECK (purpose IN ('sign', 'auth')),
    crl_number numeric CHECK (scale(crl_number) = 0),
    this_update timestamptz,
    next_update timestamptz,
    entries bigint,
    bytes bigint,
    url text,
    error_code text,
    fetched_at timestamptz NOT NULL,
    PRIMARY KEY (run_id, issuer_key_hash),
    CHECK ((crl_number IS NULL) = (error_code IS NOT NULL))
  )`,
  `CREATE INDEX sweep_crls_issuer_idx ON sweep_crls (issuer_key_hash, crl_number)`,

  /*
   * sweep_shards — the checkpoint of each shard of a run: a range of account ids [lo, hi) (hi NULL
   * = to the end). Anchors are visited in (account_id, id) order; every batch's updates, effects,
   * audit events and the new cursor commit in ONE transaction, so a sweep killed at any point and
   * resumed continues after the last committed batch and checks each anchor exactly once.
   */
  `CREATE TABLE sweep_shards (
    run_id uuid NOT NULL REFERENCES sweep_runs (id),
    shard integer NOT NULL CHECK (shard >= 0),
    lo uuid NOT NULL,
    hi uuid,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    cursor_account_id uuid,
    cursor_anchor_id uuid,
    anchors_checked bigint NOT NULL DEFAULT 0,
    revoked_found bigint NOT NULL DEFAULT 0,
    released bigint NOT NULL DEFAULT 0,
    unchecked bigint NOT NULL DEFAULT 0,
    batches integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (run_id, shard),
    CHECK ((cursor_account_id IS NULL) = (cursor_anchor_id IS NULL))
  )`,

  // Keyset pagination of the sweep: current anchors in (account_id, id) order.
  `CREATE INDEX anchors_sweep_keyset_idx ON anchors (account_id, id) WHERE superseded_by IS NULL`,
  /*
   * Every sweep rewrites every current anchor's status_checked_at (a column in no index). With
   * free space left in each page, PostgreSQL makes those HOT updates (heap-only tuples: no new
   * index entries, old versions pruned in place) instead of touching the table's six indexes per
   * row — about 3× faster per row measured here (bench/lifecycle-sweep.bench.ts). 70 % leaves room
   * for one new version of each row of a page. Applies to pages written from now on; an existing
   * large table takes it after `VACUUM FULL anchors` (or pg_repack) in a maintenance window.
   */
  `ALTER TABLE anchors SET (fillfactor = 70)`,
  /*
   * Re-anchoring from the latest-basic-4 provision (docs/jpki.md §4.2 step 6): J-LIS returns
   * the new signing certificate's serial, not the certificate, so that anchor has no certificate
   * hash until the resident next signs with the card (enrolment refreshes it then). Only such an
   * anchor may lack it.
   */
  `ALTER TABLE anchors ALTER COLUMN certificate_hash DROP NOT NULL`,
  `ALTER TABLE anchors ADD CONSTRAINT anchors_certificate_hash_source_check
    CHECK (certificate_hash IS NOT NULL OR evidence->>'source' = 'jlis_provision')`,
];

/** Create the job table, the sweep record and relax anchors.certificate_hash for provisioned anchors. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
