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
import { listDeliveries, listNotices, retryDelivery } from './admin.ts';

const listQuery = z.strictObject({
  status: z.enum(['pending', 'delivered', 'dead']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const idParams = z.strictObject({ id: z.uuid() });

/** Registers the event and notice routes. */
export function registerEventRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  app.get('/api/admin/events/deliveries', { config: { auth: 'admin' } }, async (req, reply) => {
    const q = listQuery.safeParse(req.query);
    if (!q.success) throw problem('request_invalid', 400, 'status must be pending, delivered or dead');
    void reply.header('cache-control', 'no-store');
    return {
      deliveries: await listDeliveries(deps.db, {
        ...(q.data.status === undefined ? {} : { status: q.data.status }),
        ...(q.data.limit === undefined ? {} : { limit: q.data.limit }),
      }),
    };
  });

  app.post('/api/admin/events/deliveries/:id/retry', { config: { auth: 'admin' } }, async (req, reply) => {
    const p = idParams.safeParse(req.params);
    if (!p.success) throw problem('request_invalid', 400, 'bad delivery id');
    try {
      await retryDelivery(deps, p.data.id, 'operator:api');
    } catch (e) {
      if (isWatashiError(e) && e.code === 'event_delivery_not_found')
        throw problem(e.code, 404, 'no delivery with this id');
      if (isWatashiError(e) && e.code === 'event_delivery_retry_refused')
        throw problem(e.code, 409, 'only a dead delivery can be retried');
      throw e;
    }
    return reply.code(204).send();
  });

  app.get('/api/me/notices', { config: { auth: 'session' } }, async (req, reply) => {
    const s = req.session;
    if (s === null) throw problem('session_required', 401, 'sign in first');
    void reply.header('cache-control', 'no-store');
    return { notices: await listNotices(deps.db, s.accountId) };
  });
}
