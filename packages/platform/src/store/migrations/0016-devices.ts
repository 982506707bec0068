/**
 * 0016 — Watashi as a trust service (issue 18, docs/trust-service.md): the CA's own certificates
 * and the residents' device certificates it issues.
 *
 * - `watashi_cas`: the root and the issuing CA (their certificates and the key ids that sign for
 *   them; the keys stay in the key store, local or PKCS#11), and each one's CRL number.
 * - `device_certificates`: every certificate issued to a resident's device, with its state:
 *   issued but inactive (activated_at NULL: OCSP and CRL say certificateHold) until the device
 *   proves possession; active; revoked (with the RFC 5280 reason).
 *
 * 二重発行の防止 (seed 001): at most one live certificate per account, device slot and profile,
 * enforced by the partial unique index `device_certificates_live_slot_key`, so twenty concurrent
 * issuances for one slot leave exactly one row whatever the code above does.
 *
 * Tied to the anchor (issue 18 "Tied to the anchor"): the trigger `device_certificates_follow_anchor`
 * revokes the live signing certificates issued on a JPKI signing anchor when that anchor is
 * revoked, with the same reason (affiliationChanged when the basic 4 information changed), on
 * whichever path the anchor's status changes (sweep, OCSP at sign-in, re-anchoring). A hold
 * (certificateHold) is not followed: the account's suspension covers it, and a release must not
 * have to un-revoke anything. Authentication certificates carry no basic 4 and stay.
 *
 * The anchor is referenced by the platform's record only (anchor_id), never by a My Number or a
 * JPKI serial in the certificate; when a closure erases anchors the link becomes NULL.
 *
 * Same portability rules as 0001 (PL/pgSQL is core on PostgreSQL and PGlite); forward-only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  `CREATE TABLE watashi_cas (
    role text PRIMARY KEY CHECK (role IN ('root', 'issuing')),
    certificate bytea NOT NULL,
    -- The key store's key id (purpose ca-root / ca-issuing) whose public key the certificate holds.
    key_id text NOT NULL,
    crl_number bigint NOT NULL DEFAULT 0 CHECK (crl_number >= 0),
    created_at timestamptz NOT NULL
  )`,
  `CREATE TABLE device_certificates (
    -- The certificate serial, lower-case hex without leading zeros (RFC 5280 §4.1.2.2).
    serial text PRIMARY KEY CHECK (serial ~ '^[1-9a-f][0-9a-f]{0,39}$'),
    account_id uuid NOT NULL REFERENCES accounts (id),
    anchor_id uuid REFERENCES anchors (id) ON DELETE SET NULL,
    authenticator_id uuid REFERENCES authenticators (id),
    profile text NOT NULL CHECK (profile IN ('watashi-device-sign', 'watashi-device-auth')),
    profile_version integer NOT NULL,
    device_slot text NOT NULL CHECK (device_slot ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    label text CHECK (char_length(label) <= 64),
    -- What holds the key, as the device stated it: webcrypto (browser, software) or pkcs11 (a token).
    key_storage text NOT NULL CHECK (key_storage IN ('webcrypto', 'pkcs11')),
    token_model text CHECK (char_length(token_model) <= 64),
    spki_hash bytea NOT NULL CHECK (octet_length(spki_hash) = 32),
    certificate bytea NOT NULL,
    not_before timestamptz NOT NULL,
    not_after timestamptz NOT NULL,
    -- The session that asked for the certificate: activation must come from it.
    session_id uuid NOT NULL,
    -- SHA-256 of the activation challenge; NULL once used.
    activation_hash bytea CHECK (octet_length(activation_hash) = 32),
    activation_expires_at timestamptz NOT NULL,
    activated_at timestamptz,
    revoked_at timestamptz,
    revocation_reason text,
    created_at timestamptz NOT NULL,
    CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL)),
    CHECK (activated_at IS NULL OR activation_hash IS NULL)
  )`,
  `CREATE UNIQUE INDEX device_certificates_live_slot_key
    ON device_certificates (account_id, device_slot, profile) WHERE revoked_at IS NULL`,
  `CREATE INDEX device_certificates_account_idx ON device_certificates (account_id)`,
  `CREATE INDEX device_certificates_spki_idx ON device_certificates (spki_hash)`,
  `CREATE INDEX device_certificates_pending_idx ON device_certificates (activation_expires_at)
    WHERE activated_at IS NULL AND revoked_at IS NULL`,
  `CREATE INDEX device_certificates_anchor_idx ON device_certificates (anchor_id)`,
  `CREATE FUNCTION device_certificates_follow_anchor() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.status = 'revoked' AND NEW.purpose = 'sign'
       AND COALESCE(NEW.revocation_reason, 'unspecified') NOT IN ('certificateHold', 'removeFromCRL')
       AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.revocation_reason IS DISTINCT FROM NEW.revocation_reason) THEN
      UPDATE device_certificates
        SET revoked_at = COALESCE(NEW.revoked_at, now()),
            revocation_reason = COALESCE(NEW.revocation_reason, 'unspecified')
        WHERE anchor_id = NEW.id AND profile = 'watashi-device-sign' AND revoked_at IS NULL;
    END IF;
    RETURN NEW;
  END $$`,
  `CREATE TRIGGER device_certificates_follow_anchor AFTER UPDATE OF status, revocation_reason ON anchors
    FOR EACH ROW EXECUTE FUNCTION device_certificates_follow_anchor()`,
];

/** Create the CA and device certificate tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
