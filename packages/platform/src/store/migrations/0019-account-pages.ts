/**
 * 0019 — what the wallet's security page shows about each sign-in (issue 17: sign-in history and
 * active sessions). A session row already says when (`created_at`, `auth_time`) and how
 * (`authenticator_id`, `amr`); this adds from which browser:
 *
 * - `user_agent`: the User-Agent header of the request that started the session, cut to 512
 *   characters, shown to the resident in words (me/device.ts: "Chrome on Android, phone"). NULL for
 *   sessions started before this migration or without the header.
 *
 * No IP address and no place is stored: Watashi has no geolocation database, and an address kept
 * for years in the sessions table would be personal data with no use to the resident beyond a
 * guess at a town. The history therefore says "place not known".
 *
 * Also an index for the history, newest first per account. Same portability rules as 0001.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

const statements = [
  `ALTER TABLE sessions ADD COLUMN user_agent text
    CHECK (user_agent IS NULL OR char_length(user_agent) <= 512)`,
  `CREATE INDEX sessions_account_created_idx ON sessions (account_id, created_at DESC)`,
];

/** Add `sessions.user_agent` and the history index. */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
