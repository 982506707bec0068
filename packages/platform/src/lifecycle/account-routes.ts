/**
 * HTTP routes of people's account status changes (account-status.ts), RFC 9457 problems on error.
 *
 * Resident (wallet API, session required):
 * - `DELETE /api/me` with the JSON body `{ "confirm": "close" }` → 204: the resident's own private
 *   ID is closed and their data erased (account-status.ts says what is erased and what is kept);
 *   the session cookie is cleared. Closing cannot be undone, so it asks for proof of intent twice:
 *   - the body (`confirmation_required`, 400, when absent or different) — a stray or replayed
 *     `DELETE` closes nothing;
 *   - a recent authentication (`reauthentication_required`, 403, with `maxAuthAgeSeconds`): the
 *     session must have signed in (passkey, device key, card, or enrolment with the card) within
 *     {@link CLOSE_MAX_AUTH_AGE_SECONDS}, like OIDC Core's `max_age`, so a browser left signed in
 *     does not let someone else close the ID. Sign in again and retry.
 *   `account_close_refused` (409) when an operator suspended the account.
 *
 * Operator (operator token):
 * - `POST /api/admin/accounts/:id/suspend` `{ "reason": "…" }`
 * - `POST /api/admin/accounts/:id/resume` `{ "reason": "…" }`
 * - `POST /api/admin/accounts/:id/close` `{ "reason": "…", "erase"?: true }`
 *   → 200 `AccountStatusChange`; `account_id_invalid` / `account_reason_invalid` 400,
 *   `account_not_found` 404, `account_already_closed`, `account_already_suspended`,
 *   `account_resume_refused`, `account_hold_resume_refused` 409. Audited with actor `operator:api`.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PlatformDeps } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { invalidAs, noContent, withSchemas } from '../server/schemas.ts';
import { endSession } from '../server/sessions.ts';
import { changeAccountStatus } from './account-status.ts';

/** How recent the session's authentication must be to close the account (seconds). */
export const CLOSE_MAX_AUTH_AGE_SECONDS = 300;

const closeBody = z.object({ confirm: z.literal('close') });
const adminBody = z.strictObject({
  reason: z.string(),
  erase: z.boolean().optional(),
});
const adminParams = z.strictObject({
  id: z.string(),
  action: z.enum(['suspend', 'resume', 'close']),
});

const statusChange = z.object({
  accountId: z.string(),
  action: z.enum(['close', 'suspend', 'resume']),
  from: z.string(),
  to: z.string(),
  reason: z.string().nullable(),
  at: z.string(),
  sessionsRevoked: z.number().int(),
  grantsRevoked: z.number().int(),
  deliveries: z.number().int(),
  erased: z.record(z.string(), z.number()).nullable(),
});

/** Registers `DELETE /api/me` and the operator's account routes. */
export function registerAccountStatusRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  const routes = withSchemas(app);
  routes.delete(
    '/api/me',
    {
      config: { auth: 'session' },
      schema: {
        summary: 'Close the resident’s own private ID (cannot be undone)',
        body: closeBody,
        response: { 204: noContent },
      },
      schemaErrorFormatter: invalidAs(() =>
        problem(
          'confirmation_required',
          400,
          'closing the account cannot be undone: send {"confirm": "close"}',
        ),
      ),
    },
    async (req, reply) => {
      const s = req.session;
      if (s === null) throw problem('session_required', 401, 'sign in first');
      const age = (deps.now().getTime() - s.authTime.getTime()) / 1000;
      if (age > CLOSE_MAX_AUTH_AGE_SECONDS)
        throw problem('reauthentication_required', 403, 'sign in again to close the account', {
          maxAuthAgeSeconds: CLOSE_MAX_AUTH_AGE_SECONDS,
        });
      await changeAccountStatus(deps, { action: 'close', by: 'resident', accountId: s.accountId });
      // The transaction revoked every session of the account; this clears the cookie.
      await endSession(deps, req, reply);
      return reply.code(204).send();
    },
  );

  routes.post(
    '/api/admin/accounts/:id/:action',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Suspend, resume or close an account (operator)',
        params: adminParams,
        body: adminBody,
        response: { 200: statusChange },
      },
      // An unknown action is no route; a body without a reason is the reason's code.
      schemaErrorFormatter: invalidAs((_detail, part) =>
        part === 'params'
          ? problem('not_found', 404, 'the action is suspend, resume or close')
          : problem('account_reason_invalid', 400, 'send {"reason": "…"}'),
      ),
    },
    async (req, reply) => {
      const p = req.params;
      const b = req.body;
      if (b.erase !== undefined && p.action !== 'close')
        throw problem('request_invalid', 400, 'erase goes with close only');
      const change = await changeAccountStatus(deps, {
        action: p.action,
        by: 'operator',
        operator: 'api',
        accountId: p.id,
        reason: b.reason,
        ...(b.erase === undefined ? {} : { erase: b.erase }),
      });
      void reply.header('cache-control', 'no-store');
      return change;
    },
  );
}
