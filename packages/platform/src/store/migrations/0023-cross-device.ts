/**
 * 0023 — cross-device sign-in (issue 19, docs/cross-device.md): a computer's OpenID Connect login
 * approved on the resident's phone by scanning a QR code.
 *
 * `cross_device_requests`: one row per QR shown on a computer's sign-in page.
 * - `token_hash`: SHA-256 of the random token the QR carries (the phone presents it); the token
 *   itself is never stored, as the credential exchanges' values (0020) are not.
 * - `browser_hash`: SHA-256 of the random value of the cookie set on the computer's browser when
 *   the QR was made: only that browser can collect the result.
 * - `interaction_uid`, `client_id`: the oidc-provider interaction waiting on the computer and its RP.
 * - `number` (10–99): the matching number the computer shows; `choices` the three numbers the
 *   phone offers (space-separated, the right one among them); `nonce` goes into the bytes the
 *   device key signs.
 * - `origin_network`, `origin_user_agent`: what the server honestly knows of where the sign-in
 *   was started (the IP network, /24 or /48, and the User-Agent), shown on the phone.
 * - `state` moves once from `pending` to `approved`, `refused` (a wrong number was picked: the
 *   request dies, no second guess) or `denied`, and from `approved` to `used` when the computer
 *   collects it — each by one conditional UPDATE, so a replay or a race finds nothing to move.
 *
 * Same portability rules as 0001 (PostgreSQL and PGlite); forward-only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  `CREATE TABLE cross_device_requests (
    id uuid PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    browser_hash bytea NOT NULL,
    interaction_uid text NOT NULL,
    client_id text NOT NULL,
    number int2 NOT NULL CHECK (number BETWEEN 10 AND 99),
    choices text NOT NULL,
    nonce text NOT NULL,
    origin_network text,
    origin_user_agent text CHECK (char_length(origin_user_agent) <= 512),
    state text NOT NULL DEFAULT 'pending'
      CHECK (state IN ('pending', 'approved', 'used', 'refused', 'denied')),
    account_id uuid REFERENCES accounts (id),
    device_serial text,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    scanned_at timestamptz,
    decided_at timestamptz,
    used_at timestamptz,
    CHECK (expires_at > created_at),
    CHECK ((state = 'pending') = (decided_at IS NULL)),
    CHECK ((state IN ('approved', 'used')) = (account_id IS NOT NULL AND device_serial IS NOT NULL)),
    CHECK ((state = 'used') = (used_at IS NOT NULL))
  )`,
  `CREATE INDEX cross_device_requests_expires_idx ON cross_device_requests (expires_at)`,
];

/** Create `cross_device_requests`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
