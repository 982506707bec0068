/**
 * The outbox of lifecycle events (issue 5, "Events to RPs" and "Notices to the resident";
 * docs/architecture.md §3.4): when a lifecycle effect changes an account — basic 4 information updated from
 * J-LIS, re-proofing needed, hold, release, closure, re-proofed with a card — the same
 * transaction that changes the account writes
 * - one notice for the resident (`account_notices`: kind, reason or item names, time; the text is
 *   composed when read: the wallet's account page, packages/wallet/src/pages/account/messages.ts), and
 * - one delivery row per channel (`push`: RFC 8935 Security Event Token, `webhook`: signed JSON,
 *   `logout`: OpenID back-channel logout token on closure) of every live RP the resident has a
 *   grant with (a consent not withdrawn, or an oidc-provider Grant) that registered that channel.
 *
 * So an event is sent exactly when its change commits: a rolled-back batch leaves no delivery, a
 * committed one cannot lose its deliveries. The RP is named by its pairwise `sub` only (OIDC Core
 * §8.1, oidc/pairwise.ts): never the account id, and each RP gets its own event id (`jti`), so two
 * RPs outside one sector cannot join their events.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { KeyStore } from '../../keys/key-store.ts';
import { pairwiseSubject } from '../../oidc/pairwise.ts';
import type { AuditEvent } from '../../store/audit.ts';
import { jsonb, type JsonObject } from '../../store/json.ts';
import type { DeliveryChannel, NoticeKind, Schema } from '../../store/schema.ts';

/** CAEP 1.0 event types (OpenID Continuous Access Evaluation Profile 1.0 §3). */
export const CAEP = {
  tokenClaimsChange: 'https://schemas.openid.net/secevent/caep/event-type/token-claims-change',
  credentialChange: 'https://schemas.openid.net/secevent/caep/event-type/credential-change',
} as const;

/** RISC 1.0 event types (OpenID RISC Profile Specification 1.0 §2). */
export const RISC = {
  accountDisabled: 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
  accountEnabled: 'https://schemas.openid.net/secevent/risc/event-type/account-enabled',
  accountPurged: 'https://schemas.openid.net/secevent/risc/event-type/account-purged',
} as const;

/** OpenID Back-Channel Logout 1.0 §2.4: the event of a logout token. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** A change to an account that residents and RPs are told about. */
export interface LifecycleFact {
  readonly accountId: string;
  readonly kind: NoticeKind;
  /**
   * Why: the CRL reason (reproofing_required, suspended, released, closed), `operator` (an
   * operator's suspension, resume or closure) or `resident_request` (closed by the resident).
   */
  readonly reason?: string | null;
  /** Basic 4 items that changed (attributes_updated): `name`, `address`, `sex`, `birthDate`. */
  readonly items?: readonly string[];
  readonly at: Date;
}

/** The OIDC claims computed from each basic 4 item (oidc/claims.ts). */
const CLAIMS_OF_ITEM: Readonly<Record<string, readonly string[]>> = {
  name: ['name', 'family_name', 'given_name'],
  address: ['address', 'resident_of'],
  sex: ['gender'],
  birthDate: ['birthdate', 'over_18', 'over_20', 'age_bracket'],
};

/**
 * The facts in a batch of audit events (the sweep, re-anchoring and people's status changes —
 * lifecycle/account-status.ts — write their effects as audit events first, ids only):
 * `account.attributes_updated`, `account.status_changed` to suspended / live / needs_reproofing,
 * `account.closed`. `reason` is the CRL reason, or `operator` / `resident_request`.
 */
export function factsFromAudit(audit: readonly AuditEvent[]): LifecycleFact[] {
  const out: LifecycleFact[] = [];
  for (const e of audit) {
    if (e.accountId === undefined) continue;
    const at = e.at ?? new Date();
    const p = e.payload;
    const reason = typeof p['reason'] === 'string' ? p['reason'] : null;
    if (e.type === 'account.attributes_updated') {
      // `changed` (what differs from before); older records only have `items` (what J-LIS gave).
      const list = Array.isArray(p['changed']) ? p['changed'] : p['items'];
      const items = Array.isArray(list) ? list.filter((x) => typeof x === 'string') : [];
      out.push({ accountId: e.accountId, kind: 'attributes_updated', items, at });
      // Re-anchored while waiting for re-proofing: the new certificate J-LIS named restores it.
      if (p['from'] === 'needs_reproofing' && p['to'] === 'live')
        out.push({ accountId: e.accountId, kind: 'reproofed', reason: 'jlis_provision', at });
    } else if (e.type === 'account.closed') {
      out.push({ accountId: e.accountId, kind: 'closed', reason, at });
    } else if (e.type === 'account.status_changed') {
      const kind: NoticeKind | undefined =
        p['to'] === 'suspended'
          ? 'suspended'
          : p['to'] === 'needs_reproofing'
            ? 'reproofing_required'
            : p['to'] === 'live'
              ? 'released'
              : undefined;
      if (kind !== undefined) out.push({ accountId: e.accountId, kind, reason, at });
    }
  }
  return out;
}

