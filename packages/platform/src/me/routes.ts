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
 * Each route declares its zod schemas (server/schemas.ts). Bad input answers `request_invalid`
 * (400); a malformed session id, `session_not_found` (404).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { PlatformDeps, SessionContext } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { invalidAs, noContent, optionalBody, withSchemas } from '../server/schemas.ts';
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
const everywhereBody = optionalBody(z.strictObject({ refreshTokens: z.enum(['keep', 'revoke']).optional() }));

const deviceView = z.object({
  browser: z.string().nullable(),
  system: z.string().nullable(),
  kind: z.string().nullable(),
});
const method = z.enum(['passkey', 'card', 'device', 'card_signature']);
const signInView = z.object({
  id: z.string(),
  at: z.string(),
  method,
  authenticatorLabel: z.string().nullable(),
  device: deviceView,
  place: z.null(),
  current: z.boolean(),
  active: z.boolean(),
  endedAt: z.string().nullable(),
  ended: z.enum(['signed_out', 'expired']).nullable(),
});
const activeSessionView = z.object({
  id: z.string(),
  signedInAt: z.string(),
  lastSeenAt: z.string(),
  expiresAt: z.string(),
  method,
  authenticatorLabel: z.string().nullable(),
  device: deviceView,
  place: z.null(),
  current: z.boolean(),
  services: z.array(z.object({ clientId: z.string(), name: z.string() })).readonly(),
});
const signOutResult = z.object({
  sessionsEnded: z.number().int(),
  providerSessionsEnded: z.number().int(),
  logoutTokensQueued: z.number().int(),
  refreshTokensRevoked: z.number().int(),
});

function sessionOf(req: FastifyRequest): SessionContext {
  if (req.session === null) throw problem('session_required', 401, 'sign in first');
  return req.session;
}

/** Registers the sign-in history, sessions and export routes. */
export function registerMeRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  const session = { auth: 'session' as const };
  const routes = withSchemas(app);

  routes.get(
    '/api/me/sign-ins',
    {
      config: session,
      schema: {
        summary: 'The sign-in history, newest first',
        querystring: historyQuery,
        response: { 200: z.object({ signIns: z.array(signInView), next: z.string().nullable() }) },
      },
      schemaErrorFormatter: invalidAs(() =>
        problem('request_invalid', 400, 'before is a sign-in id, limit 1–200'),
      ),
    },
    async (req, reply) => {
      const s = sessionOf(req);
      const q = req.query;
      void reply.header('cache-control', 'no-store');
      return listSignIns(deps, s.accountId, {
        limit: q.limit,
        currentSessionId: s.id,
        ...(q.before === undefined ? {} : { before: q.before }),
      });
    },
  );

  routes.get(
    '/api/me/sessions',
    {
      config: session,
      schema: {
        summary: 'The live sessions and the services each signed in to',
        response: { 200: z.object({ sessions: z.array(activeSessionView) }) },
      },
    },
    async (req, reply) => {
      const s = sessionOf(req);
      void reply.header('cache-control', 'no-store');
      return { sessions: await listActiveSessions(deps, s.accountId, s.id) };
    },
  );

  routes.delete(
    '/api/me/sessions/:id',
    {
      config: session,
      schema: { summary: 'Sign one session out', params: idParams, response: { 204: noContent } },
      // Not a session id: no such session, as before the schema.
      schemaErrorFormatter: invalidAs(() => problem('session_not_found', 404, 'no such session')),
    },
    async (req, reply) => {
      const s = sessionOf(req);
      const { id } = req.params;
      const r = await signOut(deps, s.accountId, { session: id });
      if (r === null) throw problem('session_not_found', 404, 'no such live session');
      if (id === s.id) await endSession(deps, req, reply);
      return reply.code(204).send();
    },
  );

  routes.post(
    '/api/me/sessions/sign-out-everywhere',
    {
      config: session,
      schema: {
        summary: 'Sign every session of the account out, this one included',
        body: everywhereBody,
        response: { 200: signOutResult },
      },
      schemaErrorFormatter: invalidAs(() =>
        problem('request_invalid', 400, 'refreshTokens is "keep" or "revoke"'),
      ),
    },
    async (req, reply) => {
      const s = sessionOf(req);
      const r = await signOut(deps, s.accountId, {
        everywhere: true,
        refreshTokens: req.body.refreshTokens ?? 'keep',
      });
      if (r === null) throw problem('session_not_found', 404, 'no such live session');
      // This browser too: the cookie goes (its session row was revoked above).
      await endSession(deps, req, reply);
      void reply.header('cache-control', 'no-store');
      return r;
    },
  );

  routes.get(
    '/api/me/export',
    {
      config: session,
      schema: {
        summary: 'Download everything held about the resident (a JSON file)',
        // Sent as the file's text (pretty-printed), so this schema documents it only.
        response: {
          200: z
            .looseObject({ format: z.literal(EXPORT_FORMAT) })
            .describe('me/export.ts: the account export'),
        },
      },
    },
    async (req, reply) => {
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
      // The file's text, pretty-printed: past the typed reply, whose serializer it does not need.
      return (reply as FastifyReply)
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="watashi-my-data-${day}.json"`)
        .type('application/json; charset=utf-8')
        .send(`${JSON.stringify(data, null, 2)}\n`);
    },
  );
}
