/**
 * Single-use values of the credential exchanges (migration 0020): pre-authorized codes, access
 * tokens, `c_nonce`s and the counter's presentation requests. Only a SHA-256 hash of each value is
 * stored; consumption is one atomic `UPDATE … WHERE used_at IS NULL … RETURNING` (as
 * store/nonces.ts), so exactly one caller wins a value.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { jsonb, type JsonObject } from '../store/json.ts';
import type { CredentialExchangeKind, Schema } from '../store/schema.ts';

/** SHA-256 of a value, as stored. */
export const valueHash = (value: string): Uint8Array =>
  new Uint8Array(createHash('sha256').update(value).digest());

/** A fresh random value (256 bits, base64url). */
export const randomValue = (): string => randomBytes(32).toString('base64url');

/** Stores a new single-use value of `kind` for `ttlSeconds`; returns the value. */
export async function createExchange(
  db: Kysely<Schema> | Transaction<Schema>,
  input: {
    kind: CredentialExchangeKind;
    accountId: string | null;
    now: Date;
    ttlSeconds: number;
    request?: JsonObject;
    value?: string;
  },
): Promise<string> {
  const value = input.value ?? randomValue();
  await db
    .insertInto('credential_exchanges')
    .values({
      value_hash: valueHash(value),
      kind: input.kind,
      account_id: input.accountId,
      request: input.request === undefined ? null : jsonb(input.request),
      result: null,
      created_at: input.now,
      expires_at: new Date(input.now.getTime() + input.ttlSeconds * 1000),
      used_at: null,
    })
    .execute();
  return value;
}

/**
 * Marks `value` of `kind` used at `now` if it exists, is unused and unexpired, storing `result`
 * with it; returns the row to exactly one caller, undefined to every other.
 */
export async function consumeExchange(
  db: Kysely<Schema> | Transaction<Schema>,
  input: { kind: CredentialExchangeKind; value: string; now: Date; result?: JsonObject },
): Promise<{ account_id: string | null; request: JsonObject | null } | undefined> {
  return db
    .updateTable('credential_exchanges')
    .set({ used_at: input.now, ...(input.result === undefined ? {} : { result: jsonb(input.result) }) })
    .where('value_hash', '=', valueHash(input.value))
    .where('kind', '=', input.kind)
    .where('used_at', 'is', null)
    .where('expires_at', '>', input.now)
    .returning(['account_id', 'request'])
    .executeTakeFirst();
}

/** Reads a value's row without consuming it (the counter's poll, a replay's classification). */
export async function readExchange(
  db: Kysely<Schema> | Transaction<Schema>,
  kind: CredentialExchangeKind,
  value: string,
): Promise<
  | {
      account_id: string | null;
      request: JsonObject | null;
      result: JsonObject | null;
      expires_at: Date;
      used_at: Date | null;
    }
  | undefined
> {
  return db
    .selectFrom('credential_exchanges')
    .select(['account_id', 'request', 'result', 'expires_at', 'used_at'])
    .where('value_hash', '=', valueHash(value))
    .where('kind', '=', kind)
    .executeTakeFirst();
}
