/**
 * The resident's sign-ins and sessions, for the wallet's security page (issue 17): the history of
 * sign-ins, the sessions still live with the services each has signed in to, and signing out one
 * session or every one.
 *
 * Where it comes from. Every sign-in starts a row of `sessions` (server/sessions.ts) — passkey,
 * card, device key, or the card's signing certificate at enrolment and re-proofing — and rows are
 * never deleted (revoked or expired ones stay), so the table is the history: when (`created_at`),
 * how (the authenticator's type; none = the signing certificate), from which browser (`user_agent`,
 * migration 0019, in words by device.ts). The audit log records passkey and card logins too, but
 * not the enrolment's, and not the browser.
 *
 * The provider's sessions (oidc-provider's `Session` model in `oidc_models`) are the sign-ins at
 * services: each names the account, its login time (`loginTs`, the Watashi session's `auth_time`
 * in seconds: oidc/routes.ts finishes the login with it) and per service the `sid` it was told.
 * A provider session belongs to the Watashi session with the same account and sign-in second; one
 * whose Watashi session has ended is refused by the provider's login check anyway
 * (oidc/provider.ts `watashiSessionCheck`).
 *
 * Signing out ({@link signOut}) in one transaction: the Watashi session(s) are revoked, their
 * provider sessions deleted (the next authorization at a service asks to sign in again), each
 * service with a back-channel logout URI gets a logout token through the outbox (retried until
 * delivered; lifecycle/events), and the audit log records it (`session.signed_out`, ids and counts).
 *
 * - One session: a logout token per service of that session's provider sessions, with `sub` and
 *   `sid` (OpenID Back-Channel Logout 1.0 §2.4), so the service ends that session only.
 * - Everywhere: every session of the account; a logout token to every service the resident has a
 *   grant with — with the `sid` of each provider session known for it, or, where none is left
 *   (expired), with `sub` alone ("every session of this End-User", §2.4).
 *
 * Refresh tokens: kept unless the resident asks (`refreshTokens: 'revoke'`, everywhere only). A
 * refresh token is not a browser's: it is held by the service's server, issued only with
 * `offline_access` which the consent screen spelled out ("may fetch them again while you are
 * away"), and a stolen browser session cannot obtain one — so signing browsers out does not need
 * to break a service's offline work. The resident who wants that too ticks the box (or withdraws
 * the consent, oidc/consents.ts, which ends the grant altogether). Revoking deletes the refresh
 * and access tokens of every grant of the account; the grants and consents stay, so the next
 * sign-in at the service needs no new consent.
 */
import { sql, type Transaction } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { PlatformDeps } from '../server/context.ts';
import { appendAudit } from '../store/audit.ts';
import { withTransaction } from '../store/database.ts';
import { jsonb } from '../store/json.ts';
import type { AuthenticatorType, Schema } from '../store/schema.ts';
import { BACKCHANNEL_LOGOUT_EVENT, grantedRps } from '../lifecycle/events/outbox.ts';
import { pairwiseSubject } from '../oidc/pairwise.ts';
import { describeDevice, type DeviceView } from './device.ts';

/** How a sign-in was made, as the wallet names it. */
export type SignInMethod = 'passkey' | 'card' | 'device' | 'card_signature';

/** One sign-in of the history. */
export interface SignInView {
  readonly id: string;
  /** When the session started. */
  readonly at: string;
  readonly method: SignInMethod;
  /** The authenticator's label (a passkey's name), if any. */
  readonly authenticatorLabel: string | null;
  readonly device: DeviceView;
  /** Never known: no IP address or place is kept (migration 0019). */
  readonly place: null;
  /** The session of this request. */
  readonly current: boolean;
  /** Still live: not signed out, not expired. */
  readonly active: boolean;
  /** When it ended: signed out (`signedOutAt`) or expired (`expiresAt` in the past). */
  readonly endedAt: string | null;
  readonly ended: 'signed_out' | 'expired' | null;
}

/** A service a session is signed in to. */
export interface SessionServiceView {
  readonly clientId: string;
  readonly name: string;
}

/** A live session. */
export interface ActiveSessionView {
  readonly id: string;
  readonly signedInAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  readonly method: SignInMethod;
  readonly authenticatorLabel: string | null;
  readonly device: DeviceView;
  readonly place: null;
  readonly current: boolean;
  /** The services this session has signed in to (through the provider). */
  readonly services: readonly SessionServiceView[];
}

const METHOD_OF: Readonly<Record<AuthenticatorType, SignInMethod>> = {
  passkey: 'passkey',
  card_auth: 'card',
  device_cert: 'device',
};

/** A session without an authenticator was started by the card's signing certificate. */
const methodOf = (type: AuthenticatorType | null): SignInMethod =>
  type === null ? 'card_signature' : METHOD_OF[type];

