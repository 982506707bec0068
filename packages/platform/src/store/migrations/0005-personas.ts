/**
 * 0005 — personas and OpenID consents (docs/architecture.md §3.3, issue 4): the resident's named personas
 * (subsets of their verified attributes and derived claims) and, per relying party, what the
 * resident consented to release, through which persona, so that token and userinfo releases, the
 * consent review and its withdrawal all read one record.
 *
 * Same portability rules as 0001: core types only, statements one at a time, forward-only. No
 * claim value is stored here: only claim names (values are computed at release, oidc/claims.ts).
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  /*
   * personas — a few per account (the limit is enforced by the API, oidc/personas.ts), names
   * unique per account. `claims` are catalogue names; `residence` is the granularity of
   * `resident_of` and is set exactly when `resident_of` is one of the claims.
   */
  `CREATE TABLE personas (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    claims text[] NOT NULL,
    residence text CHECK (residence IN ('prefecture', 'municipality')),
    created_at timestamptz NOT NULL,
    CONSTRAINT personas_account_name_key UNIQUE (account_id, name),
    CHECK ((residence IS NOT NULL) = ('resident_of' = ANY (claims)))
  )`,
  /*
   * oidc_consents — one row per consent given on the consent screen (oidc/routes.ts): the grant
   * it made, the claims it releases (requested ∩ registered ∩ persona, a snapshot: deleting or
   * changing the persona later changes nothing already granted), the persona's id and name at the
   * time, and when it was withdrawn. The live consent of (account, RP) is the newest row not
   * withdrawn.
   */
  `CREATE TABLE oidc_consents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id text NOT NULL,
    grant_id text NOT NULL,
    persona_id uuid REFERENCES personas (id) ON DELETE SET NULL,
    persona_name text,
    claims text[] NOT NULL,
    residence text NOT NULL CHECK (residence IN ('prefecture', 'municipality')),
    scopes text[] NOT NULL,
    granted_at timestamptz NOT NULL,
    withdrawn_at timestamptz
  )`,
  `CREATE INDEX oidc_consents_account_client_idx ON oidc_consents (account_id, client_id, granted_at)`,
  `CREATE INDEX oidc_consents_grant_idx ON oidc_consents (grant_id)`,
];

/** Create the personas and OpenID consents tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
