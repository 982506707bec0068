/**
 * Resident sessions (issue 3). The cookie `watashi_session` carries 32 random bytes (base64url);
 * the `sessions` table stores only their SHA-256 (`token_hash`), so a database read does not yield
 * usable cookies. Cookie: HttpOnly, SameSite=Lax, Path=/, Secure when the public URL is https,
 * Max-Age = the remaining lifetime. Sessions expire `sessionTtlSeconds` after sign-in (absolute),
 * end on logout (`revoked_at`), and die with their account (closed accounts never authenticate).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PlatformDeps, SessionContext } from './context.ts';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'watashi_session';
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
/** How stale `last_seen_at` may get before a request refreshes it (avoids a write per request). */
const LAST_SEEN_GRANULARITY_MS = 60_000;

/** What a sign-in establishes. */
export interface StartSessionInput {
  readonly accountId: string;
  readonly authenticatorId?: string | null;
  readonly acr?: string | null;
  readonly amr?: ReadonlyArray<string>;
  /** When the resident authenticated (default: now). */
  readonly authTime?: Date;
  /** Started by a cross-device sign-in (default false; see SessionContext.crossDevice). */
  readonly crossDevice?: boolean;
}

/** Longest User-Agent kept with a session (migration 0019; the rest is cut off). */
export const USER_AGENT_MAX = 512;

/** A started session (the token itself only goes into the cookie). */
export interface StartedSession {
  readonly id: string;
  readonly expiresAt: Date;
}

const hashToken = (token: string): Uint8Array => new Uint8Array(createHash('sha256').update(token).digest());

function secureCookie(deps: PlatformDeps): boolean {
  return deps.config.publicUrl?.startsWith('https:') === true;
}

/**
 * Starts a session for `accountId`: stores the token hash, sets the cookie on `reply`, and sets
 * `reply.request.session`. Call it after the sign-in (or account creation) has been committed.
 */
export async function startSession(
  deps: PlatformDeps,
  reply: FastifyReply,
  input: StartSessionInput,
): Promise<StartedSession> {
  const token = randomBytes(32).toString('base64url');
  const now = deps.now();
  const authTime = input.authTime ?? now;
  const expiresAt = new Date(now.getTime() + deps.config.sessionTtlSeconds * 1000);
  const amr = [...(input.amr ?? [])];
  const row = await deps.db
    .insertInto('sessions')
    .values({
      token_hash: hashToken(token),
      account_id: input.accountId,
      authenticator_id: input.authenticatorId ?? null,
      auth_time: authTime,
      acr: input.acr ?? null,
      amr,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
      // Shown on the wallet's security page in words (me/device.ts); never used to decide anything.
      user_agent: userAgentOf(reply.request),
      cross_device: input.crossDevice ?? false,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  void reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: secureCookie(deps),
    maxAge: deps.config.sessionTtlSeconds,
  });
  reply.request.session = {
    id: row.id,
    accountId: input.accountId,
    authenticatorId: input.authenticatorId ?? null,
    authTime,
    acr: input.acr ?? null,
    amr,
    crossDevice: input.crossDevice ?? false,
  };
  return { id: row.id, expiresAt };
}

/** The request's User-Agent header, cut to {@link USER_AGENT_MAX} characters, or null. */
function userAgentOf(req: FastifyRequest): string | null {
  const ua = req.headers['user-agent'];
  if (typeof ua !== 'string' || ua.trim() === '') return null;
  return ua.slice(0, USER_AGENT_MAX);
}

/** Ends the request's session (if any): marks it revoked and clears the cookie. */
export async function endSession(
  deps: PlatformDeps,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<boolean> {
  const current = req.session;
  void reply.clearCookie(SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: secureCookie(deps),
  });
  req.session = null;
  if (current === null) return false;
  await deps.db
    .updateTable('sessions')
    .set({ revoked_at: deps.now() })
    .where('id', '=', current.id)
    .where('revoked_at', 'is', null)
    .execute();
  return true;
}

/** The live session a cookie token names, or null. */
export async function lookupSession(deps: PlatformDeps, token: string): Promise<SessionContext | null> {
  if (!TOKEN_RE.test(token)) return null;
  const now = deps.now();
  const row = await deps.db
    .selectFrom('sessions')
    .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
    .select([
      'sessions.id',
      'sessions.account_id',
      'sessions.authenticator_id',
      'sessions.auth_time',
      'sessions.acr',
      'sessions.amr',
      'sessions.cross_device',
      'sessions.last_seen_at',
    ])
    .where('sessions.token_hash', '=', hashToken(token))
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', now)
    .where('accounts.status', '!=', 'closed')
    .executeTakeFirst();
  if (row === undefined) return null;
  if (now.getTime() - row.last_seen_at.getTime() > LAST_SEEN_GRANULARITY_MS)
    await deps.db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', row.id).execute();
  return {
    id: row.id,
    accountId: row.account_id,
    authenticatorId: row.authenticator_id,
    authTime: row.auth_time,
    acr: row.acr,
    amr: row.amr,
    crossDevice: row.cross_device,
  };
}
