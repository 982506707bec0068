/**
 * 0007 — the J-LIS fee ledger (docs/architecture.md §3.4, issue 5): one row per query the platform made to
 * J-LIS through the JpkiBackend port (jlis/ledger.ts), so that `watashi fees` and
 * `GET /api/admin/fees` can say what each cadence and each relying party cost.
 *
 * Same portability rules as 0001: core types only, statements one at a time, forward-only. It
 * depends on nothing after 0004 (no foreign key: a ledger row outlives the account and the RP it
 * names — billing records are kept when an account is closed or an RP removed). No basic 4
 * information, no certificate and no serial: ids only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  /*
   * fee_ledger — append-only.
   * - method: what was asked (`ocsp`, `crl`, `provision`, `consent_registration`,
   *   `consent_withdrawal`).
   * - purpose: why (docs/jpki.md §4.4, PF operators record the same split for reporting and
   *   billing): `signature_verification`, `liveness_check` (現況確認), `provision`.
   * - certificate: `sign` or `auth` when the query was about one certificate type (J-LIS prices
   *   signing-certificate and user-authentication-certificate checks differently, §2.2).
   * - client_id: the relying party on whose behalf it was made (an OIDC login that needed it),
   *   NULL for the platform's own (sweep, enrolment, wallet sign-in).
   * - price_yen: from the configuration at the time of the query (so a price change is not
   *   retroactive).
   * - outcome: `good` / `revoked` / `unknown` (OCSP), `ok` (CRL, consent), `provided` /
   *   `no_new_certificate` / `not_revoked` (provision), `error` with error_code when it failed.
   */
  `CREATE TABLE fee_ledger (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL,
    method text NOT NULL CHECK (method IN ('ocsp', 'crl', 'provision', 'consent_registration', 'consent_withdrawal')),
    purpose text NOT NULL CHECK (purpose IN ('signature_verification', 'liveness_check', 'provision')),
    certificate text CHECK (certificate IN ('sign', 'auth')),
    client_id text,
    account_id uuid,
    price_yen integer NOT NULL CHECK (price_yen >= 0),
    outcome text NOT NULL,
    error_code text,
    backend text NOT NULL,
    CHECK ((outcome = 'error') = (error_code IS NOT NULL))
  )`,
  `CREATE INDEX fee_ledger_at_idx ON fee_ledger (at)`,
];

/** Create the fee ledger. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
