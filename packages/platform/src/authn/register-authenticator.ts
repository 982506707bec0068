/**
 * The one home for adding an authenticator to an account: the `authenticators` row and its
 * `authenticator.registered` audit event, in the caller's transaction, so a passkey (passkeys.ts)
 * and the card's user-authentication key (card.ts) are recorded alike and no path can add one
 * without its audit entry (store/audit.ts: the hash-chained log).
 */
import type { Insertable, Selectable, Transaction } from 'kysely';
import { appendAudit } from '../store/audit.ts';
import type { JsonObject } from '../store/json.ts';
import type { AuthenticatorsTable, Schema } from '../store/schema.ts';

/** A new authenticator: its row (`created_at` and `activated_at` are `at`) and when it was added. */
export interface NewAuthenticator {
  readonly values: Omit<Insertable<AuthenticatorsTable>, 'created_at' | 'activated_at'>;
  readonly at: Date;
  /** The audit payload beyond `authenticatorId` and `type`, from the stored row. */
  readonly audit: (row: Selectable<AuthenticatorsTable>) => JsonObject;
}

/**
 * Inserts the authenticator, active from `at`, and appends `authenticator.registered` by its
 * account; returns the stored row. Call inside the transaction that made the checks.
 */
export async function insertAuthenticator(
  trx: Transaction<Schema>,
  a: NewAuthenticator,
): Promise<Selectable<AuthenticatorsTable>> {
  const row = await trx
    .insertInto('authenticators')
    .values({ ...a.values, activated_at: a.at, created_at: a.at })
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendAudit(trx, {
    actor: `account:${row.account_id}`,
    type: 'authenticator.registered',
    accountId: row.account_id,
    at: a.at,
    payload: { authenticatorId: row.id, type: row.type, ...a.audit(row) },
  });
  return row;
}
