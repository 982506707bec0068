/**
 * 0021 — the archive of the signatures the platform made (issue 20; signature/archive.ts says the
 * whole why).
 *
 * - `signature_records`: one per signature made from the wallet: the SHA-256 of the signed file as
 *   it was handed out — never the document itself, which stays the resident's — and the facts of
 *   its newest archive time-stamp that decide when it must be renewed (the TSA certificate's
 *   notAfter, the token's signature algorithm), hence `next_due_at`, which the archive job scans.
 * - `signature_archive_stamps`: the chain of archive time-stamp tokens (DER, ~1–2 KB each), the
 *   first over SHA-256(file hash), each later one over SHA-256(file hash ‖ previous token), in the
 *   manner of an RFC 4998 ArchiveTimeStampChain; seq 1, 2, … without gaps.
 *
 * Both go with the account (ON DELETE CASCADE). Same portability rules as 0001; forward-only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  `CREATE TABLE signature_records (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    format text NOT NULL CHECK (format IN ('pades', 'cades')),
    file_sha256 bytea NOT NULL CHECK (octet_length(file_sha256) = 32),
    created_at timestamptz NOT NULL,
    stamps integer NOT NULL CHECK (stamps >= 1),
    latest_gen_time timestamptz NOT NULL,
    latest_tsa_not_after timestamptz NOT NULL,
    latest_algorithm text NOT NULL CHECK (char_length(latest_algorithm) <= 64),
    next_due_at timestamptz NOT NULL,
    last_error text CHECK (char_length(last_error) <= 200)
  )`,
  `CREATE INDEX signature_records_due_idx ON signature_records (next_due_at)`,
  `CREATE INDEX signature_records_account_idx ON signature_records (account_id)`,
  `CREATE TABLE signature_archive_stamps (
    record_id uuid NOT NULL REFERENCES signature_records (id) ON DELETE CASCADE,
    seq integer NOT NULL CHECK (seq >= 1),
    token bytea NOT NULL CHECK (octet_length(token) <= 65536),
    gen_time timestamptz NOT NULL,
    PRIMARY KEY (record_id, seq)
  )`,
];

/** Create `signature_records` and `signature_archive_stamps`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
