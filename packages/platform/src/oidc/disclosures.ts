/**
 * What relying parties received, shown to the resident (issue 4): the `oidc.disclosure` entries
 * of the audit log (written by hooks.ts at the token and userinfo endpoints; claim names only).
 * Read straight from `audit_log` through its `(account_id, seq)` index (migration 0001), newest
 * first, so no second record of disclosures is kept that could disagree with the hash chain.
 *
 * Wallet API: `GET /api/me/disclosures[?before=<seq>&limit=<n>]` (session required) →
 * `{ disclosures: [{ seq, clientId, rpName, claims, endpoint, at }], next }`; `next` is the
 * `before` of the next page, null on the last.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PlatformDeps } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { invalidAs, withSchemas } from '../server/schemas.ts';

/** One disclosure as the wallet shows it. */
export interface DisclosureView {
  readonly seq: string;
  readonly clientId: string;
  readonly rpName: string;
  readonly claims: readonly string[];
  readonly endpoint: string;
  readonly at: string;
}

/** The disclosures of an account, newest first (a page of at most `limit` before `before`). */
export async function listDisclosures(
  deps: Pick<PlatformDeps, 'db'>,
  accountId: string,
  page: { before?: bigint; limit: number },
): Promise<{ disclosures: DisclosureView[]; next: string | null }> {
  let q = deps.db
    .selectFrom('audit_log as a')
    .select(['a.seq', 'a.at', 'a.payload'])
    .where('a.account_id', '=', accountId)
    .where('a.type', '=', 'oidc.disclosure');
  if (page.before !== undefined) q = q.where('a.seq', '<', page.before);
  const rows = await q
    .orderBy('a.seq', 'desc')
    .limit(page.limit + 1)
    .execute();
  const more = rows.length > page.limit;
  const shown = rows.slice(0, page.limit);
  const payloads = shown.map(
    (r) => r.payload as { clientId?: unknown; endpoint?: unknown; claims?: unknown },
  );
  const ids = [...new Set(payloads.map((x) => String(x.clientId)))];
  const names = new Map(
    ids.length === 0
      ? []
      : (
          await deps.db
            .selectFrom('relying_parties')
            .select(['client_id', 'name'])
            .where('client_id', 'in', ids)
            .execute()
        ).map((r) => [r.client_id, r.name] as const),
  );
  return {
    disclosures: shown.map((r, i) => {
      const x = payloads[i]!;
      const clientId = String(x.clientId);
      return {
        seq: String(r.seq),
        clientId,
        rpName: names.get(clientId) ?? clientId,
        claims: Array.isArray(x.claims) ? x.claims.filter((c): c is string => typeof c === 'string') : [],
        endpoint: String(x.endpoint),
        at: r.at.toISOString(),
      };
    }),
    next: more ? String(shown.at(-1)!.seq) : null,
  };
}

const query = z.strictObject({
  before: z
    .string()
    .regex(/^[1-9]\d{0,18}$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const disclosureView = z.object({
  seq: z.string(),
  clientId: z.string(),
  rpName: z.string(),
  claims: z.array(z.string()).readonly(),
  endpoint: z.string(),
  at: z.string(),
});

/** Registers `GET /api/me/disclosures`. */
export function registerDisclosureRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  withSchemas(app).get(
    '/api/me/disclosures',
    {
      config: { auth: 'session' },
      schema: {
        summary: 'What was disclosed to which service, newest first',
        querystring: query,
        response: { 200: z.object({ disclosures: z.array(disclosureView), next: z.string().nullable() }) },
      },
      schemaErrorFormatter: invalidAs(() =>
        problem('request_invalid', 400, 'before is a sequence number, limit 1–200'),
      ),
    },
    async (req, reply) => {
      const s = req.session;
      if (s === null) throw problem('session_required', 401, 'sign in first');
      void reply.header('cache-control', 'no-store');
      return listDisclosures(deps, s.accountId, {
        limit: req.query.limit,
        ...(req.query.before === undefined ? {} : { before: BigInt(req.query.before) }),
      });
    },
  );
}
