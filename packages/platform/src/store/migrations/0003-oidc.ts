/**
 * 0003 — federation (docs/architecture.md §3.3, issue 4): the storage of oidc-provider's models and the
 * registry of relying parties.
 *
 * Same portability rules as 0001: core types only, statements one at a time, forward-only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  /*
   * oidc_models — every artefact oidc-provider persists through its Adapter interface
   * (oidc/adapter.ts): Session, Interaction, Grant, AuthorizationCode, AccessToken, RefreshToken,
   * PushedAuthorizationRequest, ReplayDetection (DPoP jti and client assertion jti), … One table
   * keyed by (model, id) rather than a table per model: oidc-provider adds models between minor
   * versions, and every model is read by id.
   *
   * Secondary keys are copied out of the payload so they can be indexed: grant_id (revoking a
   * grant deletes every token issued under it, RFC 6749 §10.5 / OAuth 2.0 Security BCP §4.13:
   * a replayed code revokes what it produced), uid (Session.findByUid), user_code (device flow;
   * unused while that flow is off). The payload holds what oidc-provider gave; it never holds
   * basic 4 information (claims are computed at release time from the sealed `basic4`, never
   * stored here). Access and refresh tokens are opaque references into this table.
   *
   * Expired rows are invisible to the adapter (expires_at <= now); deleting them is a
   * housekeeping job (index oidc_models_expires_idx). consumed_at mirrors payload.consumed
   * (authorization codes, refresh tokens on rotation) for operators.
   */
  `CREATE TABLE oidc_models (
    model text NOT NULL CHECK (model ~ '^[A-Za-z]{1,64}$'),
    id text NOT NULL CHECK (length(id) BETWEEN 1 AND 512),
    payload jsonb NOT NULL,
    grant_id text,
    uid text,
    user_code text,
    expires_at timestamptz,
    consumed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model, id)
  )`,
  `CREATE INDEX oidc_models_grant_idx ON oidc_models (grant_id) WHERE grant_id IS NOT NULL`,
  `CREATE UNIQUE INDEX oidc_models_uid_key ON oidc_models (model, uid) WHERE uid IS NOT NULL`,
  `CREATE UNIQUE INDEX oidc_models_user_code_key ON oidc_models (model, user_code)
    WHERE user_code IS NOT NULL`,
  `CREATE INDEX oidc_models_expires_idx ON oidc_models (expires_at) WHERE expires_at IS NOT NULL`,

  /*
   * relying_parties — the RP registry, Watashi's trust framework (docs/architecture.md §3.3): who may ask,
   * for what, why, and at which level. Written by `watashi rp add|remove` (oidc/registry.ts);
   * oidc-provider reads clients from here through the adapter's `Client` model. Dynamic
   * registration is off.
   *
   * - metadata: the OpenID Connect client metadata (RFC 7591 §2 names: redirect_uris,
   *   token_endpoint_auth_method, jwks / jwks_uri, post_logout_redirect_uris, …) without any
   *   secret.
   * - secret_*: for client_secret_basic, the client secret sealed by the key store (AES-256-GCM,
   *   the client_id as associated data): a copy of the database yields no usable credential.
   *   NULL for private_key_jwt clients.
   * - allowed_claims: the claims the RP may receive at most; a request for more is not released
   *   (and not shown on the consent screen).
   * - purpose: the stated purpose (利用目的), shown to the resident on the consent screen.
   * - min_acr: the least acr the RP accepts (assurance table, docs/architecture.md §6); a request can raise
   *   it, never lower it.
   * - sector_identifier: the pairwise subject sector (OIDC Core §8.1). RPs sharing a sector see the
   *   same `sub`; by default each RP is its own sector.
   * - disabled_at: removed RPs are disabled, not deleted, so an audit trail naming the client_id
   *   keeps meaning and the client_id is never reused for someone else.
   */
  `CREATE TABLE relying_parties (
    client_id text PRIMARY KEY CHECK (client_id ~ '^[A-Za-z0-9._~-]{1,128}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    purpose text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 2000),
    metadata jsonb NOT NULL,
    secret_key_id text,
    secret_nonce bytea,
    secret_ciphertext bytea,
    allowed_claims text[] NOT NULL DEFAULT '{}',
    min_acr text,
    sector_identifier text NOT NULL CHECK (length(sector_identifier) BETWEEN 1 AND 255),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz,
    CHECK ((secret_key_id IS NULL) = (secret_nonce IS NULL)
       AND (secret_nonce IS NULL) = (secret_ciphertext IS NULL))
  )`,
];

/** Create the oidc-provider model table and the RP registry. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
