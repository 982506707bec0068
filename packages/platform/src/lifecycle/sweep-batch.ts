/**
 * The steps of one sweep batch (sweep.ts, "3. Batches"), each named and, where it can be, pure:
 *
 * 1. `readShard` — the shard's row (cursor, bounds, state);
 * 2. `readSlim` — the next anchors after the cursor, as little of each as deciding needs;
 * 3. `pickCandidates` (pure) — which of them may change or wait for J-LIS, by the run's CRLs;
 * 4. `readWhole` — those rows whole, and the last one (the cursor);
 * 5. `decideChanges` (pure) — each candidate decided again as it is now;
 * 6. `provisionsNeeded` (pure) — which changes need J-LIS's latest basic 4 information (asked
 *    outside the transaction: the sweeper rolls back, asks, and runs the batch again);
 * 7. `holdUnanswered` (pure) — changes J-LIS did not answer are deferred, not applied;
 * 8. the effects (status-effects.ts) and the audit events;
 * 9. `advanceCheckpoint` — the shard's new cursor and counters, guarded by the cursor read in 1.
 */
import { sql, type Transaction } from 'kysely';
import { toHex } from '@watashi/pki';
import type { VerifiedCrl } from '../jlis/backend.ts';
import type { AccountStatus, AnchorPurpose, AnchorStatus, Schema } from '../store/schema.ts';
import { lifecycleError } from './errors.ts';
import type { ProvisionOutcome } from './reanchor.ts';
import {
  decideByCrl,
  waitsForJlis,
  ANCHOR_COLUMNS,
  type AnchorRow,
  type Change,
  type Decidable,
} from './status-effects.ts';
import { isTransientProvision, type DeferredChange, type ProvisionRequest } from './provisions.ts';

/** One CA of a run, as a batch sees it: its key hash and its verified CRL once loaded. */
export interface BatchIssuer {
  readonly keyHash: Uint8Array;
  readonly crl?: VerifiedCrl;
}

/** Counters of one batch or shard. */
export interface Counts {
  checked: number;
  revoked: number;
  released: number;
  unchecked: number;
}

/** An anchor whose effect waits for J-LIS's latest basic 4 information, with the consent to ask by. */
export interface NeededProvision {
  readonly row: AnchorRow;
  readonly consentRef: string;
}

/** A `sweep_shards` row. */
export type ShardRow = Awaited<ReturnType<typeof readShard>>;

/** An anchor as {@link readSlim} reads it. */
export interface SlimAnchor {
  readonly serial: string;
  /** The CA's position in the run, -1 for a CA not in it. */
  readonly issuer_ix: number;
  /** NULL for a `good` anchor, else `status|reason|purpose`. */
  readonly state: string | null;
  /** The CA's key hash, only for a CA not in the run. */
  readonly other_issuer: Uint8Array | null;
}

/** An anchor by its CA and serial (unique over all anchors). */
export interface AnchorKey {
  readonly keyHash: Uint8Array;
  readonly serial: string;
}

/** An anchor that may change, with the CRL that says so. */
export interface Candidate extends AnchorKey {
  readonly crl: VerifiedCrl;
}

/** A whole anchor row, and whether it was superseded meanwhile. */
export type WholeAnchor = AnchorRow & { superseded: boolean };

/** Step 1: the shard's row. */
export async function readShard(trx: Transaction<Schema>, runId: string, shard: number) {
  return trx
    .selectFrom('sweep_shards')
    .selectAll()
    .where('run_id', '=', runId)
    .where('shard', '=', shard)
    .executeTakeFirstOrThrow();
}

/**
 * Step 2: the next `batchSize` current anchors of the shard after its cursor, in (account_id, id)
 * order. What deciding needs, and no more: most anchors are `good` and stay so, and for them a batch
 * reads the serial, the CA's position and a NULL — not two UUIDs and four strings per row (the
 * sweep's time is spent formatting, sending and parsing these rows).
 */
