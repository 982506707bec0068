/**
 * `GET /api/admin/fees?month=YYYY-MM` (operator, `auth: admin`): the fee report of a month in
 * Japan time (jlis/fees.ts), the same document `watashi fees --json` prints. Without `month`: the
 * current month. A bad month is 400 `fees_month_invalid`.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PlatformDeps } from '../server/context.ts';
import { withSchemas } from '../server/schemas.ts';
import { currentFeeMonth, feeReport } from './fees.ts';

const query = z.strictObject({ month: z.string().max(16).optional() });

const feeReportView = z.object({
  month: z.string(),
  timezone: z.literal('Asia/Tokyo'),
  from: z.string(),
  to: z.string(),
  lines: z
    .array(
      z.object({
        clientId: z.string().nullable(),
        purpose: z.string(),
        queries: z.number().int(),
        failed: z.number().int(),
        yen: z.number(),
      }),
    )
    .readonly(),
  methods: z.array(z.object({ method: z.string(), queries: z.number().int(), yen: z.number() })).readonly(),
  total: z.object({ queries: z.number().int(), yen: z.number() }),
});

/** Registers the operator's fee report route. */
export function registerFeeRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  withSchemas(app).get(
    '/api/admin/fees',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'What J-LIS queries of a month cost (Japan time)',
        querystring: query,
        response: { 200: feeReportView },
      },
    },
    async (req, reply) => {
      const report = await feeReport(deps.db, req.query.month ?? currentFeeMonth(deps.now()));
      return reply.header('cache-control', 'no-store').send(report);
    },
  );
}
