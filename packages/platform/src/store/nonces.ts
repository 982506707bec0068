/**
 * Single-use nonces of enrolment documents (docs/architecture.md §3.1 steps 1 and 3: "nonce unused and
 * unexpired"). Consumption is one atomic `UPDATE … WHERE used_at IS NULL … RETURNING`: the row
 * lock makes exactly one of any number of concurrent callers see the row come back.
 */
import type { Kysely, Transaction } from 'kysely';
import { bytesEqual } from '@watashi/pki';
import type { NoncePurpose, Schema } from './schema.ts';

/** Outcome of {@link consumeNonce} and {@link classifyNonce}; only `ok` may proceed. */
export type NonceOutcome = 'ok' | 'unknown' | 'used' | 'expired' | 'wrong_purpose' | 'document_mismatch';

/**
 * Mark `nonce` used at `now` if it exists, is unused, unexpired, issued for `purpose` and bound
 * to `documentHash` (SHA-256 of the exact document signed). Returns `'ok'` to exactly one caller;
 * otherwise says why not (for logs and the error code; the resident sees one generic failure).
 * Run it in the same transaction as the enrolment it authorises, so a failed enrolment does not
 * burn the nonce.
 */
export async function consumeNonce(
  db: Kysely<Schema> | Transaction<Schema>,
  input: { nonce: Uint8Array; purpose: NoncePurpose; documentHash: Uint8Array; now: Date },
): Promise<NonceOutcome> {
  const { nonce, purpose, documentHash, now } = input;
  const won = await db
    .updateTable('enrolment_nonces')
    .set({ used_at: now })
    .where('nonce', '=', nonce)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .where('purpose', '=', purpose)
    .where('document_hash', '=', documentHash)
    .returning('nonce')
    .executeTakeFirst();
  if (won !== undefined) return 'ok';
  // Lost: classify (no lock needed, the answer only explains a refusal already decided). When
  // every condition holds now, the row did not exist yet when the UPDATE ran (inserted by a
  // transaction that committed in between); refuse rather than retry.
  const why = await classifyNonce(db, input);
  return why === 'ok' ? 'unknown' : why;
}

/**
 * Why `nonce` would or would not be accepted for `purpose` and `documentHash` at `now`, without
 * consuming it: the one classifier of nonce refusals, in the order a resident's mistake is most
 * plainly explained (unknown, used, expired, wrong purpose, another document). Enrolment asks it
 * before verifying a signature (nothing is spent on a dead nonce); the authoritative, atomic
 * check is still {@link consumeNonce} in the enrolment's transaction.
 */
export async function classifyNonce(
  db: Kysely<Schema> | Transaction<Schema>,
  input: { nonce: Uint8Array; purpose: NoncePurpose; documentHash: Uint8Array; now: Date },
): Promise<NonceOutcome> {
  const { nonce, purpose, documentHash, now } = input;
  const row = await db
    .selectFrom('enrolment_nonces')
    .select(['used_at', 'expires_at', 'purpose', 'document_hash'])
    .where('nonce', '=', nonce)
    .executeTakeFirst();
  if (row === undefined) return 'unknown';
  if (row.used_at !== null) return 'used';
  if (row.expires_at.getTime() <= now.getTime()) return 'expired';
  if (row.purpose !== purpose) return 'wrong_purpose';
  if (!bytesEqual(row.document_hash, documentHash)) return 'document_mismatch';
  return 'ok';
}