export async function readSlim(
  trx: Transaction<Schema>,
  issuers: ReadonlyArray<BatchIssuer>,
  s: ShardRow,
  batchSize: number,
): Promise<SlimAnchor[]> {
  // The CA as its position in the run (not the 32-byte hash: one Buffer fewer to parse per row).
  const issuerIx =
    issuers.length === 0
      ? sql<number>`-1`
      : sql<number>`CASE issuer_key_hash ${sql.join(
          issuers.map((i, n) => sql`WHEN ${i.keyHash} THEN ${sql.lit(n)}`),
          sql` `,
        )} ELSE -1 END`;
  let q = trx
    .selectFrom('anchors')
    .select('serial')
    .select(issuerIx.as('issuer_ix'))
    .select(
      sql<string | null>`CASE WHEN status = 'good' THEN NULL
        ELSE status || '|' || coalesce(revocation_reason, '') || '|' || purpose END`.as('state'),
    )
    // The CA's key hash only for a CA not in this run (its anchors are only counted).
    .select(
      issuers.length === 0
        ? sql<Uint8Array | null>`issuer_key_hash`.as('other_issuer')
        : sql<Uint8Array | null>`CASE issuer_key_hash ${sql.join(
            issuers.map((i) => sql`WHEN ${i.keyHash} THEN NULL`),
            sql` `,
          )} ELSE issuer_key_hash END`.as('other_issuer'),
    )
    .where('superseded_by', 'is', null)
    .where('account_id', '>=', s.lo)
    .orderBy('account_id')
    .orderBy('id')
    .limit(batchSize);
  if (s.hi !== null) q = q.where('account_id', '<', s.hi);
  if (s.cursor_account_id !== null && s.cursor_anchor_id !== null)
    q = q.where(sql<boolean>`(account_id, id) > (${s.cursor_account_id}::uuid, ${s.cursor_anchor_id}::uuid)`);
  return q.execute();
}

/**
 * Step 3 (pure): which slim rows may change (or wait for J-LIS) by their CA's CRL; counts each row
 * as checked, or unchecked when its CA has no CRL in this run.
 */
export function pickCandidates(
  slim: ReadonlyArray<SlimAnchor>,
  issuers: ReadonlyArray<BatchIssuer>,
  counts: Counts,
): Candidate[] {
  const candidates: Candidate[] = [];
  // One object for the whole batch (this loop runs for every anchor).
  const seen: Decidable & Pick<AnchorRow, 'purpose'> = {
    serial: '',
    status: 'good',
    revocation_reason: null,
    purpose: 'sign',
  };
  for (const row of slim) {
    const issuer = issuers[row.issuer_ix];
    const crl = issuer?.crl;
    if (issuer === undefined || crl === undefined) {
      counts.unchecked++;
      continue;
    }
    counts.checked++;
    seen.serial = row.serial;
    if (row.state === null) {
      seen.status = 'good';
      seen.revocation_reason = null;
      seen.purpose = 'sign';
    } else {
      const [status, reason, purpose] = row.state.split('|');
      seen.status = status as AnchorStatus;
      seen.revocation_reason = reason === '' || reason === undefined ? null : reason;
      seen.purpose = purpose as AnchorPurpose;
    }
    if (decideByCrl(seen, crl.index) !== undefined || waitsForJlis(seen))
      candidates.push({ keyHash: issuer.keyHash, serial: row.serial, crl });
  }
  return candidates;
}

/** The key of the last slim row: the batch's new cursor. */
export function cursorKey(
  slim: ReadonlyArray<SlimAnchor>,
  issuers: ReadonlyArray<BatchIssuer>,
): AnchorKey | undefined {
  const last = slim.at(-1);
  return last === undefined
    ? undefined
    : { keyHash: issuers[last.issuer_ix]?.keyHash ?? last.other_issuer!, serial: last.serial };
}

const keyOf = (w: AnchorKey): string => `${toHex(w.keyHash)}:${w.serial}`;

