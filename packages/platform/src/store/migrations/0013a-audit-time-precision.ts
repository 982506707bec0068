/**
 * 0013a — the audit log's time is stored with the precision it is hashed with (issue 21, item 5).
 * `audit_log.at` is a timestamptz (microseconds) but the record hash covers the time as an ISO
 * string with milliseconds (store/audit.ts), so a time moved by up to 999 µs read back unchanged.
 * The platform always wrote millisecond times (from JavaScript Dates); this constraint makes the
 * column refuse anything finer, and the verifier now reads the stored microseconds and refuses a
 * record with a sub-millisecond part whatever the constraint says (an insider can drop it).
 *
 * NOT VALID: existing rows are not checked here, so a log already tampered with does not stop the
 * migration; `watashi audit verify` names such a record instead.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/** Refuse audit times finer than a millisecond. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `ALTER TABLE audit_log ADD CONSTRAINT audit_log_at_milliseconds
        CHECK ((extract(epoch from at) * 1000000)::int8 % 1000 = 0) NOT VALID`,
    )
    .execute(db);
}
