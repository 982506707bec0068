/**
 * HTTP routes of lifecycle events (issue 5), RFC 9457 problems on error:
 * - `GET /api/admin/events/deliveries[?status=pending|delivered|dead][&limit=N]` (operator token)
 *   → `{ deliveries: DeliveryView[] }`, newest first;
 * - `POST /api/admin/events/deliveries/:id/retry` (operator token) → 204; a dead delivery is due
 *   again (`event_delivery_not_found` 404, `event_delivery_retry_refused` 409);
 * - `GET /api/me/notices` (resident session) → `{ notices: NoticeView[] }`, newest first.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isWatashiError } from '@watashi/pki';
import type { PlatformDeps } from '../../server/context.ts';
import { problem } from '../../server/problem.ts';
import { emptyBody, invalidAs, noContent, withSchemas } from '../../server/schemas.ts';
import { listDeliveries, listNotices, retryDelivery } from './admin.ts';

const listQuery = z.strictObject({
  status: z.enum(['pending', 'delivered', 'dead']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const idParams = z.strictObject({ id: z.uuid() });

const deliveryView = z.object({
  id: z.string(),
  eventId: z.string(),
  clientId: z.string(),
  channel: z.string(),
  target: z.string(),
  eventType: z.string(),
  status: z.enum(['pending', 'delivered', 'dead']),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  lastStatus: z.number().int().nullable(),
  nextAttemptAt: z.string().nullable(),
  occurredAt: z.string(),
  deliveredAt: z.string().nullable(),
});
const noticeView = z.object({
  id: z.string(),
  kind: z.string(),
  reason: z.string().nullable(),
  items: z.array(z.string()).readonly(),
  at: z.string(),
  actionRequired: z.boolean(),
  action: z.enum(['reproof']).nullable(),
  title: z.object({ ja: z.string(), en: z.string() }),
});

/** Registers the event and notice routes. */
export function registerEventRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  const routes = withSchemas(app);
  routes.get(
    '/api/admin/events/deliveries',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Event deliveries to relying parties, newest first',
        querystring: listQuery,
        response: { 200: z.object({ deliveries: z.array(deliveryView) }) },
      },
      schemaErrorFormatter: invalidAs(() =>
        problem('request_invalid', 400, 'status must be pending, delivered or dead'),
      ),
    },
    async (req, reply) => {
      const q = req.query;
      void reply.header('cache-control', 'no-store');
      return {
        deliveries: await listDeliveries(deps.db, {
          ...(q.status === undefined ? {} : { status: q.status }),
          ...(q.limit === undefined ? {} : { limit: q.limit }),
        }),
      };
    },
  );

  routes.post(
    '/api/admin/events/deliveries/:id/retry',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Make a dead delivery due again',
        params: idParams,
        body: emptyBody,
        response: { 204: noContent },
      },
      schemaErrorFormatter: invalidAs(() => problem('request_invalid', 400, 'bad delivery id')),
    },
    async (req, reply) => {
      try {
        await retryDelivery(deps, req.params.id, 'operator:api');
      } catch (e) {
        if (isWatashiError(e) && e.code === 'event_delivery_not_found')
          throw problem(e.code, 404, 'no delivery with this id');
        if (isWatashiError(e) && e.code === 'event_delivery_retry_refused')
          throw problem(e.code, 409, 'only a dead delivery can be retried');
        throw e;
      }
      return reply.code(204).send();
    },
  );

  routes.get(
    '/api/me/notices',
    {
      config: { auth: 'session' },
      schema: {
        summary: 'Notices to the resident, newest first',
        response: { 200: z.object({ notices: z.array(noticeView) }) },
      },
    },
    async (req, reply) => {
      const s = req.session;
      if (s === null) throw problem('session_required', 401, 'sign in first');
      void reply.header('cache-control', 'no-store');
      return { notices: await listNotices(deps.db, s.accountId) };
    },
  );
}