/**
 * Step 4: the wanted rows whole, by (CA, serial), which anchors_issuer_serial_key makes unique.
 * Superseded rows too (the key is unique over all anchors): the cursor row is always found.
 */
export async function readWhole(
  trx: Transaction<Schema>,
  wanted: ReadonlyArray<AnchorKey>,
): Promise<(w: AnchorKey) => WholeAnchor | undefined> {
  const whole = new Map<string, WholeAnchor>();
  for (let i = 0; i < wanted.length; i += 500) {
    const part = wanted.slice(i, i + 500);
    const found = await trx
      .selectFrom('anchors')
      .select([...ANCHOR_COLUMNS])
      .select(sql<boolean>`superseded_by IS NOT NULL`.as('superseded'))
      .where((eb) =>
        eb(
          eb.refTuple('issuer_key_hash', 'serial'),
          'in',
          part.map((w) => eb.tuple(w.keyHash, w.serial)),
        ),
      )
      .execute();
    for (const r of found) whole.set(`${toHex(r.issuer_key_hash)}:${r.serial}`, r);
  }
  return (w) => whole.get(keyOf(w));
}

/**
 * Step 5 (pure): each candidate decided again as it is now. A change goes to `changes` (counted as
 * revoked or released); an anchor the CRL leaves as it is but that waits for J-LIS goes to
 * `reaffirmed`; one superseded meanwhile (re-anchored) is no longer the sweep's to change.
 */
export function decideChanges(
  candidates: ReadonlyArray<Candidate>,
  rowOf: (w: AnchorKey) => WholeAnchor | undefined,
  counts: Counts,
): { changes: Change[]; reaffirmed: AnchorRow[] } {
  const changes: Change[] = [];
  const reaffirmed: AnchorRow[] = [];
  for (const w of candidates) {
    const found = rowOf(w);
    if (found === undefined || found.superseded) continue;
    const { superseded: _, ...r } = found;
    const change = decideByCrl(r, w.crl.index);
    if (change === undefined) {
      if (waitsForJlis(r)) reaffirmed.push(r);
      continue;
    }
    changes.push({ ...change, checkedAt: w.crl.thisUpdate, crlNumber: w.crl.crlNumber, source: 'crl' });
    if (change.to.status === 'revoked') counts.revoked++;
    else if (r.status === 'revoked') counts.released++;
  }
  return { changes, reaffirmed };
}

/** The accounts a batch's effects touch. */
export function accountsOf(changes: ReadonlyArray<Change>, reaffirmed: ReadonlyArray<AnchorRow>): string[] {
  return [...new Set([...changes.map((c) => c.row.account_id), ...reaffirmed.map((r) => r.account_id)])];
}

/**
 * Step 6 (pure): the anchors whose effect needs J-LIS's latest basic 4 information — a signing
 * anchor revoked for a changed affiliation, or still so while its account waits for re-proofing, of
 * an open account with a consent (docs/architecture.md §3.4).
 */
export function provisionsNeeded(
  changes: ReadonlyArray<Change>,
  reaffirmed: ReadonlyArray<AnchorRow>,
  accounts: ReadonlyMap<string, { readonly status: AccountStatus }>,
  consents: ReadonlyMap<string, { readonly jlis_reference: string }>,
): NeededProvision[] {
  const wantsProvision = (row: AnchorRow): boolean =>
    row.purpose === 'sign' &&
    consents.has(row.account_id) &&
    accounts.get(row.account_id)?.status !== 'closed';
  const needed: NeededProvision[] = [];
  for (const c of changes)
    if (c.to.status === 'revoked' && c.to.reason === 'affiliationChanged' && wantsProvision(c.row))
      needed.push({ row: c.row, consentRef: consents.get(c.row.account_id)!.jlis_reference });
  for (const r of reaffirmed)
    if (accounts.get(r.account_id)?.status === 'needs_reproofing' && wantsProvision(r))
      needed.push({ row: r, consentRef: consents.get(r.account_id)!.jlis_reference });
  return needed;
}

