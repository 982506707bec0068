/**
 * 0014 — `sweep_provisions`: J-LIS's latest-basic-4 answers of a sweep, kept durably until the
 * sweep has applied them (issue 21, items 3 and 4; lifecycle/provisions.ts).
 *
 * A provision is billed (¥20 when J-LIS provides something, docs/jpki.md §4.2) and is asked
 * outside the batch's transaction (no network inside a transaction), so until this table an
 * answer lived only in memory between the query and the batch's commit: a crash there paid for it
 * again. Now each answer is written in its own transaction as soon as it arrives, keyed by the
 * certificate it is about (issuer key hash + serial, as `anchors_issuer_serial_key`) and the run;
 * the batch that applies it deletes it in its own transaction. A resumed run reads it back and
 * never asks J-LIS twice for the same certificate.
 *
 * The same table holds the provisions a run could not get (J-LIS slow, down, or the run's deadline
 * passed): `state = 'deferred'`, with the CRL's decision in `change`, so a retry job can apply it
 * once J-LIS answers — without touching the account before (a transient error is not an answer).
 * While a row is deferred the run does not vouch for the anchor (coverage.ts).
 *
 * The answer contains personal data (the basic 4 information), so it is sealed like `basic4`
 * (AES-256-GCM through the key store, associated data = run id + issuer key hash + serial), and
 * rows are deleted once applied.
 *
 * Same portability rules as 0001: core types only, statements one at a time, forward-only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  /*
   * sweep_provisions
   * - state: `deferred` (J-LIS gave no answer yet: retried by the `sweep.provisions` job) or
   *   `answered` (the sealed answer is here; applied by the batch or the retry, then deleted).
   * - change: the CRL's decision for the anchor ({status, reason, revokedAt, checkedAt,
   *   crlNumber}), NULL for an anchor that already waits for re-proofing (sweep.ts "reaffirmed").
   * - alg, key_id, nonce, ciphertext: the sealed answer (ProvisionOutcome JSON), when answered.
   * - error_code, attempts: the last transient failure and how many times J-LIS was asked.
   * - claimed_until: a retry worker's lease (no two workers ask J-LIS for the same row).
   */
  `CREATE TABLE sweep_provisions (
    run_id uuid NOT NULL REFERENCES sweep_runs (id),
    issuer_key_hash bytea NOT NULL CHECK (octet_length(issuer_key_hash) = 32),
    serial numeric NOT NULL CHECK (scale(serial) = 0),
    anchor_id uuid NOT NULL,
    account_id uuid NOT NULL,
    consent_ref text NOT NULL,
    state text NOT NULL CHECK (state IN ('deferred', 'answered')),
    change jsonb,
    alg text,
    key_id text,
    nonce bytea,
    ciphertext bytea,
    error_code text,
    attempts integer NOT NULL DEFAULT 0,
    claimed_until timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (issuer_key_hash, serial, run_id),
    CHECK ((state = 'answered') = (ciphertext IS NOT NULL))
  )`,
  `CREATE INDEX sweep_provisions_state_idx ON sweep_provisions (state, run_id)`,
];

/** Create the table of a sweep's provision answers. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
