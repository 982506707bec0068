/**
 * Consents given to relying parties on the consent screen (table `oidc_consents`, migration
 * 0005): what each released, through which persona. Token and userinfo releases read the consent
 * behind their grant (provider.ts `findAccount`), so a persona chosen once keeps applying to every
 * later release of that grant, refresh tokens included.
 *
 * Wallet API (session required; RFC 9457 problems):
 * - `GET /api/me/consents` → `{ consents: [{ clientId, rpName, purpose, claims, scopes, persona,
 *   grantedAt }] }`, the live consent per RP, newest first.
 * - `DELETE /api/me/consents/:clientId` → 204, withdrawal ({@link withdrawConsent});
 *   `consent_not_found` (404) when there is nothing to withdraw.
 */
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely, type Transaction } from 'kysely';
import { z } from 'zod';
import type { PlatformDeps } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { invalidAs, noContent, withSchemas } from '../server/schemas.ts';
import { appendAudit } from '../store/audit.ts';
import type { Schema } from '../store/schema.ts';
import type { ResidenceGranularity, WatashiClaim } from './claims.ts';

/** A consent as the release path needs it. */
export interface ConsentRecord {
  readonly id: string;
  readonly grantId: string;
  readonly personaId: string | null;
  readonly personaName: string | null;
  readonly claims: readonly string[];
  readonly residence: ResidenceGranularity;
  readonly scopes: readonly string[];
  readonly grantedAt: Date;
}

/**
 * The live consent of an account to an RP: the newest one not withdrawn made for `grantId` when
 * given, else the newest one not withdrawn for the RP.
 */
export async function liveConsent(
  deps: Pick<PlatformDeps, 'db'>,
  accountId: string,
  clientId: string,
  grantId: string | undefined,
): Promise<ConsentRecord | undefined> {
  let q = deps.db
    .selectFrom('oidc_consents')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('client_id', '=', clientId)
    .where('withdrawn_at', 'is', null);
  if (grantId !== undefined) q = q.where('grant_id', '=', grantId);
  const row = await q.orderBy('granted_at', 'desc').limit(1).executeTakeFirst();
  if (row === undefined)
    return grantId === undefined ? undefined : liveConsent(deps, accountId, clientId, undefined);
  return {
    id: row.id,
    grantId: row.grant_id,
    personaId: row.persona_id,
    personaName: row.persona_name,
    claims: row.claims,
    residence: row.residence,
    scopes: row.scopes,
    grantedAt: row.granted_at,
  };
}

/** Records a consent (in the caller's transaction). */
export async function recordConsent(
  db: Kysely<Schema>,
  consent: {
    accountId: string;
    clientId: string;
    grantId: string;
    persona: { id: string; name: string } | null;
    claims: readonly WatashiClaim[];
    residence: ResidenceGranularity;
    scopes: readonly string[];
    at: Date;
  },
): Promise<void> {
  await db
    .insertInto('oidc_consents')
    .values({
      account_id: consent.accountId,
      client_id: consent.clientId,
      grant_id: consent.grantId,
      persona_id: consent.persona?.id ?? null,
      persona_name: consent.persona?.name ?? null,
      claims: [...consent.claims],
      residence: consent.residence,
      scopes: [...consent.scopes],
      granted_at: consent.at,
    })
    .execute();
}

/** A consent as the wallet shows it. */
export interface ConsentView {
  readonly clientId: string;
  readonly rpName: string;
  readonly purpose: string;
  readonly claims: readonly string[];
  readonly scopes: readonly string[];
  readonly persona: { readonly id: string | null; readonly name: string } | null;
  readonly grantedAt: string;
}

/** The live consents of an account: per RP the newest not withdrawn, newest first. */
export async function listConsents(
  deps: Pick<PlatformDeps, 'db'>,
  accountId: string,
): Promise<ConsentView[]> {
  const rows = await deps.db
    .selectFrom('oidc_consents as c')
    .leftJoin('relying_parties as rp', 'rp.client_id', 'c.client_id')
    .select([
      'c.client_id',
      'c.claims',
      'c.scopes',
      'c.persona_id',
      'c.persona_name',
      'c.granted_at',
      'rp.name',
      'rp.purpose',
    ])
    .where('c.account_id', '=', accountId)
    .where('c.withdrawn_at', 'is', null)
    .orderBy('c.granted_at', 'desc')
    .execute();
  const seen = new Set<string>();
  const out: ConsentView[] = [];
  for (const r of rows) {
    if (seen.has(r.client_id)) continue;
    seen.add(r.client_id);
    out.push({
      clientId: r.client_id,
      rpName: r.name ?? r.client_id,
      purpose: r.purpose ?? '',
      claims: r.claims,
      scopes: r.scopes,
      persona: r.persona_name === null ? null : { id: r.persona_id, name: r.persona_name },
      grantedAt: r.granted_at.toISOString(),
    });
  }
  return out;
}