/** A provision J-LIS did not answer, with the change it holds back. */
export interface DeferredProvision {
  readonly req: ProvisionRequest;
  readonly change: DeferredChange | null;
  readonly code: string;
}

/**
 * Step 7 (pure), item 3 of issue 21: only J-LIS's answer may change an account. A provision it did
 * not answer (unreachable, timeout, circuit open, deadline) leaves the anchor and the account exactly
 * as they were — no status change, no RP event, no notice — and is deferred to the retry job.
 */
export function holdUnanswered(
  needed: ReadonlyArray<NeededProvision>,
  changes: ReadonlyArray<Change>,
  reaffirmed: ReadonlyArray<AnchorRow>,
  provisions: ReadonlyMap<string, ProvisionOutcome>,
): {
  deferred: DeferredProvision[];
  answered: AnchorRow[];
  applying: ReadonlyArray<Change>;
  reaffirming: ReadonlyArray<AnchorRow>;
} {
  const deferred: DeferredProvision[] = [];
  const answered: AnchorRow[] = [];
  for (const n of needed) {
    const o = provisions.get(n.row.id)!;
    if (!isTransientProvision(o)) {
      answered.push(n.row);
      continue;
    }
    const c = changes.find((x) => x.row.id === n.row.id);
    deferred.push({
      req: n,
      code: o.ok ? 'jlis_unavailable' : o.code,
      change:
        c === undefined
          ? null
          : {
              from: { status: c.row.status, reason: c.row.revocation_reason },
              to: {
                status: c.to.status,
                reason: c.to.reason,
                revokedAt: c.to.revokedAt?.toISOString() ?? null,
              },
              checkedAt: c.checkedAt?.toISOString() ?? null,
              crlNumber: c.crlNumber?.toString() ?? null,
            },
    });
  }
  const held = new Set(deferred.map((d) => d.req.row.id));
  return {
    deferred,
    answered,
    applying: held.size === 0 ? changes : changes.filter((c) => !held.has(c.row.id)),
    reaffirming: held.size === 0 ? reaffirmed : reaffirmed.filter((r) => !held.has(r.id)),
  };
}

/**
 * Step 9: the shard's new cursor and counters, guarded by the cursor the batch started from; a
 * second worker that moved it first makes this batch roll back (`sweep_shard_conflict`).
 */
export async function advanceCheckpoint(
  trx: Transaction<Schema>,
  s: ShardRow,
  last: Pick<AnchorRow, 'account_id' | 'id'> | undefined,
  counts: Counts,
  final: boolean,
  now: Date,
): Promise<void> {
  let cp = trx
    .updateTable('sweep_shards')
    .set((eb) => ({
      cursor_account_id: last?.account_id ?? s.cursor_account_id,
      cursor_anchor_id: last?.id ?? s.cursor_anchor_id,
      anchors_checked: eb('anchors_checked', '+', BigInt(counts.checked)),
      revoked_found: eb('revoked_found', '+', BigInt(counts.revoked)),
      released: eb('released', '+', BigInt(counts.released)),
      unchecked: eb('unchecked', '+', BigInt(counts.unchecked)),
      batches: eb('batches', '+', 1),
      updated_at: now,
      ...(final ? { state: 'done' as const } : {}),
    }))
    .where('run_id', '=', s.run_id)
    .where('shard', '=', s.shard)
    .where('state', '=', 'pending');
  cp =
    s.cursor_anchor_id === null
      ? cp.where('cursor_anchor_id', 'is', null)
      : cp.where('cursor_anchor_id', '=', s.cursor_anchor_id);
  const moved = await cp.executeTakeFirst();
  if (moved.numUpdatedRows !== 1n)
    throw lifecycleError('sweep_shard_conflict', 'another worker advanced this shard first', {
      detail: { runId: s.run_id, shard: s.shard },
    });
}