/** The event an RP receives for a fact: its type URI and members (CAEP/RISC), or undefined. */
export function eventFor(
  fact: LifecycleFact,
  allowedClaims: readonly string[],
): { readonly type: string; readonly body: JsonObject } | undefined {
  const ts = Math.floor(fact.at.getTime() / 1000);
  switch (fact.kind) {
    case 'attributes_updated': {
      // CAEP §3.2 token-claims-change carries the new values; Watashi never puts personal data in
      // an event (data minimisation: receivers log SETs), so each changed claim the RP is
      // registered for is named with the value null — fetch it from userinfo.
      const allowed = new Set(allowedClaims);
      const changed = [
        ...new Set((fact.items ?? []).flatMap((i) => CLAIMS_OF_ITEM[i] ?? []).filter((c) => allowed.has(c))),
      ];
      if (changed.length === 0) return undefined;
      return {
        type: CAEP.tokenClaimsChange,
        body: {
          event_timestamp: ts,
          initiating_entity: 'system',
          reason_admin: { en: 'basic 4 information updated from J-LIS' },
          claims: Object.fromEntries(changed.map((c) => [c, null])),
        },
      };
    }
    case 'reproofing_required':
      // CAEP §3.3 credential-change: the resident's card certificate (X.509) was revoked.
      return {
        type: CAEP.credentialChange,
        body: {
          event_timestamp: ts,
          initiating_entity: 'system',
          credential_type: 'x509',
          change_type: 'revoke',
          reason_admin: {
            en: `card certificate revoked (${fact.reason ?? 'unspecified'}); re-proofing required`,
          },
        },
      };
    case 'reproofed':
      return {
        type: CAEP.credentialChange,
        body: {
          event_timestamp: ts,
          // By the resident signing with a card, or by J-LIS naming the new certificate.
          initiating_entity: fact.reason === 'jlis_provision' ? 'system' : 'user',
          credential_type: 'x509',
          change_type: 'create',
          reason_admin: {
            en:
              fact.reason === 'jlis_provision'
                ? 'new card certificate registered from J-LIS'
                : 'the resident re-proofed with a card',
          },
        },
      };
    case 'suspended':
      // RISC §2.3 account-disabled: the account may come back (release, an operator's resume). Its
      // `reason` values (hijacking, bulk-account) do not fit a lost card or an operator's decision,
      // so the reason goes in a Watashi member: the CRL reason, or `operator` — a code, never the
      // operator's own words (lifecycle/account-status.ts).
      return { type: RISC.accountDisabled, body: { watashi_reason: fact.reason ?? 'certificateHold' } };
    case 'released':
      return { type: RISC.accountEnabled, body: {} };
    case 'closed':
      // RISC §2.2 account-purged for every closure (death, emigration, the resident's own request,
      // an operator's): closed is terminal, so the subject never comes back at this provider and
      // the RP may drop its link, whatever record the platform itself must keep. Why it closed is
      // not said: it could tell an RP that the resident died.
      return { type: RISC.accountPurged, body: {} };
  }
}

/** What {@link recordLifecycleFacts} wrote. */
export interface OutboxResult {
  readonly notices: number;
  readonly deliveries: number;
}

/**
 * Writes the notices and delivery rows of `facts` in the caller's transaction. `keys` computes
 * the pairwise subjects.
 */
