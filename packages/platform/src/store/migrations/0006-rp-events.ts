/**
 * 0006 — events to relying parties and notices to the resident (issue 5, "Events to RPs" and
 * "Notices to the resident"; docs/architecture.md §3.4): where each RP receives lifecycle events, the outbox
 * of deliveries written in the same transaction as the account change they report, and the
 * resident's notices.
 *
 * Same portability rules as 0001: core types only, statements one at a time, forward-only. No
 * basic 4 information and no account id leaves through an event: a delivery carries the RP's
 * pairwise `sub` only (lifecycle/events/outbox.ts).
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  /*
   * relying_parties — where to push: `events_endpoint` (Shared Signals push, RFC 8935) and/or
   * `webhook_url` (signed JSON). The webhook secret is sealed by the key store (the platform
   * computes HMACs with it, so it cannot be hashed), the client_id bound as associated data.
   */
  `ALTER TABLE relying_parties ADD COLUMN events_endpoint text`,
  `ALTER TABLE relying_parties ADD COLUMN webhook_url text`,
  `ALTER TABLE relying_parties ADD COLUMN webhook_secret_key_id text`,
  `ALTER TABLE relying_parties ADD COLUMN webhook_secret_nonce bytea`,
  `ALTER TABLE relying_parties ADD COLUMN webhook_secret_ciphertext bytea`,
  /*
   * event_deliveries — the outbox: one row per (event, RP, channel). `event_id` is the SET's
   * `jti` (the same on every retry, so receivers can de-duplicate). `subject` is the RP's
   * pairwise sub. A worker claims due pending rows with FOR UPDATE SKIP LOCKED under a lease
   * (`locked_until`): a crashed worker's claim runs out and another takes the row.
   */
  `CREATE TABLE event_deliveries (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id uuid NOT NULL,
    client_id text NOT NULL,
    channel text NOT NULL CHECK (channel IN ('push', 'webhook', 'logout')),
    target text NOT NULL,
    event_type text NOT NULL,
    subject text NOT NULL,
    payload jsonb NOT NULL,
    occurred_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    locked_by text,
    locked_until timestamptz,
    last_error text,
    last_status integer,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    delivered_at timestamptz
  )`,
  `CREATE INDEX event_deliveries_due_idx ON event_deliveries (next_attempt_at) WHERE status = 'pending'`,
  `CREATE INDEX event_deliveries_status_idx ON event_deliveries (status, created_at)`,
  /*
   * account_notices — what the wallet tells the resident (GET /api/me/notices): a kind, the CRL
   * reason or the items that changed (names only), and when. The text is composed when read.
   */
  `CREATE TABLE account_notices (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('reproofing_required', 'attributes_updated', 'suspended', 'released', 'closed', 'reproofed')),
    reason text,
    items text[] NOT NULL,
    created_at timestamptz NOT NULL
  )`,
  `CREATE INDEX account_notices_account_idx ON account_notices (account_id, created_at)`,
];

/** Add the RP event endpoints, the delivery outbox and the resident's notices. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
