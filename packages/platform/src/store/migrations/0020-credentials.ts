/**
 * 0020 — verifiable credentials (issue 19; docs/credentials.md): the SD-JWT VCs the platform
 * issues to residents' wallets, their places in the published Token Status List, and the one-use
 * values of the issuance and presentation exchanges.
 *
 * - `credentials`: one row per issued SD-JWT VC. `status_index` is its index in the status list
 *   (draft-ietf-oauth-status-list §4, unique, never reused); `anchor_id` the signing anchor the
 *   attributes came from (a credential dies with its anchor: revoked, superseded by a re-anchoring
 *   or erased on closure — ON DELETE SET NULL keeps the row, which then reads as revoked);
 *   `status` what the platform itself decided (`valid` or `revoked` when the resident replaced
 *   it); `holder_jkt` the RFC 7638 thumbprint of the holder key in `cnf`. No claim value and
 *   never the My Number: the credential's content is computed from `basic4` at issuance and kept
 *   only in the wallet.
 * - `credential_exchanges`: single-use values, stored as SHA-256 hashes: a pre-authorized code, an
 *   access token, a `c_nonce` (OpenID4VCI 1.0 §7) and a presentation request with its nonce
 *   (OpenID4VP 1.0); `used_at` makes each one-use by an atomic UPDATE; `result` holds what a
 *   verifier learned (only the requested claims) until the counter page reads it.
 * Same portability rules as 0001.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  `CREATE TABLE credentials (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    anchor_id uuid REFERENCES anchors (id) ON DELETE SET NULL,
    status_index integer NOT NULL UNIQUE CHECK (status_index >= 0),
    status text NOT NULL CHECK (status IN ('valid', 'revoked')),
    vct text NOT NULL,
    holder_jkt text NOT NULL,
    issued_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CHECK (expires_at > issued_at)
  )`,
  `CREATE INDEX credentials_account_idx ON credentials (account_id, issued_at DESC)`,
  `CREATE TABLE credential_exchanges (
    value_hash bytea PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('pre_authorized_code', 'access_token', 'c_nonce', 'presentation')),
    account_id uuid REFERENCES accounts (id),
    request jsonb,
    result jsonb,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
  )`,
  `CREATE INDEX credential_exchanges_expires_idx ON credential_exchanges (expires_at)`,
];

/** Create `credentials` and `credential_exchanges`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
