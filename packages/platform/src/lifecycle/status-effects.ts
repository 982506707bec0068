/**
 * The status-effect rules: what a change of an anchor's revocation status does to its account.
 * One home for them, used by the revocation sweep (sweep.ts: a CRL for many anchors) and the
 * single check at a sensitive moment (anchor-check.ts: an OCSP answer for one), so both have the
 * same effects with the same audit events.
 *
 * Effects by reason (docs/jpki.md §2.2 mapping [I]); each account change also writes,
 * in the batch's transaction, a notice for the resident and the events to its RPs
 * (events/outbox.ts):
 * - `certificateHold` (lost card): the anchor is on hold (revoked + certificateHold, RFC 5280
 *   §5.3.1), a live account is `suspended`; when a later CRL no longer lists it (the hold was
 *   released: a full CRL simply drops it) the anchor is `good` again and the account `live`.
 * - `cessationOfOperation` (death, emigration): the account is `closed`, its sessions revoked.
 * - `affiliationChanged` on the signing certificate (the basic 4 information changed): with the
 *   resident's consent (an active `consents` row), J-LIS's latest-basic-4 provision gives the new
 *   items and the new certificate's serial; the account is re-anchored on that serial and its
 *   basic 4 information resealed (reanchor.ts). Without consent, or when J-LIS has nothing yet
 *   (no new certificate), the account `needs_reproofing` — and the next sweeps ask J-LIS again
 *   while it does. When J-LIS gives no answer at all (unreachable, timeout, circuit open, the
 *   run's deadline), nothing changes: the provision is deferred to the `sweep.provisions` retry
 *   job (provisions.ts: bounded concurrency, deadline, circuit breaker, answers kept durably so
 *   a resumed run never pays twice).
 * - any other reason on the signing certificate (superseded by a renewal, keyCompromise, …): the
 *   account `needs_reproofing` (the new certificate is anchored when the resident signs with it).
 * - other reasons on the user-authentication certificate: the anchor is marked; the card can no
 *   longer log in (card login checks revocation itself).
 * A revoked anchor that drops out of the CRL (RFC 5280 §3.3: entries leave after expiry) stays
 * revoked; only a hold is ever lifted. Closed accounts are terminal. An account suspended by an
 * operator (status_reason other than certificateHold) is only ever changed by closing it; the
 * operator's resume (account-status.ts) then looks at the anchor itself.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { toHex, type CrlIndex } from '@watashi/pki';
import type { StatusEvidence } from '../jlis/backend.ts';
import type { JpkiTrustStore } from '@watashi/jpki';
import type { KeyStore } from '../keys/key-store.ts';
import type { AuditEvent } from '../store/audit.ts';
import type { AccountStatus, AnchorPurpose, AnchorStatus, AnchorVariant, Schema } from '../store/schema.ts';
import { endEverythingIssued } from './account-status.ts';
import { factsFromAudit, recordLifecycleFacts } from './events/outbox.ts';
import { reanchorFromProvision, type ProvisionOutcome } from './reanchor.ts';

/**
 * What the effects of status changes depend on, for `accountIds`: each account's status, and its
 * newest active latest-basic-4 consent registered with J-LIS.
 */
