/**
 * Consents given to relying parties on the consent screen (table `oidc_consents`, migration
 * 0005): what each released, through which persona. Token and userinfo releases read the consent
 * behind their grant (provider.ts `findAccount`), so a persona chosen once keeps applying to every
 * later release of that grant, refresh tokens included.
 */
import type { Kysely } from 'kysely';
import type { PlatformDeps } from '../server/context.ts';
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
