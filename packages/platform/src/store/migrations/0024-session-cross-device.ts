/**
 * 0024 — remember that a session was started by a cross-device sign-in (docs/cross-device.md).
 *
 * A computer signed in with the phone's device key gets a session whose authenticator is that
 * device certificate. The sign-in itself is not phishing resistant (a QR can be relayed), but a
 * later login that reuses the session computed its level from the authenticator alone and counted
 * it as phishing resistant. `cross_device` keeps how the session began, so reuse is judged the same
 * way as the sign-in was (oidc/assurance.ts `sessionContext`).
 *
 * Same portability rules as 0001 (PostgreSQL and PGlite); forward-only.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/** Add `sessions.cross_device`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE sessions ADD COLUMN cross_device boolean NOT NULL DEFAULT false`.execute(db);
}
