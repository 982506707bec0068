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

/** Registers `DELETE /api/me` and the operator's account routes. */
export function registerAccountStatusRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  app.delete('/api/me', { config: { auth: 'session' } }, async (req, reply) => {
    const s = req.session;
    if (s === null) throw problem('session_required', 401, 'sign in first');
    if (!closeBody.safeParse(req.body).success)
      throw problem(
        'confirmation_required',
        400,
        'closing the account cannot be undone: send {"confirm": "close"}',
      );
    const age = (deps.now().getTime() - s.authTime.getTime()) / 1000;
    if (age > CLOSE_MAX_AUTH_AGE_SECONDS)
      throw problem('reauthentication_required', 403, 'sign in again to close the account', {
        maxAuthAgeSeconds: CLOSE_MAX_AUTH_AGE_SECONDS,
      });
    await changeAccountStatus(deps, { action: 'close', by: 'resident', accountId: s.accountId });
    // The transaction revoked every session of the account; this clears the cookie.
    await endSession(deps, req, reply);
    return reply.code(204).send();
  });

  app.post('/api/admin/accounts/:id/:action', { config: { auth: 'admin' } }, async (req, reply) => {
    const p = adminParams.safeParse(req.params);
    if (!p.success) throw problem('not_found', 404, 'the action is suspend, resume or close');
    const b = adminBody.safeParse(req.body ?? {});
    if (!b.success) throw problem('account_reason_invalid', 400, 'send {"reason": "…"}');
    if (b.data.erase !== undefined && p.data.action !== 'close')
      throw problem('request_invalid', 400, 'erase goes with close only');
    const change = await changeAccountStatus(deps, {
      action: p.data.action,
      by: 'operator',
      operator: 'api',
      accountId: p.data.id,
      reason: b.data.reason,
      ...(b.data.erase === undefined ? {} : { erase: b.data.erase }),
    });
    void reply.header('cache-control', 'no-store');
    return change;
  });
}