export async function recordLifecycleFacts(
  deps: { readonly keys: Pick<KeyStore, 'mac'> },
  trx: Transaction<Schema>,
  facts: readonly LifecycleFact[],
): Promise<OutboxResult> {
  if (facts.length === 0) return { notices: 0, deliveries: 0 };
  let deliveries = 0;
  await trx
    .insertInto('account_notices')
    .values(
      facts.map((f) => ({
        account_id: f.accountId,
        kind: f.kind,
        reason: f.reason ?? null,
        items: [...(f.items ?? [])],
        created_at: f.at,
      })),
    )
    .execute();
  // One query for every account of the facts (a sweep batch brings dozens).
  const rpsOf = await grantedRps(trx, [...new Set(facts.map((f) => f.accountId))]);
  for (const f of facts) {
    const rps = rpsOf.get(f.accountId) ?? [];
    const rows = [];
    for (const rp of rps) {
      const event = eventFor(f, rp.allowedClaims);
      const channels: Array<{ channel: DeliveryChannel; target: string; type: string; body: JsonObject }> =
        [];
      if (event !== undefined) {
        if (rp.eventsEndpoint !== null)
          channels.push({ channel: 'push', target: rp.eventsEndpoint, ...event });
        if (rp.webhookUrl !== null) channels.push({ channel: 'webhook', target: rp.webhookUrl, ...event });
      }
      // OpenID Back-Channel Logout 1.0: the closed account's sessions at the RP end.
      if (f.kind === 'closed' && rp.backchannelLogoutUri !== null)
        channels.push({
          channel: 'logout',
          target: rp.backchannelLogoutUri,
          type: BACKCHANNEL_LOGOUT_EVENT,
          body: {},
        });
      if (channels.length === 0) continue;
      const subject = await pairwiseSubject(deps.keys, rp.sector, f.accountId);
      const eventId = randomUUID();
      for (const c of channels)
        rows.push({
          // The logout token is its own JWT with its own jti.
          event_id: c.channel === 'logout' ? randomUUID() : eventId,
          client_id: rp.clientId,
          channel: c.channel,
          target: c.target,
          event_type: c.type,
          subject,
          payload: jsonb(c.body),
          occurred_at: f.at,
          next_attempt_at: f.at,
          created_at: f.at,
          updated_at: f.at,
        });
    }
    if (rows.length > 0) {
      await trx.insertInto('event_deliveries').values(rows).execute();
      deliveries += rows.length;
    }
  }
  return { notices: facts.length, deliveries };
}

/** A live RP with at least one event channel. */
export interface RpTarget {
  readonly clientId: string;
  readonly sector: string;
  readonly allowedClaims: readonly string[];
  readonly eventsEndpoint: string | null;
  readonly webhookUrl: string | null;
  readonly backchannelLogoutUri: string | null;
}

/**
 * The live RPs with at least one event channel that each of `accountIds` has a grant with
 * (consent not withdrawn, or a provider Grant), by account, in client-id order.
 */
export async function grantedRps(
  trx: Transaction<Schema>,
  accountIds: readonly string[],
): Promise<Map<string, RpTarget[]>> {
  const out = new Map<string, RpTarget[]>();
  if (accountIds.length === 0) return out;
  const consented = trx
    .selectFrom('oidc_consents')
    .select([sql<string>`account_id::text`.as('account_id'), 'client_id'])
    .where('account_id', 'in', [...accountIds])
    .where('withdrawn_at', 'is', null);
  const granted = trx
    .selectFrom('oidc_models')
    .select([
      sql<string>`payload->>'accountId'`.as('account_id'),
      sql<string>`payload->>'clientId'`.as('client_id'),
    ])
    .where('model', '=', 'Grant')
    .where(sql<string>`payload->>'accountId'`, 'in', [...accountIds]);
  const rows = await trx
    .selectFrom('relying_parties as rp')
    .innerJoin(consented.union(granted).as('g'), 'g.client_id', 'rp.client_id')
    .select([
      'g.account_id',
      'rp.client_id',
      'rp.sector_identifier',
      'rp.allowed_claims',
      'rp.events_endpoint',
      'rp.webhook_url',
      sql<string | null>`rp.metadata->>'backchannel_logout_uri'`.as('backchannel_logout_uri'),
    ])
    .where('rp.disabled_at', 'is', null)
    .orderBy('g.account_id')
    .orderBy('rp.client_id')
    .execute();
  for (const r of rows) {
    if (r.events_endpoint === null && r.webhook_url === null && r.backchannel_logout_uri === null) continue;
    let list = out.get(r.account_id);
    if (list === undefined) out.set(r.account_id, (list = []));
    list.push({
      clientId: r.client_id,
      sector: r.sector_identifier,
      allowedClaims: r.allowed_claims,
      eventsEndpoint: r.events_endpoint,
      webhookUrl: r.webhook_url,
      backchannelLogoutUri: r.backchannel_logout_uri,
    });
  }
  return out;
}
