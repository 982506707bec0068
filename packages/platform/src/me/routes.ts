/**
 * The wallet API of the security and data pages (issue 17; session required, RFC 9457 problems,
 * `cache-control: no-store`):
 *
 * - `GET /api/me/sign-ins[?before=<id>&limit=<n>]` → `{ signIns: SignInView[], next }`: the
 *   history, newest first; `next` is the `before` of the next page, null on the last.
 * - `GET /api/me/sessions` → `{ sessions: ActiveSessionView[] }`: the live sessions, each with the
 *   services it signed in to; `current` marks this request's.
 * - `DELETE /api/me/sessions/:id` → 204: signs that session out (and its services, by back-channel
 *   logout); `session_not_found` (404) when it is not a live session of this account. Signing out
 *   the current one clears the cookie too.
 * - `POST /api/me/sessions/sign-out-everywhere` `{ "refreshTokens"?: "keep" | "revoke" }` → 200
 *   `SignOutResult`: every session of the account, this one included (the cookie is cleared);
 *   refresh tokens are kept unless `"revoke"` (me/sessions.ts says why).
 * - `GET /api/me/export` → 200 `application/json`, `Content-Disposition: attachment;
 *   filename="watashi-my-data-<date>.json"`: everything held about the resident (me/export.ts).
 *   Audited as `account.data_exported` (no content).
 *
 * Bad input answers `request_invalid` (400).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { PlatformDeps, SessionContext } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { endSession } from '../server/sessions.ts';
import { appendAudit } from '../store/audit.ts';
import { withTransaction } from '../store/database.ts';
import { EXPORT_FORMAT, exportAccountData } from './export.ts';
import { listActiveSessions, listSignIns, signOut } from './sessions.ts';

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
const historyQuery = z.strictObject({
  before: uuid.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const idParams = z.strictObject({ id: uuid });
const everywhereBody = z.strictObject({ refreshTokens: z.enum(['keep', 'revoke']).optional() });

function sessionOf(req: FastifyRequest): SessionContext {
  if (req.session === null) throw problem('session_required', 401, 'sign in first');
  return req.session;
}

/** Registers the sign-in history, sessions and export routes. */
export function registerMeRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  const session = { auth: 'session' as const };

  app.get('/api/me/sign-ins', { config: session }, async (req, reply) => {
    const s = sessionOf(req);
    const q = historyQuery.safeParse(req.query ?? {});
    if (!q.success) throw problem('request_invalid', 400, 'before is a sign-in id, limit 1–200');
    void reply.header('cache-control', 'no-store');
    return listSignIns(deps, s.accountId, {
      limit: q.data.limit,
      currentSessionId: s.id,
      ...(q.data.before === undefined ? {} : { before: q.data.before }),
    });
  });

  app.get('/api/me/sessions', { config: session }, async (req, reply) => {
    const s = sessionOf(req);
    void reply.header('cache-control', 'no-store');
    return { sessions: await listActiveSessions(deps, s.accountId, s.id) };
  });

  app.delete('/api/me/sessions/:id', { config: session }, async (req, reply) => {
    const s = sessionOf(req);
    const p = idParams.safeParse(req.params);
    if (!p.success) throw problem('session_not_found', 404, 'no such session');
    const r = await signOut(deps, s.accountId, { session: p.data.id });
    if (r === null) throw problem('session_not_found', 404, 'no such live session');
    if (p.data.id === s.id) await endSession(deps, req, reply);
    return reply.code(204).send();
  });

  app.post('/api/me/sessions/sign-out-everywhere', { config: session }, async (req, reply) => {
    const s = sessionOf(req);
    const b = everywhereBody.safeParse(req.body ?? {});
    if (!b.success) throw problem('request_invalid', 400, 'refreshTokens is "keep" or "revoke"');
    const r = await signOut(deps, s.accountId, {
      everywhere: true,
      refreshTokens: b.data.refreshTokens ?? 'keep',
    });
    // This browser too: the cookie goes (its session row was revoked above).
    await endSession(deps, req, reply);
    void reply.header('cache-control', 'no-store');
    return r;
  });

  app.get('/api/me/export', { config: session }, async (req, reply) => {
    const s = sessionOf(req);
    const data = await exportAccountData(deps, s.accountId);
    if (data === undefined) throw problem('session_required', 401, 'the account of this session is gone');
    await withTransaction(deps.db, (trx) =>
      appendAudit(trx, {
        actor: `account:${s.accountId}`,
        type: 'account.data_exported',
        accountId: s.accountId,
        at: deps.now(),
        payload: { format: EXPORT_FORMAT },
      }),
    );
    const day = deps.now().toISOString().slice(0, 10);
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="watashi-my-data-${day}.json"`)
      .type('application/json; charset=utf-8')
      .send(`${JSON.stringify(data, null, 2)}\n`);
  });
}
