/** Row builders for store tests: valid rows with random keys, overridable field by field. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Insertable, Kysely, Transaction } from 'kysely';
import { jsonb } from '../../src/store/json.ts';
import type { AnchorsTable, Schema } from '../../src/store/schema.ts';

/** 32 random bytes (stand-in for a SHA-256 value). */
export function hash32(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

/** Insert a live account and return its id. */
export async function insertAccount(db: Kysely<Schema> | Transaction<Schema>): Promise<string> {
  const row = await db
    .insertInto('accounts')
    .values({ person_key: hash32(), person_key_id: 'pk-test-1' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Insert a passkey for `accountId` (random credential, synced, user-verified). */
export async function insertPasskey(
  db: Kysely<Schema> | Transaction<Schema>,
  accountId: string,
  label = 'phone',
): Promise<void> {
  await db
    .insertInto('authenticators')
    .values({
      account_id: accountId,
      type: 'passkey',
      credential_id: new Uint8Array(randomBytes(16)),
      public_key: new Uint8Array(randomBytes(65)),
      backup_eligible: true,
      backed_up: true,
      user_verified: true,
      label,
    })
    .execute();
}

/** A valid anchor row for `accountId` (current, status good). */
export function anchorRow(
  accountId: string,
  over: Partial<Insertable<AnchorsTable>> = {},
): Insertable<AnchorsTable> {
  const now = new Date('2026-01-01T00:00:00Z');
  return {
    id: randomUUID(),
    account_id: accountId,
    purpose: 'sign',
    variant: 'card',
    issuer_key_hash: hash32(),
    issuer_name_hash: hash32(),
    serial: BigInt(`0x${randomBytes(8).toString('hex')}`).toString(),
    certificate_hash: hash32(),
    not_before: now,
    not_after: new Date('2030-01-01T14:59:59Z'),
    status: 'good',
    status_checked_at: now,
    evidence: jsonb({ source: 'ocsp', producedAt: now.toISOString() }),
    ...over,
  };
}
