/**
 * Sealing an account's basic 4 information into `basic4` (migration 0001), and opening it again:
 * AES-256-GCM through the key store, the account id as associated data, so a ciphertext moved to
 * another account's row fails to open. Shared by enrolment (the certificate's SAN) and the lifecycle sweep (the
 * latest basic 4 information J-LIS provides with the resident's consent); opened by the OP's
 * claims, the account page and re-anchoring.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Basic4 } from '@watashi/jpki';
import type { KeyStore } from '../keys/key-store.ts';
import type { Schema } from '../store/schema.ts';

/** The sealed plaintext of the basic4 table: the basic 4 information (never logged). */
function basic4Plaintext(b4: Basic4): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      v: 1,
      name: b4.name,
      nameSubstitute: b4.nameSubstitute,
      dateOfBirth: b4.dateOfBirth,
      sex: b4.sex,
      address: b4.address,
      addressSubstitute: b4.addressSubstitute,
    }),
  );
}

/** Seals `b4` for `accountId` and writes (or replaces) its `basic4` row. */
export async function sealBasic4(
  keys: Pick<KeyStore, 'seal'>,
  trx: Transaction<Schema> | Kysely<Schema>,
  accountId: string,
  b4: Basic4,
  now: Date,
): Promise<void> {
  const box = await keys.seal(basic4Plaintext(b4), new TextEncoder().encode(accountId));
  await trx
    .insertInto('basic4')
    .values({
      account_id: accountId,
      alg: box.alg,
      key_id: box.keyId,
      nonce: box.nonce,
      ciphertext: box.ciphertext,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.column('account_id').doUpdateSet({
        alg: box.alg,
        key_id: box.keyId,
        nonce: box.nonce,
        ciphertext: box.ciphertext,
        updated_at: now,
      }),
    )
    .execute();
}

/** Opens an account's sealed basic 4 information; undefined when the account has none. */
export async function openBasic4(
  deps: { readonly keys: Pick<KeyStore, 'open'> },
  db: Transaction<Schema> | Kysely<Schema>,
  accountId: string,
): Promise<Basic4 | undefined> {
  const row = await db
    .selectFrom('basic4')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const plain = await deps.keys.open(
    { alg: row.alg, keyId: row.key_id, nonce: row.nonce, ciphertext: row.ciphertext },
    new TextEncoder().encode(accountId),
  );
  return JSON.parse(new TextDecoder().decode(plain)) as Basic4;
}
