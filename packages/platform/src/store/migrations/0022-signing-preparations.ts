/**
 * 0022 — signing preparations in the database (issue 20; signature/sign.ts says the whole why).
 *
 * `POST /api/signatures/sign` prepares a signature and `…/complete` finishes it with the card's
 * (or device key's) answer, seconds apart and possibly on another instance (docs/scaling.md: the
 * instances are stateless). One row per preparation:
 *
 * - in clear, what decides whether it may be completed and what the card signed: the account and
 *   the session that prepared it, `expires_at` (5 minutes), `consumed_at` (set once, by the one
 *   atomic UPDATE … RETURNING that hands the row to a completion), the format and algorithm, the
 *   signing time written into the signature, the document's SHA-256 and the DER signed attributes
 *   (`to_be_signed`, the exact bytes the signature covers).
 * - sealed with the data key (AES-256-GCM, the preparation id and account id as associated data):
 *   the file name, the signer's certificate and chain (their subjectAltName holds 氏名 and 住所)
 *   and, for a PDF only, the document (its signature goes inside it; any other file's detached
 *   signature is finished from `document_sha256`). Completion rebuilds the signature from them —
 *   the signing is deterministic for a given signing time, and `to_be_signed` (which holds the
 *   digest of the prepared bytes) proves the rebuild byte-identical. `sealed` is cleared when the
 *   row is consumed; housekeeping deletes rows once expired.
 *
 * Goes with the account and the session rows (ON DELETE CASCADE); a completion needs the same
 * live session. Same portability rules as 0001; forward-only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  `CREATE TABLE signing_preparations (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    format text NOT NULL CHECK (format IN ('pades', 'cades')),
    algorithm text NOT NULL CHECK (algorithm IN ('RSA-SHA256', 'ECDSA-SHA256')),
    signing_time timestamptz NOT NULL,
    document_sha256 bytea NOT NULL CHECK (octet_length(document_sha256) = 32),
    to_be_signed bytea NOT NULL CHECK (octet_length(to_be_signed) <= 8192),
    key_id text NOT NULL CHECK (char_length(key_id) <= 200),
    nonce bytea NOT NULL CHECK (octet_length(nonce) <= 64),
    sealed bytea CHECK (octet_length(sealed) <= 12582912),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    consumed_at timestamptz
  )`,
  `CREATE INDEX signing_preparations_account_idx ON signing_preparations (account_id)`,
  `CREATE INDEX signing_preparations_expires_idx ON signing_preparations (expires_at)`,
];

/** Create `signing_preparations`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