/**
 * Withdraws every consent of an account to an RP: the consents are marked withdrawn, and every
 * oidc-provider grant of (account, RP) is destroyed with everything issued under it (authorization
 * codes, access and refresh tokens), so a refresh fails with `invalid_grant`, an access token no
 * longer reaches userinfo, and the next authorization asks for consent again (OIDC Core §3.1.2.4:
 * the provider obtains consent when it has none). Audited as `oidc.consent.withdrawn` (names only).
 * Returns the number of consents withdrawn (0: there was none).
 */
export async function withdrawConsent(
  deps: Pick<PlatformDeps, 'database' | 'now'>,
  accountId: string,
  clientId: string,
): Promise<number> {
  return deps.database.transaction(async (trx) => {
    const at = deps.now();
    const { withdrawn, grants, ids } = await endGrants(trx, accountId, at, clientId);
    if (withdrawn > 0 || grants > 0)
      await appendAudit(trx, {
        actor: `account:${accountId}`,
        type: 'oidc.consent.withdrawn',
        accountId,
        at,
        payload: { clientId, grants: ids.length },
      });
    return Math.max(withdrawn, grants);
  });
}

/**
 * Withdraws the account's consents to `clientId` (every RP when undefined) and deletes the
 * provider's grants of the account with that RP — whether a consent row names them or not — and
 * everything issued under them (codes, access and refresh tokens), in the caller's transaction.
 * Returns the counts and the grant ids.
 */
export async function endGrants(
  trx: Transaction<Schema>,
  accountId: string,
  at: Date,
  clientId?: string,
): Promise<{ withdrawn: number; grants: number; ids: string[] }> {
  let consents = trx
    .updateTable('oidc_consents')
    .set({ withdrawn_at: at })
    .where('account_id', '=', accountId)
    .where('withdrawn_at', 'is', null);
  if (clientId !== undefined) consents = consents.where('client_id', '=', clientId);
  const withdrawn = await consents.returning('grant_id').execute();
  let models = trx
    .selectFrom('oidc_models')
    .select('id')
    .where('model', '=', 'Grant')
    .where(sql<string>`payload->>'accountId'`, '=', accountId);
  if (clientId !== undefined) models = models.where(sql<string>`payload->>'clientId'`, '=', clientId);
  const grants = await models.execute();
  const ids = [...new Set([...withdrawn.map((w) => w.grant_id), ...grants.map((g) => g.id)])];
  // On indexes: oidc_models_grant_idx, and the primary key for the grants themselves.
  if (ids.length > 0)
    await trx
      .deleteFrom('oidc_models')
      .where((eb) =>
        eb.or([eb('grant_id', 'in', ids), eb.and([eb('model', '=', 'Grant'), eb('id', 'in', ids)])]),
      )
      .execute();
  return { withdrawn: withdrawn.length, grants: grants.length, ids };
}

const clientParams = z.strictObject({ clientId: z.string().regex(/^[A-Za-z0-9._~-]{1,128}$/) });

const consentView = z.object({
  clientId: z.string(),
  rpName: z.string(),
  purpose: z.string(),
  claims: z.array(z.string()).readonly(),
  scopes: z.array(z.string()).readonly(),
  persona: z.object({ id: z.string().nullable(), name: z.string() }).nullable(),
  grantedAt: z.string(),
});

/** Registers the consent review routes of the wallet API. */
export function registerConsentRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  const routes = withSchemas(app);
  routes.get(
    '/api/me/consents',
    {
      config: { auth: 'session' },
      schema: {
        summary: 'The services the resident consented to, newest first',
        response: { 200: z.object({ consents: z.array(consentView) }) },
      },
    },
    async (req, reply) => {
      const s = req.session;
      if (s === null) throw problem('session_required', 401, 'sign in first');
      void reply.header('cache-control', 'no-store');
      return { consents: await listConsents(deps, s.accountId) };
    },
  );

  routes.delete(
    '/api/me/consents/:clientId',
    {
      config: { auth: 'session' },
      schema: {
        summary: 'Withdraw the consent to a service (ends its grant)',
        params: clientParams,
        response: { 204: noContent },
      },
      schemaErrorFormatter: invalidAs(() => problem('request_invalid', 400, 'bad client id')),
    },
    async (req, reply) => {
      const s = req.session;
      if (s === null) throw problem('session_required', 401, 'sign in first');
      if ((await withdrawConsent(deps, s.accountId, req.params.clientId)) === 0)
        throw problem('consent_not_found', 404, 'no consent to this service');
      return reply.code(204).send();
    },
  );
}
