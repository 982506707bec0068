/**
 * 0013 — what a completed enrolment produced, on its nonce (issue 21, item 6). The account, the
 * session and the reply are made after the enrolment's transaction commits; if the reply is lost
 * (or the session could not be written), the resident's app sends the same completion again. The
 * nonce is then used, and without these columns the retry could only be refused although the
 * account exists. With them, a retry that proves possession of the same certificate over the same
 * document before the nonce expires gets the recorded result back (enrolment/enrolment.ts).
 *
 * - `completed_certificate_hash`: SHA-256 of the signing certificate that completed it.
 * - `completion`: the result returned (account id, created, anchor id, proofing level, consent
 *   id): ids and a level, no personal data. Purged with the nonce once expired.
 *
 * Nullable: rows of enrolments completed before this migration have none (a retry of those is
 * refused as before). Same portability rules as 0001.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  `ALTER TABLE enrolment_nonces ADD COLUMN completed_certificate_hash bytea
    CHECK (completed_certificate_hash IS NULL OR octet_length(completed_certificate_hash) = 32)`,
  `ALTER TABLE enrolment_nonces ADD COLUMN completion jsonb`,
];

/** Add the completion columns. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
