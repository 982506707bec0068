/**
 * Single-use, short-lived challenges of WebAuthn and card ceremonies, kept server-side in the
 * `kv` table (no migration needed): key `authn:challenge:<hex SHA-256 of the challenge>`, value
 * `{purpose, accountId?, expiresAt}`. Consumption is one `DELETE … WHERE key = $1 RETURNING value`:
 * exactly one of any number of concurrent callers gets the row, so a challenge authorises at most
 * one ceremony. An expired challenge is deleted when presented (and refused).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Schema } from '../store/schema.ts';
import { jsonb } from '../store/json.ts';
import { authnError } from './errors.ts';

export type ChallengePurpose =
  'passkey_registration' | 'passkey_authentication' | 'card_binding' | 'card_login' | 'device_login';

/** Default lifetime of a challenge: enough for a person to touch a key or type a PIN. */
export const CHALLENGE_TTL_SECONDS = 300;

const keyOf = (challenge: string): string =>
  `authn:challenge:${createHash('sha256').update(challenge).digest('hex')}`;

/** A new random challenge (32 bytes, base64url), stored for `purpose`. */
export async function issueChallenge(
  db: Kysely<Schema>,
  input: { purpose: ChallengePurpose; accountId?: string; now: Date; ttlSeconds?: number },
): Promise<{ challenge: string; expiresAt: Date }> {
  const challenge = randomBytes(32).toString('base64url');
  const expiresAt = new Date(input.now.getTime() + (input.ttlSeconds ?? CHALLENGE_TTL_SECONDS) * 1000);
  await db
    .insertInto('kv')
    .values({
      key: keyOf(challenge),
      value: jsonb({
        purpose: input.purpose,
        accountId: input.accountId ?? null,
        expiresAt: expiresAt.toISOString(),
      }),
      updated_at: input.now,
    })
    .execute();
  return { challenge, expiresAt };
}

/**
 * Consumes `challenge` for `purpose` (and `accountId` when the challenge was issued to one).
 * Throws `authn_challenge_unknown` (never issued, already used, other purpose or account) or
 * `authn_challenge_expired`.
 */
export async function consumeChallenge(
  db: Kysely<Schema> | Transaction<Schema>,
  input: { challenge: string; purpose: ChallengePurpose; accountId?: string; now: Date },
): Promise<{ accountId: string | null }> {
  if (input.challenge.length === 0 || input.challenge.length > 256)
    throw authnError('authn_challenge_unknown', 'unknown challenge');
  const row = await db
    .deleteFrom('kv')
    .where('key', '=', keyOf(input.challenge))
    .returning('value')
    .executeTakeFirst();
  if (row === undefined) throw authnError('authn_challenge_unknown', 'unknown or used challenge');
  const v = (typeof row.value === 'string' ? JSON.parse(row.value) : row.value) as {
    purpose?: string;
    accountId?: string | null;
    expiresAt?: string;
  };
  if (v.purpose !== input.purpose)
    throw authnError('authn_challenge_unknown', 'challenge of another ceremony');
  if (v.expiresAt === undefined || Date.parse(v.expiresAt) <= input.now.getTime())
    throw authnError('authn_challenge_expired', 'challenge expired');
  if (input.accountId !== undefined && v.accountId !== input.accountId)
    throw authnError('authn_challenge_unknown', 'challenge of another account');
  return { accountId: v.accountId ?? null };
}