function sessionsOf(deps: Pick<PlatformDeps, 'db'>, accountId: string) {
  return deps.db
    .selectFrom('sessions as s')
    .leftJoin('authenticators as a', 'a.id', 's.authenticator_id')
    .select([
      's.id',
      's.created_at',
      's.auth_time',
      's.last_seen_at',
      's.expires_at',
      's.revoked_at',
      's.user_agent',
      'a.type',
      'a.label',
    ])
    .where('s.account_id', '=', accountId);
}

/** The account's sign-ins, newest first (a page of `limit` before the sign-in `before`). */
export async function listSignIns(
  deps: Pick<PlatformDeps, 'db' | 'now'>,
  accountId: string,
  page: { limit: number; before?: string; currentSessionId?: string },
): Promise<{ signIns: SignInView[]; next: string | null }> {
  let q = sessionsOf(deps, accountId);
  if (page.before !== undefined) {
    const before = await deps.db
      .selectFrom('sessions')
      .select(['created_at', 'id'])
      .where('id', '=', page.before)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    if (before === undefined) return { signIns: [], next: null };
    q = q.where((eb) =>
      eb.or([
        eb('s.created_at', '<', before.created_at),
        eb.and([eb('s.created_at', '=', before.created_at), eb('s.id', '<', before.id)]),
      ]),
    );
  }
  const rows = await q
    .orderBy('s.created_at', 'desc')
    .orderBy('s.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const now = deps.now().getTime();
  const shown = rows.slice(0, page.limit);
  return {
    signIns: shown.map((r) => {
      const expired = r.expires_at.getTime() <= now;
      const ended = r.revoked_at !== null ? 'signed_out' : expired ? 'expired' : null;
      return {
        id: r.id,
        at: r.created_at.toISOString(),
        method: methodOf(r.type),
        authenticatorLabel: r.label,
        device: describeDevice(r.user_agent),
        place: null,
        current: r.id === page.currentSessionId,
        active: ended === null,
        endedAt: (r.revoked_at ?? (expired ? r.expires_at : null))?.toISOString() ?? null,
        ended,
      };
    }),
    next: rows.length > page.limit ? (shown.at(-1)?.id ?? null) : null,
  };
}

/** A provider session of the account, as read from `oidc_models`. */
interface ProviderSession {
  readonly id: string;
  readonly loginTs: number | null;
  /** client_id → sid. */
  readonly sids: ReadonlyMap<string, string>;
}

/** The account's unexpired provider sessions. */
async function providerSessions(
  db: Transaction<Schema> | PlatformDeps['db'],
  accountId: string,
  now: Date,
): Promise<ProviderSession[]> {
  // On oidc_models_account_idx (migration 0008).
  const rows = await db
    .selectFrom('oidc_models')
    .select(['id', 'payload'])
    .where('model', '=', 'Session')
    .where(sql<string>`payload->>'accountId'`, '=', accountId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .execute();
  return rows.map((r) => {
    const p = r.payload as { loginTs?: unknown; authorizations?: unknown };
    const sids = new Map<string, string>();
    if (typeof p.authorizations === 'object' && p.authorizations !== null)
      for (const [clientId, a] of Object.entries(p.authorizations as Record<string, unknown>)) {
        const sid = (a as { sid?: unknown } | null)?.sid;
        if (typeof sid === 'string') sids.set(clientId, sid);
      }
    return { id: r.id, loginTs: typeof p.loginTs === 'number' ? p.loginTs : null, sids };
  });
}

const secondOf = (d: Date): number => Math.floor(d.getTime() / 1000);

/** The account's live sessions, newest first, each with the services it signed in to. */
export async function listActiveSessions(
  deps: Pick<PlatformDeps, 'db' | 'now'>,
  accountId: string,
  currentSessionId?: string,
): Promise<ActiveSessionView[]> {
  const now = deps.now();
  const rows = await sessionsOf(deps, accountId)
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', now)
    .orderBy('s.created_at', 'desc')
    .orderBy('s.id', 'desc')
    .execute();
  const provider = await providerSessions(deps.db, accountId, now);
  const clientIds = [...new Set(provider.flatMap((p) => [...p.sids.keys()]))];
  const names = new Map(
    clientIds.length === 0
      ? []
      : (
          await deps.db
            .selectFrom('relying_parties')
            .select(['client_id', 'name'])
            .where('client_id', 'in', clientIds)
            .execute()
        ).map((r) => [r.client_id, r.name] as const),
  );
  return rows.map((r) => {
    const services = new Set<string>();
    for (const p of provider)
      if (p.loginTs === secondOf(r.auth_time)) for (const c of p.sids.keys()) services.add(c);
    return {
      id: r.id,
      signedInAt: r.created_at.toISOString(),
      lastSeenAt: r.last_seen_at.toISOString(),
      expiresAt: r.expires_at.toISOString(),
      method: methodOf(r.type),
      authenticatorLabel: r.label,
      device: describeDevice(r.user_agent),
      place: null,
      current: r.id === currentSessionId,
      services: [...services].sort().map((clientId) => ({ clientId, name: names.get(clientId) ?? clientId })),
    };
  });
}

/** What {@link signOut} ends. */
export type SignOutScope =
  { readonly session: string } | { readonly everywhere: true; readonly refreshTokens?: 'keep' | 'revoke' };

/** What {@link signOut} did. */
export interface SignOutResult {
  /** Watashi sessions ended. */
  readonly sessionsEnded: number;
  /** Provider sessions deleted. */
  readonly providerSessionsEnded: number;
  /** Back-channel logout tokens queued (one per service and sid, or per service without one). */
  readonly logoutTokensQueued: number;
  /** Refresh tokens deleted (everywhere with `refreshTokens: 'revoke'` only). */
  readonly refreshTokensRevoked: number;
}

/**
 * Ends one live session of the account or every one (see the module comment); `null` when the one
 * named is not a live session of this account (`session_not_found`).
 */
export async function signOut(
  deps: Pick<PlatformDeps, 'db' | 'now' | 'keys'>,
  accountId: string,
  scope: SignOutScope,
): Promise<SignOutResult | null> {
  const now = deps.now();
  return withTransaction(deps.db, async (trx) => {
    let ended = trx
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now);
    if ('session' in scope) ended = ended.where('id', '=', scope.session);
    const revoked = await ended.returning(['id', 'auth_time']).execute();
    if ('session' in scope && revoked.length === 0) return null;

    // The provider sessions of what was ended (everywhere: all of them, whatever their login time).
    const seconds = new Set(revoked.map((r) => secondOf(r.auth_time)));
    const provider = (await providerSessions(trx, accountId, now)).filter(
      (p) => 'everywhere' in scope || (p.loginTs !== null && seconds.has(p.loginTs)),
    );
    if (provider.length > 0)
      await trx
        .deleteFrom('oidc_models')
        .where('model', '=', 'Session')
        .where(
          'id',
          'in',
          provider.map((p) => p.id),
        )
        .execute();

    // Back-channel logout tokens, through the outbox (delivered and retried by lifecycle/events).
    const sidsOf = new Map<string, Set<string>>();
    for (const p of provider)
      for (const [clientId, sid] of p.sids) {
        let set = sidsOf.get(clientId);
        if (set === undefined) sidsOf.set(clientId, (set = new Set()));
        set.add(sid);
      }
    const rps = (await grantedRps(trx, [accountId])).get(accountId) ?? [];
    const rows = [];
    for (const rp of rps) {
      if (rp.backchannelLogoutUri === null) continue;
      const sids = [...(sidsOf.get(rp.clientId) ?? [])];
      // One session: only the services it signed in to. Everywhere: every service, by sid where known.
      if (sids.length === 0 && !('everywhere' in scope)) continue;
      const subject = await pairwiseSubject(deps.keys, rp.sector, accountId);
      for (const sid of sids.length === 0 ? [undefined] : sids)
        rows.push({
          event_id: randomUUID(),
          client_id: rp.clientId,
          channel: 'logout' as const,
          target: rp.backchannelLogoutUri,
          event_type: BACKCHANNEL_LOGOUT_EVENT,
          subject,
          payload: jsonb(sid === undefined ? {} : { sid }),
          occurred_at: now,
          next_attempt_at: now,
          created_at: now,
          updated_at: now,
        });
    }
    if (rows.length > 0) await trx.insertInto('event_deliveries').values(rows).execute();

    let refreshTokensRevoked = 0;
    if ('everywhere' in scope && scope.refreshTokens === 'revoke') {
      const grants = trx
        .selectFrom('oidc_models')
        .select('id')
        .where('model', '=', 'Grant')
        .where(sql<string>`payload->>'accountId'`, '=', accountId);
      const deleted = await trx
        .deleteFrom('oidc_models')
        .where('model', 'in', ['RefreshToken', 'AccessToken'])
        .where('grant_id', 'in', grants)
        .returning(['model', 'consumed_at'])
        .execute();
      // Counted: the ones still usable (a rotated refresh token stays, consumed, until it expires).
      refreshTokensRevoked = deleted.filter(
        (d) => d.model === 'RefreshToken' && d.consumed_at === null,
      ).length;
    }

    const result: SignOutResult = {
      sessionsEnded: revoked.length,
      providerSessionsEnded: provider.length,
      logoutTokensQueued: rows.length,
      refreshTokensRevoked,
    };
    await appendAudit(trx, {
      actor: `account:${accountId}`,
      type: 'session.signed_out',
      accountId,
      at: now,
      payload: {
        scope: 'session' in scope ? 'session' : 'everywhere',
        sessionIds: revoked.map((r) => r.id),
        providerSessionsEnded: result.providerSessionsEnded,
        logoutTokensQueued: result.logoutTokensQueued,
        refreshTokensRevoked,
      },
    });
    return result;
  });
}
