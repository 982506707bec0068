/**
 * 0018 — out-of-band approval with OpenID Connect CIBA (issue 19, docs/approvals.md).
 *
 * - `pairwise_subjects`: which account a relying party's pairwise `sub` names (OIDC Core §8.1).
 *   The `sub` is an HMAC (oidc/pairwise.ts) and cannot be inverted; a CIBA request names the
 *   resident by it (`login_hint`), so the platform records the pair when the resident consents to
 *   an RP (oidc/consent-step.ts). Keyed by the RP's *sector*: a `sub` known to another RP (another
 *   sector) never resolves, and no global id is ever accepted as a hint.
 * - `ciba_requests`: each pending back-channel authentication request as the wallet shows it — the
 *   RP, the resident, the binding message, the RFC 9396 authorization details, the exact bytes the
 *   device key must sign (`signing_input`), the expiry and the state. The state moves once, from
 *   `pending` to `approved` or `denied`, in one conditional UPDATE: an approval replayed (or raced)
 *   finds no pending row. `auth_req_id` is oidc-provider's id of the request (its jti).
 *
 * Same portability rules as 0001 (PostgreSQL and PGlite); forward-only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  `CREATE TABLE pairwise_subjects (
    sector text NOT NULL,
    subject text NOT NULL,
    account_id uuid NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (sector, subject)
  )`,
  `CREATE TABLE ciba_requests (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    auth_req_id text NOT NULL UNIQUE,
    client_id text NOT NULL,
    account_id uuid NOT NULL REFERENCES accounts (id),
    scope text NOT NULL,
    binding_message text CHECK (char_length(binding_message) <= 64),
    authorization_details jsonb,
    -- The JWS signing input (RFC 7515 §5.1: BASE64URL(header) '.' BASE64URL(payload)) the device
    -- key signs: the transaction exactly as shown to the resident.
    signing_input text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'denied')),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    decided_at timestamptz,
    -- The device certificate that approved, and the compact JWS the RP receives as evidence.
    device_serial text,
    evidence text,
    CHECK ((state = 'pending') = (decided_at IS NULL)),
    CHECK ((state = 'approved') = (evidence IS NOT NULL))
  )`,
  `CREATE INDEX ciba_requests_pending_idx ON ciba_requests (account_id, expires_at) WHERE state = 'pending'`,
  `CREATE INDEX ciba_requests_expires_idx ON ciba_requests (expires_at)`,
];

/** Create the pairwise subject records and the CIBA request table. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
