/**
 * 0001 — the initial platform schema: accounts and their JPKI anchors, the encrypted basic 4
 * information, single-use enrolment nonces, authenticators, sessions, J-LIS provision consents,
 * the hash-chained audit log, and a small key/value table.
 *
 * Portability: every statement here runs unchanged on PostgreSQL 15 (Debian, production) and on
 * PGlite (PostgreSQL 18) — docs/dependencies.md §5.4. Only core types (uuid via gen_random_uuid(),
 * which is core since PG 13, jsonb, bytea, timestamptz, bigint, numeric, text[]) and no extensions.
 * Enumerations are `text` with CHECK constraints rather than `CREATE TYPE … AS ENUM`: adding a
 * value later is a plain constraint swap inside a transaction on every version.
 *
 * Forward-only, like every migration here: a mistake is fixed by a new numbered migration.
 * Statements are executed one at a time (PGlite's extended protocol takes one per query).
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  /*
   * accounts — one private ID (民間ID) of the platform (docs/architecture.md §3.1 step 4).
   *
   * Sweeps shard accounts by `id` range across workers (docs/architecture.md §3.4, §7): ids are random v4
   * UUIDs, so equal ranges hold about equal numbers of accounts, and the primary key index serves
   * `WHERE id >= $lo AND id < $hi ORDER BY id`.
   */
  `CREATE TABLE accounts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- live: usable; suspended: card reported lost/held or operator action (reversible);
    -- needs_reproofing: the anchor was revoked (e.g. affiliationChanged) and no consent allows an
    -- automatic update, so the proofing level has dropped until the resident signs again;
    -- closed: ended (death, emigration, holder request). Rows are kept for audit and to keep
    -- pairwise subjects stable; a closed account never becomes live again.
    status text NOT NULL DEFAULT 'live'
      CHECK (status IN ('live', 'suspended', 'needs_reproofing', 'closed')),
    status_reason text,
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    -- The "same person" key, used to recognise one resident across card renewals, moves and
    -- re-proofing, and to refuse a second live account for one person (docs/architecture.md §3.1 step 4).
    --
    -- What it is: HMAC-SHA-256 under a platform secret (identified by person_key_id, so the
    -- secret can be rotated by re-keying from the encrypted basic 4) over the normalised name,
    -- date of birth and sex from the basic 4 information (基本4情報) in the signing certificate.
    --
    -- Why not the My Number: the 12-digit individual number may only be used for the purposes
    -- the My Number Act lists; the platform never reads, stores or derives from it (docs/architecture.md
    -- §3.1). Why not the certificate serial: it changes at every renewal and every change of the
    -- basic 4 information. Why not the address: it changes at every move, which is the most
    -- common life event. Why keyed: name + birth date + sex has little entropy; a plain hash could
    -- be reversed by enumerating candidates, a keyed hash cannot without the secret.
    --
    -- Limits, and how they are covered: (1) the name changes on marriage and similar events. The
    -- continuity then comes from J-LIS, not from this key: the old certificate is revoked with
    -- affiliationChanged, and with the resident's consent the latest-basic-4 provision
    -- (最新の基本4情報の提供) returns the new basic 4 information and the new certificate's
    -- serial, so the account is re-anchored and this key recomputed; without consent the resident
    -- re-proofs from inside the existing account (already authenticated by a passkey or device
    -- key), which links the new card to it. (2) Two different people can share name, birth date
    -- and sex. A match is therefore a *candidate* for "same person", confirmed by the enrolment
    -- code (e.g. the address in the encrypted basic 4, the state of the other account's anchor);
    -- hence an ordinary index, not a unique one.
    person_key bytea NOT NULL CHECK (octet_length(person_key) = 32),
    person_key_id text NOT NULL,
    -- Proofing facts as recorded at the last proofing event (never a typed-in level: docs/architecture.md
    -- §6 computes the current level from these and the anchors' revocation status).
    -- proofing_level: 身元確認保証レベル 1–3 (Japan's guideline, mapped to IAL in docs/architecture.md §6)
    -- that the evidence supported at proofed_at; NULL until the account has been proofed.
    proofing_level smallint CHECK (proofing_level BETWEEN 1 AND 3),
    proofing_method text CHECK (proofing_method IN ('jpki_sign_card', 'jpki_sign_smartphone')),
    proofed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((proofing_level IS NULL) = (proofed_at IS NULL))
  )`,
  `CREATE INDEX accounts_person_key_idx ON accounts (person_key)`,

  /*
   * anchors — the JPKI certificates an account is anchored on (docs/architecture.md §3.1 step 4, §3.4).
   *
   * The certificate itself is NOT stored: the signing certificate's subjectAltName carries the
   * basic 4 information in clear (docs/jpki.md), which lives only encrypted in `basic4`.
   * An anchor keeps what revocation checking needs: issuer, serial, validity and the evidence.
   */
  `CREATE TABLE anchors (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES accounts (id),
    -- sign: 署名用電子証明書 (proofing); auth: 利用者証明用電子証明書 (authentication).
    purpose text NOT NULL CHECK (purpose IN ('sign', 'auth')),
    -- card or smartphone JPKI: separate keys and serials, and both may be valid at once.
    variant text NOT NULL CHECK (variant IN ('card', 'smartphone')),
    -- The issuing CA, by key: SHA-256 of the issuer certificate's subjectPublicKeyInfo. Every
    -- J-LIS root generation has the same DN (docs/jpki.md), so the DN cannot tell them
    -- apart; the key can. The DN hash is kept too, to match CRLs and OCSP by name.
    issuer_key_hash bytea NOT NULL CHECK (octet_length(issuer_key_hash) = 32),
    issuer_name_hash bytea NOT NULL CHECK (octet_length(issuer_name_hash) = 32),
    -- RFC 5280 §4.1.2.2: up to 20 octets, too large for bigint; numeric keeps it exact and
    -- canonical (no leading zeros or case to disagree on), compared numerically.
    serial numeric NOT NULL CHECK (scale(serial) = 0),
    -- SHA-256 of the certificate DER, to tie evidence and audit events to the exact certificate.
    certificate_hash bytea NOT NULL CHECK (octet_length(certificate_hash) = 32),
    not_before timestamptz NOT NULL,
    not_after timestamptz NOT NULL,
    -- Last known revocation status (RFC 6960 §2.2 vocabulary). unknown = could not be checked;
    -- the policy (hard-fail by default) decides what that means (docs/conventions.md §5).
    status text NOT NULL CHECK (status IN ('good', 'revoked', 'unknown')),
    revocation_reason text,
    revoked_at timestamptz,
    status_checked_at timestamptz NOT NULL,
    -- How the status was established: { source: 'ocsp'|'crl'|'jlis_provision', ocsp (base64 DER),
    -- crlNumber, thisUpdate, … }. Never personal data.
    evidence jsonb NOT NULL,
    -- Re-anchoring (renewal, affiliationChanged + provision, re-proofing) points the old anchor
    -- at its successor. Deferred so one transaction can mark the old anchor and insert the new
    -- one (with an id chosen up front) in either order without tripping the unique index below.
    superseded_by uuid REFERENCES anchors (id) DEFERRABLE INITIALLY DEFERRED,
    superseded_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT anchors_issuer_serial_key UNIQUE (issuer_key_hash, serial),
    CHECK (not_before < not_after),
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
    CHECK ((superseded_by IS NULL) = (superseded_at IS NULL))
  )`,
  // One current anchor per account, purpose and variant.
  `CREATE UNIQUE INDEX anchors_current_key ON anchors (account_id, purpose, variant)
    WHERE superseded_by IS NULL`,
  // Sweeps (docs/architecture.md §3.4): current anchors of an account-id range, in id order.
  `CREATE INDEX anchors_sweep_idx ON anchors (account_id) WHERE superseded_by IS NULL`,
  // CRL matching by issuer name (a CRL names its issuer; the key generation comes from its AKI).
  `CREATE INDEX anchors_issuer_name_idx ON anchors (issuer_name_hash, serial)`,

  /*
   * basic4 — the basic 4 information (name, address, date of birth, sex, substitute-character
   * maps), encrypted at rest, one row per account. Never stored in plaintext anywhere: not here,
   * not in anchors (no certificate), not in the audit log (store/audit.ts refuses such keys).
   * AEAD (AES-256-GCM) with the account id as associated data, so a ciphertext moved to another
   * account's row fails to decrypt. key_id names the data key (rotation re-encrypts rows).
   */
  `CREATE TABLE basic4 (
    account_id uuid PRIMARY KEY REFERENCES accounts (id),
    alg text NOT NULL DEFAULT 'A256GCM' CHECK (alg IN ('A256GCM')),
    key_id text NOT NULL,
    nonce bytea NOT NULL CHECK (octet_length(nonce) = 12),
    ciphertext bytea NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,

  /*
   * enrolment_nonces — the single-use nonce of each enrolment document (docs/architecture.md §3.1 steps 1
   * and 3). Consumed by `UPDATE … SET used_at = $now WHERE nonce = $1 AND used_at IS NULL AND
   * expires_at > $now RETURNING …`: the row lock makes exactly one concurrent caller win.
   */
  `CREATE TABLE enrolment_nonces (
    nonce bytea PRIMARY KEY CHECK (octet_length(nonce) >= 16),
    purpose text NOT NULL DEFAULT 'enrolment' CHECK (purpose IN ('enrolment', 'reproofing', 'consent')),
    -- SHA-256 of the exact document the resident is asked to sign.
    document_hash bytea NOT NULL CHECK (octet_length(document_hash) = 32),
    -- For re-proofing and consent: the account the document was issued to.
    account_id uuid REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    CHECK (created_at < expires_at)
  )`,
  // Purging expired nonces.
  `CREATE INDEX enrolment_nonces_expires_idx ON enrolment_nonces (expires_at)`,

  /*
   * authenticators — what a resident logs in with (docs/architecture.md §3.2): passkeys (WebAuthn), device
   * keys certified by the platform CA, and the card's user-authentication certificate.
   */
  `CREATE TABLE authenticators (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES accounts (id),
    type text NOT NULL CHECK (type IN ('passkey', 'device_cert', 'card_auth')),
    -- passkey: the WebAuthn credential ID (WebAuthn L3 §6.1: at most 1023 bytes);
    -- device_cert / card_auth: SHA-256 of the subjectPublicKeyInfo.
    credential_id bytea NOT NULL CHECK (octet_length(credential_id) BETWEEN 1 AND 1023),
    -- passkey: COSE_Key (WebAuthn L3 §6.5.1); otherwise subjectPublicKeyInfo DER.
    public_key bytea NOT NULL,
    -- WebAuthn signCount is an unsigned 32-bit value: beyond integer, so bigint.
    sign_count bigint NOT NULL DEFAULT 0 CHECK (sign_count BETWEEN 0 AND 4294967295),
    transports text[] NOT NULL DEFAULT '{}',
    -- WebAuthn flags BE / BS (L3 §6.1): a backup-eligible (synced) passkey is not device-bound and
    -- cannot reach the top authentication level (docs/architecture.md §3.2).
    backup_eligible boolean NOT NULL DEFAULT false,
    backed_up boolean NOT NULL DEFAULT false,
    attestation_fmt text,
    aaguid uuid,
    -- UV at registration (biometrics count only as activation of a device-bound key).
    user_verified boolean NOT NULL DEFAULT false,
    -- device_cert: the certificate the platform CA issued (pseudonymous subject, no basic 4).
    certificate bytea,
    -- Slot for 二重発行の防止 (docs/architecture.md §3.5): at most one live credential per device slot.
    device_slot text,
    -- A device certificate is inactive until the device proves possession (docs/architecture.md §3.1
    -- step 6); passkeys are active when registered.
    activated_at timestamptz,
    label text,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz,
    revocation_reason text,
    CONSTRAINT authenticators_credential_id_key UNIQUE (credential_id),
    CHECK (NOT backed_up OR backup_eligible)
  )`,
  `CREATE INDEX authenticators_account_idx ON authenticators (account_id)`,
  `CREATE UNIQUE INDEX authenticators_live_slot_key ON authenticators (account_id, type, device_slot)
    WHERE revoked_at IS NULL AND device_slot IS NOT NULL`,

  /*
   * sessions — a resident's login at the platform (wallet, consent screens). Only a hash of the
   * bearer token is stored, so a copy of the database yields no usable session.
   */
  `CREATE TABLE sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash bytea NOT NULL CHECK (octet_length(token_hash) = 32),
    account_id uuid NOT NULL REFERENCES accounts (id),
    authenticator_id uuid REFERENCES authenticators (id),
    -- The authentication context (docs/architecture.md §3.2, OIDC Core §2 acr/amr/auth_time).
    auth_time timestamptz NOT NULL,
    acr text,
    amr text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)
  )`,
  `CREATE INDEX sessions_account_idx ON sessions (account_id)`,
  `CREATE INDEX sessions_expires_idx ON sessions (expires_at)`,

  /*
   * consents — the resident's consent for J-LIS to provide their latest basic 4 information to
   * this platform (本人同意に基づく基本4情報の提供, docs/architecture.md §3.1 step 5, §3.4). The signed
   * consent is held by J-LIS; the platform keeps its reference, the hash of the document signed,
   * and the state. Withdrawable: withdrawn_at set, the row kept.
   */
  `CREATE TABLE consents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES accounts (id),
    -- The anchor whose signing key signed the consent.
    anchor_id uuid NOT NULL REFERENCES anchors (id),
    kind text NOT NULL DEFAULT 'jlis_basic4_provision' CHECK (kind IN ('jlis_basic4_provision')),
    -- The service the consent names (per-service consent).
    service text NOT NULL,
    jlis_reference text,
    document_hash bytea NOT NULL CHECK (octet_length(document_hash) = 32),
    granted_at timestamptz NOT NULL,
    expires_at timestamptz,
    withdrawn_at timestamptz,
    evidence jsonb NOT NULL DEFAULT '{}'
  )`,
  `CREATE INDEX consents_account_idx ON consents (account_id)`,

  /*
   * audit_log — append-only, hash-chained (store/audit.ts): hash = SHA-256(prev_hash ‖ canonical
   * JSON of the record). `seq` is assigned by the appender under the chain-head lock, so it is
   * gap-free (a `bigserial` would leave gaps on rollback and hide a deleted row behind them).
   * No foreign key on account_id: the log outlives whatever it talks about.
   */
  `CREATE TABLE audit_log (
    seq bigint PRIMARY KEY CHECK (seq > 0),
    at timestamptz NOT NULL,
    -- Who: 'account:<uuid>', 'operator:<name>', 'system:<job>', 'rp:<client_id>'.
    actor text NOT NULL,
    -- What: dotted event type, e.g. 'account.created', 'anchor.revoked'.
    type text NOT NULL,
    account_id uuid,
    payload jsonb NOT NULL,
    prev_hash bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash bytea NOT NULL CHECK (octet_length(hash) = 32)
  )`,
  `CREATE INDEX audit_log_account_idx ON audit_log (account_id, seq) WHERE account_id IS NOT NULL`,
  /*
   * audit_head — the chain head: one row, locked FOR UPDATE by every append so concurrent
   * appends queue instead of forking the chain, and compared by verification with the last row
   * so that deleting the newest rows (which leaves a valid shorter chain) is detected.
   */
  `CREATE TABLE audit_head (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    seq bigint NOT NULL CHECK (seq >= 0),
    hash bytea NOT NULL CHECK (octet_length(hash) = 32)
  )`,
  // Genesis: seq 0, hash = 32 zero bytes (the prev_hash of seq 1).
  `INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'))`,

  /*
   * kv — small platform settings and key material (e.g. the current person_key secret id, CA
   * key references, JWKS rotation state). Secrets are stored wrapped (encrypted under a key from
   * configuration or an HSM), never in clear.
   */
  `CREATE TABLE kv (
    key text PRIMARY KEY,
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
];

/** Apply the initial schema. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
