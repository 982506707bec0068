/**
 * 0025 — the polling rate of CIBA requests (issue 19 leftovers, docs/approvals.md).
 *
 * CIBA Core 1.0 §11 has the OP answer `slow_down` to a client that polls the token endpoint faster
 * than the `interval` (§7.3, default 5 s) and have it wait 5 s longer from then on (the RFC 8628
 * §3.5 rule CIBA borrows). oidc-provider keeps no polling state (it never gives `slow_down`), so
 * each request row holds it, shared by every platform instance:
 * - `polled_at`: when the RP last polled this `auth_req_id` while it was pending (NULL: not yet);
 * - `poll_interval`: the interval the RP must keep now, in seconds (5, +5 at every `slow_down`).
 *
 * Same portability rules as 0001 (PostgreSQL and PGlite); forward-only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  `ALTER TABLE ciba_requests ADD COLUMN polled_at timestamptz`,
  `ALTER TABLE ciba_requests ADD COLUMN poll_interval integer NOT NULL DEFAULT 5
     CHECK (poll_interval BETWEEN 5 AND 3600)`,
];

/** Add the polling state to `ciba_requests`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
