/**
 * A resident's authenticators: list, rename, revoke (docs/architecture.md §3.2, §3.5).
 *
 * Revoking the last one: an account whose last usable authenticator is revoked can still sign in
 * with the My Number card (card login with the user-authentication certificate, or re-proofing
 * with the signing certificate), so it is not locked out for good — but it would be surprising to
 * do by accident. Revoking the last live authenticator other than a card binding therefore needs
 * `force: true` (otherwise `authn_last_authenticator`, 409); the wallet asks the resident first.
 * Revoking the authenticator the current session was opened with ends that session too
 * (the caller clears the cookie); other sessions opened with it are ended as well.
 */
import type { PlatformDeps } from '../server/context.ts';
import { appendAudit } from '../store/audit.ts';
import { withTransaction } from '../store/database.ts';
import { authnError } from './errors.ts';
import { authenticatorView, type AuthenticatorView } from './passkeys.ts';

/** The account's authenticators (live first, newest first); revoked ones with `includeRevoked`. */
export async function listAuthenticators(
  deps: PlatformDeps,
  accountId: string,
  options: { includeRevoked?: boolean } = {},
): Promise<AuthenticatorView[]> {
  let q = deps.db.selectFrom('authenticators').selectAll().where('account_id', '=', accountId);
  if (options.includeRevoked !== true) q = q.where('revoked_at', 'is', null);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id').execute();
  return rows.map(authenticatorView);
}

/** Renames one of the account's authenticators. */
export async function renameAuthenticator(
  deps: PlatformDeps,
  input: { accountId: string; id: string; label: string },
): Promise<AuthenticatorView> {
  const row = await deps.db
    .updateTable('authenticators')
    .set({ label: input.label })
    .where('id', '=', input.id)
    .where('account_id', '=', input.accountId)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw authnError('authn_not_found', 'no such authenticator');
  return authenticatorView(row);
}

/** Revokes one of the account's authenticators and ends the sessions opened with it. */
export async function revokeAuthenticator(
  deps: PlatformDeps,
  input: { accountId: string; id: string; reason?: string; force?: boolean },
): Promise<{ revoked: AuthenticatorView; sessionsEnded: number }> {
  const now = deps.now();
  return withTransaction(deps.db, async (trx) => {
    // Lock the account's live authenticators so two concurrent revocations cannot both pass the
    // "not the last one" check.
    const live = await trx
      .selectFrom('authenticators')
      .select(['id', 'type'])
      .where('account_id', '=', input.accountId)
      .where('revoked_at', 'is', null)
      .orderBy('id')
      .forUpdate()
      .execute();
    const target = live.find((a) => a.id === input.id);
    if (target === undefined) throw authnError('authn_not_found', 'no such live authenticator');
    const others = live.filter((a) => a.id !== input.id && a.type !== 'card_auth');
    if (target.type !== 'card_auth' && others.length === 0 && input.force !== true)
      throw authnError('authn_last_authenticator', 'this is the last authenticator; confirm with force');
    const row = await trx
      .updateTable('authenticators')
      .set({ revoked_at: now, revocation_reason: input.reason ?? 'holder_request' })
      .where('id', '=', input.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const ended = await trx
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('authenticator_id', '=', input.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    await appendAudit(trx, {
      actor: `account:${input.accountId}`,
      type: 'authenticator.revoked',
      accountId: input.accountId,
      at: now,
      payload: {
        authenticatorId: input.id,
        type: row.type,
        reason: row.revocation_reason ?? 'holder_request',
      },
    });
    return { revoked: authenticatorView(row), sessionsEnded: Number(ended.numUpdatedRows) };
  });
}