export async function effectFacts(
  db: Kysely<Schema> | Transaction<Schema>,
  accountIds: ReadonlyArray<string>,
  now: Date,
): Promise<{
  accounts: Map<string, { status: AccountStatus; status_reason: string | null }>;
  consents: Map<string, { id: string; jlis_reference: string }>;
}> {
  const accounts = new Map<string, { status: AccountStatus; status_reason: string | null }>();
  const consents = new Map<string, { id: string; jlis_reference: string }>();
  if (accountIds.length > 0) {
    for (const a of await db
      .selectFrom('accounts')
      .select(['id', 'status', 'status_reason'])
      .where('id', 'in', [...accountIds])
      .execute())
      accounts.set(a.id, a);
    for (const c of await db
      .selectFrom('consents')
      .select(['id', 'account_id', 'jlis_reference', 'granted_at'])
      .where('account_id', 'in', [...accountIds])
      .where('withdrawn_at', 'is', null)
      .where('jlis_reference', 'is not', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('granted_at', 'desc')
      .execute())
      if (!consents.has(c.account_id) && c.jlis_reference !== null)
        consents.set(c.account_id, { id: c.id, jlis_reference: c.jlis_reference });
  }
  return { accounts, consents };
}

/** What {@link applyStatusChanges} needs of the platform. */
export interface StatusEffectDeps {
  readonly keys: KeyStore;
  readonly trust: JpkiTrustStore;
  readonly now: () => Date;
}

/** The facts and answers a set of status changes is applied with. */
export interface StatusChangeInput {
  readonly changes: ReadonlyArray<Change>;
  /** Anchors still revoked for a changed affiliation, whose account waits for re-proofing. */
  readonly reaffirmed: ReadonlyArray<AnchorRow>;
  /** J-LIS's latest-basic-4 answers by anchor id (asked before the transaction). */
  readonly provisions: ReadonlyMap<string, ProvisionOutcome>;
  readonly consents: ReadonlyMap<string, { id: string; jlis_reference: string }>;
  readonly accounts: ReadonlyMap<string, { status: AccountStatus; status_reason: string | null }>;
  /** The sweep run, or null for a single check at a sensitive moment (anchor-check.ts). */
  readonly runId: string | null;
  readonly actor: string;
  readonly now: Date;
}

/**
 * Applies anchor status changes with their per-reason effects on the accounts (the table in the
 * module comment), in the caller's transaction, pushing the audit events to `audit`. Shared by
 * the sweep (CRL) and the single-anchor check (OCSP), so both have the same effects.
 */
export async function applyStatusChanges(
  deps: StatusEffectDeps,
  trx: Transaction<Schema>,
  input: StatusChangeInput,
  audit: AuditEvent[],
): Promise<void> {
  const { changes, reaffirmed, provisions, consents, accounts, actor, now } = input;
  const firstNew = audit.length;
  // Per account, the strongest effect wins: close > re-proof > suspend > release.
  const effect = new Map<string, { kind: AccountEffect; reason: string; anchorId: string }>();
  const want = (accountId: string, kind: AccountEffect, reason: string, anchorId: string): void => {
    const cur = effect.get(accountId);
    if (cur === undefined || EFFECT_RANK[kind] > EFFECT_RANK[cur.kind])
      effect.set(accountId, { kind, reason, anchorId });
  };
  const reanchored = new Set<string>();
  // The status changes in one statement per 200; a row changed meanwhile (re-proofed,
  // re-anchored) no longer matches its old status and is left for the next sweep.
  const updated = new Set<string>();
  for (let i = 0; i < changes.length; i += 200) {
    const values = sql.join(
      changes
        .slice(i, i + 200)
        .map(
          (c) =>
            sql`(${c.row.id}::uuid, ${c.to.status}::text, ${c.to.reason}::text, ${c.to.revokedAt}::timestamptz, ${c.checkedAt ?? now}::timestamptz, ${c.row.status}::text, ${c.row.revocation_reason}::text)`,
        ),
    );
    const { rows: done } = await sql<{ id: string }>`
      UPDATE anchors AS a SET status = v.status, revocation_reason = v.reason,
        revoked_at = v.revoked_at, status_checked_at = v.checked
      FROM (VALUES ${values}) AS v (id, status, reason, revoked_at, checked, old_status, old_reason)
      WHERE a.id = v.id AND a.superseded_by IS NULL AND a.status = v.old_status
        AND a.revocation_reason IS NOT DISTINCT FROM v.old_reason
      RETURNING a.id`.execute(trx);
    for (const d of done) updated.add(d.id);
  }
  for (const c of changes) {
    const r = c.row;
    if (!updated.has(r.id)) continue;
    audit.push({
      actor,
      type:
        c.to.status === 'good'
          ? r.status === 'revoked'
            ? 'anchor.released'
            : 'anchor.confirmed'
          : c.to.reason === 'certificateHold'
            ? 'anchor.held'
            : 'anchor.revoked',
      accountId: r.account_id,
      at: now,
      payload: {
        anchorId: r.id,
        runId: input.runId,
        purpose: r.purpose,
        serial: r.serial,
        issuerKeyHash: toHex(r.issuer_key_hash),
        crlNumber: c.crlNumber?.toString() ?? null,
        ...(c.source === 'ocsp' ? { source: 'ocsp' } : {}),
        from: r.revocation_reason === null ? r.status : `${r.status}:${r.revocation_reason}`,
        to: c.to.reason === null ? c.to.status : `${c.to.status}:${c.to.reason}`,
        ...(c.to.revokedAt === null ? {} : { revokedAt: c.to.revokedAt.toISOString() }),
      },
    });
    if (c.to.status === 'good') {
      if (r.status === 'revoked') want(r.account_id, 'release', 'certificateHold', r.id);
      continue;
    }
    const reason = c.to.reason ?? 'unspecified';
    if (reason === 'cessationOfOperation') want(r.account_id, 'close', reason, r.id);
    else if (reason === 'certificateHold') want(r.account_id, 'suspend', reason, r.id);
    else if (r.purpose === 'sign') {
      const p = provisions.get(r.id);
      if (
        p !== undefined &&
        (await reanchor(deps, trx, r, c.to.revokedAt ?? now, p, consents, input.runId, actor, audit))
      )
        reanchored.add(r.account_id);
      else want(r.account_id, 'reproof', reason, r.id);
    }
  }
  // Accounts waiting for re-proofing whose revoked anchor J-LIS now answers for.
  for (const r of reaffirmed) {
    const p = provisions.get(r.id);
    if (p !== undefined && (await reanchor(deps, trx, r, now, p, consents, input.runId, actor, audit)))
      reanchored.add(r.account_id);
  }
  // Account effects, one statement per (effect, reason).
  const groups = new Map<string, { kind: AccountEffect; reason: string; ids: string[] }>();
  for (const [accountId, e] of effect) {
    if (reanchored.has(accountId) && e.kind === 'reproof') continue;
    const k = `${e.kind}:${e.reason}`;
    let g = groups.get(k);
    if (g === undefined) groups.set(k, (g = { kind: e.kind, reason: e.reason, ids: [] }));
    g.ids.push(accountId);
  }
  const closed: string[] = [];
  for (const g of groups.values()) {
    const changed = await applyAccountEffect(trx, g.ids, g.kind, g.reason, now);
    if (g.kind === 'close') closed.push(...changed.keys());
    for (const [accountId, c] of changed) {
      audit.push({
        actor,
        type: g.kind === 'close' ? 'account.closed' : 'account.status_changed',
        accountId,
        at: now,
        payload: {
          runId: input.runId,
          anchorId: effect.get(accountId)!.anchorId,
          from: accounts.get(accountId)?.status ?? null,
          to: c.status,
          reason: g.reason,
          ...(c.sessionsRevoked === undefined ? {} : { sessionsRevoked: c.sessionsRevoked }),
        },
      });
    }
  }
  // Notices to the residents and events to their RPs, committed with the changes (outbox) — from
  // a sweep batch or a single OCSP check alike.
  await recordLifecycleFacts(deps, trx, factsFromAudit(audit.slice(firstNew)));
  // Death or emigration ends what the account gave out (grants, tokens, provider sessions,
  // passkeys, J-LIS consents) as a resident's own closure does — after the outbox, which finds
  // the RPs to tell through those grants. The data is kept: an erasure is the operator's decision
  // (`watashi account close --erase`), as a death may need to be evidenced later.
  await endEverythingIssued(trx, closed, now);
}

function reanchor(
  deps: StatusEffectDeps,
  trx: Transaction<Schema>,
  row: AnchorRow,
  revokedAt: Date,
  p: ProvisionOutcome,
  consents: ReadonlyMap<string, { id: string; jlis_reference: string }>,
  runId: string | null,
  actor: string,
  audit: AuditEvent[],
): Promise<boolean> {
  return reanchorFromProvision(
    deps,
    trx,
    {
      anchor: { id: row.id, accountId: row.account_id, variant: row.variant, serial: row.serial, revokedAt },
      consentId: consents.get(row.account_id)?.id ?? null,
      outcome: p,
      runId,
      actor,
    },
    audit,
  );
}

/** The columns of an {@link AnchorRow}, for the queries that read one. */
export const ANCHOR_COLUMNS = [
  'id',
  'account_id',
  'purpose',
  'variant',
  'issuer_key_hash',
  'serial',
  'status',
  'revocation_reason',
] as const;

/** An anchor as the status rules read it (the columns of {@link ANCHOR_COLUMNS}). */
export interface AnchorRow {
  id: string;
  account_id: string;
  purpose: AnchorPurpose;
  variant: AnchorVariant;
  issuer_key_hash: Uint8Array;
  serial: string;
  status: AnchorStatus;
  revocation_reason: string | null;
}

/** A status change decided from a CRL (the sweep) or an OCSP answer (anchor-check.ts). */
export interface Change {
  readonly row: AnchorRow;
  readonly to: { status: AnchorStatus; reason: string | null; revokedAt: Date | null };
  /** The age of the information: the CRL's or the OCSP answer's thisUpdate. */
  checkedAt?: Date;
  /** The CRL number (sweep). */
  crlNumber?: bigint | undefined;
  source?: 'crl' | 'ocsp';
}

type AccountEffect = 'close' | 'reproof' | 'suspend' | 'release';
const EFFECT_RANK: Record<AccountEffect, number> = { close: 4, reproof: 3, suspend: 2, release: 1 };

/** What {@link decideByCrl} reads of an anchor. */
export type Decidable = Pick<AnchorRow, 'serial' | 'status' | 'revocation_reason'>;

/** The anchor's new status by the CRL, or undefined when it does not change. */
export function decideByCrl<R extends Decidable>(
  r: R,
  index: CrlIndex,
): { row: R; to: Change['to'] } | undefined {
  const hit = index.lookup(BigInt(r.serial));
  if (hit === undefined) {
    // RFC 5280 §5.3.1: a full CRL that no longer lists a held certificate has released the hold.
    if (r.status === 'revoked' && r.revocation_reason === 'certificateHold')
      return { row: r, to: { status: 'good', reason: null, revokedAt: null } };
    // unknown → good; good stays good; a revocation is never undone by an entry dropping out.
    if (r.status === 'unknown') return { row: r, to: { status: 'good', reason: null, revokedAt: null } };
    return undefined;
  }
  if (r.status === 'revoked' && r.revocation_reason === hit.reason) return undefined;
  return { row: r, to: { status: 'revoked', reason: hit.reason, revokedAt: hit.revocationDate } };
}

/** The anchor's change by an OCSP answer, as the sweep decides by a CRL; undefined: none. */
export function decideByOcsp(r: AnchorRow, e: StatusEvidence): Change | undefined {
  const base = { checkedAt: e.thisUpdate, source: 'ocsp' as const };
  if (e.status === 'revoked') {
    const reason = e.reason ?? 'unspecified';
    if (r.status === 'revoked' && r.revocation_reason === reason) return undefined;
    return { row: r, to: { status: 'revoked', reason, revokedAt: e.revokedAt ?? e.thisUpdate }, ...base };
  }
  if (e.status !== 'good') return undefined;
  if (r.status === 'revoked' && r.revocation_reason === 'certificateHold')
    return { row: r, to: { status: 'good', reason: null, revokedAt: null }, ...base };
  if (r.status === 'unknown')
    return { row: r, to: { status: 'good', reason: null, revokedAt: null }, ...base };
  return undefined;
}

/**
 * Still revoked for a changed affiliation: while the account waits for re-proofing, J-LIS is
 * asked again at each sweep (the resident may have a new certificate by now).
 */
export function waitsForJlis(r: Pick<AnchorRow, 'status' | 'revocation_reason' | 'purpose'>): boolean {
  return r.status === 'revoked' && r.revocation_reason === 'affiliationChanged' && r.purpose === 'sign';
}

/**
 * Applies one account effect to the accounts whose state allows it; returns the new state of each
 * changed account (closing also revokes its sessions).
 */
async function applyAccountEffect(
  trx: Transaction<Schema>,
  ids: ReadonlyArray<string>,
  kind: AccountEffect,
  reason: string,
  now: Date,
): Promise<Map<string, { status: AccountStatus; sessionsRevoked?: number }>> {
  const out = new Map<string, { status: AccountStatus; sessionsRevoked?: number }>();
  if (ids.length === 0) return out;
  const base = trx.updateTable('accounts').where('id', 'in', [...ids]);
  const set = (status: AccountStatus, statusReason: string | null) => ({
    status,
    status_reason: statusReason,
    status_changed_at: now,
    updated_at: now,
  });
  switch (kind) {
    case 'close': {
      const rows = await base
        .set(set('closed', reason))
        .where('status', '!=', 'closed')
        .returning('id')
        .execute();
      if (rows.length === 0) return out;
      for (const r of rows) out.set(r.id, { status: 'closed', sessionsRevoked: 0 });
      const sessions = await trx
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where(
          'account_id',
          'in',
          rows.map((r) => r.id),
        )
        .where('revoked_at', 'is', null)
        .returning('account_id')
        .execute();
      for (const x of sessions) {
        const c = out.get(x.account_id)!;
        c.sessionsRevoked = (c.sessionsRevoked ?? 0) + 1;
      }
      return out;
    }
    case 'reproof': {
      const rows = await base
        .set(set('needs_reproofing', reason))
        .where((eb) =>
          eb.or([
            eb('status', '=', 'live'),
            eb.and([eb('status', '=', 'suspended'), eb('status_reason', '=', 'certificateHold')]),
          ]),
        )
        .returning('id')
        .execute();
      for (const r of rows) out.set(r.id, { status: 'needs_reproofing' });
      return out;
    }
    case 'suspend': {
      const rows = await base
        .set(set('suspended', reason))
        .where('status', '=', 'live')
        .returning('id')
        .execute();
      for (const r of rows) out.set(r.id, { status: 'suspended' });
      return out;
    }
    case 'release': {
      const rows = await base
        .set(set('live', null))
        .where('status', '=', 'suspended')
        .where('status_reason', '=', 'certificateHold')
        .returning('id')
        .execute();
      for (const r of rows) out.set(r.id, { status: 'live' });
      return out;
    }
  }
}
