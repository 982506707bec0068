/**
 * 0002 — enrolment documents (docs/architecture.md §3.1 steps 1 and 5). The enrolment document the resident
 * signs is kept with its nonce, so a detached CMS or a raw PKCS#1 signature (which carry no
 * content) can be verified against the exact bytes issued; the optional consent document for
 * latest-basic-4 provision is kept beside it. Both are transient: the rows are purged with their
 * nonce once expired. Neither holds personal data (terms, nonce, operator, dates).
 *
 * Nullable, so the columns can be added to a table that already has rows; the enrolment code
 * refuses a row without a document as "not found".
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  `ALTER TABLE enrolment_nonces ADD COLUMN document bytea
    CHECK (document IS NULL OR octet_length(document) BETWEEN 1 AND 32768)`,
  `ALTER TABLE enrolment_nonces ADD COLUMN consent_document bytea
    CHECK (consent_document IS NULL OR octet_length(consent_document) BETWEEN 1 AND 4096)`,
];

/** Add the document columns. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
