/**
 * `GET /api/admin/fees?month=YYYY-MM` (operator, `auth: admin`): the fee report of a month in
 * Japan time (jlis/fees.ts), the same document `watashi fees --json` prints. Without `month`: the
 * current month. A bad month is 400 `fees_month_invalid`.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PlatformDeps } from '../server/context.ts';
import { currentFeeMonth, feeReport } from './fees.ts';

const query = z.strictObject({ month: z.string().max(16).optional() });

/** Registers the operator's fee report route. */
export function registerFeeRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  app.get('/api/admin/fees', { config: { auth: 'admin' } }, async (req, reply) => {
    const q = query.parse(req.query);
    const report = await feeReport(deps.db, q.month ?? currentFeeMonth(deps.now()));
    return reply.header('cache-control', 'no-store').send(report);
  });
}
