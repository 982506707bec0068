/**
 * Account status changes made by people, not by J-LIS (docs/architecture.md §1: residents and operators;
 * §3.4): a resident closing their own private ID — the Act on the Protection of Personal
 * Information (APPI) Art. 35 lets a person ask a business to stop using and delete their data —
 * and an operator suspending, resuming or closing an account (abuse, a court order, a resident's
 * request by phone).
 *
 * One call is ONE transaction, like a sweep batch (sweep.ts): the account's new status, its
 * sessions, its OIDC grants, the erasure, the audit events, and — through the same audit events
 * the sweep writes (`account.status_changed`, `account.closed`) and `factsFromAudit` — the notice
 * for the resident and the events to its RPs (events/outbox.ts). A rolled-back change sends
 * nothing; a committed one cannot lose its events.
 *
 * The state machine (`accounts.status` / `status_reason`):
 * - **close** → `closed`, from any status but `closed` (terminal: `account_already_closed`).
 *   `status_reason` is `resident_request` (the resident's own closure, or an operator's with
 *   `erase`: the resident asked by phone) or `operator`. Every session is revoked, every
 *   authenticator revoked (`account_closed`; a device erases its key when it sees that, §3.5),
 *   every oidc-provider artefact of the account deleted (grants, codes, access and refresh tokens,
 *   provider sessions: a refresh is `invalid_grant`), every consent to an RP and every J-LIS
 *   latest-basic-4 consent marked withdrawn (the platform never asks J-LIS for this resident
 *   again; the J-LIS-side record needs the resident's card to withdraw, §3.1 step 5). RPs get
 *   RISC `account-purged` and a back-channel logout token. A resident cannot close an account an
 *   operator suspended (`account_close_refused`): the suspension may be a legal hold; they ask
 *   the operator, who can close it with `erase`.
 * - **suspend** (operator) → `suspended` / `operator`, from `live`, `needs_reproofing` or a
 *   `certificateHold` suspension (the operator's then outlasts the hold: the sweep only releases
 *   `certificateHold`). Sessions are revoked and provider sessions deleted, so nobody stays signed
 *   in; grants stay, so RP tokens work again after a resume (while suspended, `findAccount` in
 *   oidc/provider.ts refuses the account: refresh and userinfo fail). RISC `account-disabled`
 *   with `watashi_reason: operator`.
 * - **resume** (operator) only lifts an operator's suspension. A `certificateHold` suspension
 *   belongs to the sweep (`account_hold_resume_refused`): the card is lost until J-LIS's CRL says
 *   otherwise. The account returns to what its current signing anchor supports: `live` when it is
 *   good; still `suspended` but now for `certificateHold` when the card was held meanwhile; `live`
 *   then `needs_reproofing` (two events: enabled, then credential revoked) when it was revoked
 *   meanwhile (the sweep leaves an operator's suspension alone, so it could not say so itself).
 *
 * **What a resident's closure erases** (also an operator's closure with `erase`, for a resident's
 * request made by phone), in the same transaction:
 * - the sealed basic 4 information (`basic4` row) — the personal data itself;
 * - the personas (names and claim sets the resident chose); their consents keep `persona_name`
 *   as part of the provision record below, `persona_id` becomes NULL;
 * - the person key (`accounts.person_key`, a keyed hash of name, date of birth and sex used only
 *   to match live accounts): zeroed, `person_key_id = 'erased'`;
 * - the labels the resident gave authenticators ("Taro's phone");
 * - the anchors (the card certificates' issuer and serial — J-LIS's 発行番号, which identifies the
 *   holder — certificate hash and revocation evidence) and the J-LIS latest-basic-4 consents that
 *   name them. Nothing needs them once the account is closed (closed is terminal, the sweep skips
 *   it); the record of the verification stays in the audit log (`anchor.added`,
 *   `consent.granted`). Erasing them also frees the card: the resident may enrol again later with
 *   the same card, into a new account with new `sub`s (anchors are unique by issuer and serial).
 *
 * **What is kept**, and why (docs/architecture.md says nothing on retention; migration 0001 does: closed
 * "rows are kept for audit and to keep pairwise subjects stable"):
 * - the `accounts` row (id, status, dates): the audit log and the RPs' pairwise `sub` refer to it;
 * - the hash-chained audit log (ids, hashes and serials, never basic 4 information; deleting
 *   would break the chain);
 * - the consents to RPs, withdrawn (`oidc_consents`: RP, claim names, persona name, when): APPI
 *   Art. 29 requires a record of each provision of personal data to a third party, kept up to
 *   three years;
 * - notices, revoked sessions (token hashes) and authenticators (public keys), the fee ledger
 *   (J-LIS bills by it), and the outbox rows that tell the RPs.
 * A closed account is never matched again (enrolment skips closed accounts' person keys). An
 * account closed without erasure (death, an operator without `erase`) keeps its anchors, so its
 * card stays refused (`enrolment_account_closed`).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { WatashiError } from '@watashi/pki';
import type { KeyStore } from '../keys/key-store.ts';
import { appendAuditMany, type AuditEvent } from '../store/audit.ts';
import { withTransaction } from '../store/database.ts';
import type { JsonObject } from '../store/json.ts';
import type { AccountStatus, Schema } from '../store/schema.ts';
import { factsFromAudit, recordLifecycleFacts } from './events/outbox.ts';

/** Stable codes of {@link changeAccountStatus} (HTTP status in `detail.status`). */
export type AccountStatusErrorCode =
  /** Not a UUID (400). */
  | 'account_id_invalid'
  /** No account with this id (404). */
  | 'account_not_found'
  /** The account is closed; closing is terminal (409). */
  | 'account_already_closed'
  /** An operator suspended it already (409). */
  | 'account_already_suspended'
  /** Resume of an account that is not suspended (409). */
  | 'account_resume_refused'
  /** Resume of a suspension for a lost card (certificateHold): only the sweep lifts it (409). */
  | 'account_hold_resume_refused'
  /** The resident may not close an account an operator suspended (409). */
  | 'account_close_refused'
  /** The operator's reason is missing, too long, or not one line of text (400). */
  | 'account_reason_invalid';

const accountError = (
  code: AccountStatusErrorCode,
  status: number,
  message: string,
  detail: Record<string, unknown> = {},
): WatashiError<AccountStatusErrorCode> => new WatashiError(code, message, { detail: { ...detail, status } });

/** `accounts.status_reason` of an operator's suspension or closure. */
export const OPERATOR_REASON = 'operator';
/** `accounts.status_reason` of a closure the resident asked for. */
export const RESIDENT_REASON = 'resident_request';
/** Longest operator reason kept (it goes to the audit log for good). */
export const MAX_REASON_LENGTH = 200;

/** What {@link changeAccountStatus} needs of the platform. */
export interface AccountStatusDeps {
  readonly db: Kysely<Schema>;
  /** Pairwise subjects of the RP events (events/outbox.ts). */
  readonly keys: Pick<KeyStore, 'mac'>;
  readonly now: () => Date;
}

/** A change asked for. */
export type AccountStatusRequest =
  | {
      readonly action: 'close';
      readonly by: 'resident';
      readonly accountId: string;
    }
  | {
      readonly action: 'close' | 'suspend' | 'resume';
      readonly by: 'operator';
      readonly accountId: string;
      /**
       * Why (a case reference, "abuse report 1234", "resident asked by phone"): one line, at most
       * {@link MAX_REASON_LENGTH} characters. Kept in the audit log for good — write no personal
       * data. Never sent to RPs or shown to the resident.
       */
      readonly reason: string;
      /** Who: the audit actor is `operator:<who>` (default `cli`). */
      readonly operator?: string;
      /**
       * close only: the resident asked (e.g. by phone) — erase their data as their own closure
       * does, which lets their card enrol afresh later (`status_reason = 'resident_request'`).
       */
      readonly erase?: boolean;
    };

/** What one change did. */
export interface AccountStatusChange {
  readonly accountId: string;
  readonly action: 'close' | 'suspend' | 'resume';
  readonly from: AccountStatus;
  readonly to: AccountStatus;
  /** `status_reason` now: `operator`, `resident_request`, a CRL reason, or null. */
  readonly reason: string | null;
  readonly at: string;
  readonly sessionsRevoked: number;
  /** oidc-provider grants deleted with their tokens (closure). */
  readonly grantsRevoked: number;
  /** Outbox rows written for the RPs. */
  readonly deliveries: number;
  /** What was erased (closure with erasure), by item. */
  readonly erased: Readonly<Record<string, number>> | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// One line of printable text: no control characters (C0, DEL, C1) and no line/paragraph separators.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** The operator's reason, trimmed, or `account_reason_invalid`. */
function checkReason(reason: string): string {
  const r = reason.trim();
  if (r.length === 0 || r.length > MAX_REASON_LENGTH || UNPRINTABLE.test(r))
    throw accountError(
      'account_reason_invalid',
      400,
      `a reason of 1 to ${MAX_REASON_LENGTH} characters on one line is required`,
    );
  return r;
}

/**
 * Suspends, resumes or closes an account (the module comment has the rules), in one transaction
 * with its audit events, the resident's notice and the RPs' events.
 */
export async function changeAccountStatus(
  deps: AccountStatusDeps,
  request: AccountStatusRequest,
): Promise<AccountStatusChange> {
  if (!UUID.test(request.accountId))
    throw accountError('account_id_invalid', 400, 'the account id is not a UUID');
  const note = request.by === 'operator' ? checkReason(request.reason) : undefined;
  const actor =
    request.by === 'resident' ? `account:${request.accountId}` : `operator:${request.operator ?? 'cli'}`;
  const accountId = request.accountId.toLowerCase();

  return withTransaction(deps.db, async (trx) => {
    const now = deps.now();
    const account = await trx
      .selectFrom('accounts')
      .select(['status', 'status_reason'])
      .where('id', '=', accountId)
      .forUpdate()
      .executeTakeFirst();
    if (account === undefined) throw accountError('account_not_found', 404, 'no account with this id');
    const from = account.status;
    if (from === 'closed') throw accountError('account_already_closed', 409, 'the account is closed');
    const heldByOperator = from === 'suspended' && account.status_reason !== 'certificateHold';
    const erasing = request.by === 'resident' || request.erase === true;

    const audit: AuditEvent[] = [];
    const base = {
      ...(note === undefined ? {} : { note }),
      by: request.by,
    } satisfies JsonObject;
    let to: AccountStatus;
    let reason: string | null;
    let sessionsRevoked = 0;
    let grantsRevoked = 0;
    let erased: Record<string, number> | null = null;

    switch (request.action) {
      case 'close': {
        if (request.by === 'resident' && heldByOperator)
          throw accountError(
            'account_close_refused',
            409,
            'the operator suspended this account: ask the operator to close it',
          );
        to = 'closed';
        // An operator's closure with erasure acts on the resident's own request (by phone).
        reason = erasing ? RESIDENT_REASON : OPERATOR_REASON;
        await setStatus(trx, accountId, to, reason, now);
        sessionsRevoked = await revokeSessions(trx, accountId, now);
        audit.push({
          actor,
          type: 'account.closed',
          accountId,
          at: now,
          payload: { ...base, from, to, reason, sessionsRevoked },
        });
        break;
      }
      case 'suspend': {
        if (heldByOperator)
          throw accountError('account_already_suspended', 409, 'an operator suspended this account already');
        to = 'suspended';
        reason = OPERATOR_REASON;
        await setStatus(trx, accountId, to, reason, now);
        sessionsRevoked = await revokeSessions(trx, accountId, now);
        await deleteProviderSessions(trx, accountId);
        audit.push({
          actor,
          type: 'account.status_changed',
          accountId,
          at: now,
          payload: {
            ...base,
            from,
            ...(from === 'suspended' ? { fromReason: account.status_reason } : {}),
            to,
            reason,
            sessionsRevoked,
          },
        });
        break;
      }
      case 'resume': {
        if (from !== 'suspended')
          throw accountError('account_resume_refused', 409, `the account is ${from}, not suspended`, {
            accountStatus: from,
          });
        if (!heldByOperator)
          throw accountError(
            'account_hold_resume_refused',
            409,
            'the account is suspended because its card was reported lost (certificateHold): only J-LIS lifts that',
          );
        // What the current signing anchor supports (the sweep left the operator's suspension alone).
        const anchor = await trx
          .selectFrom('anchors')
          .select(['id', 'status', 'revocation_reason'])
          .where('account_id', '=', accountId)
          .where('purpose', '=', 'sign')
          .where('superseded_by', 'is', null)
          .orderBy('created_at', 'desc')
          .limit(1)
          .executeTakeFirst();
        const revoked = anchor?.status === 'revoked' ? (anchor.revocation_reason ?? 'unspecified') : null;
        if (revoked === 'certificateHold') {
          to = 'suspended';
          reason = 'certificateHold';
          await setStatus(trx, accountId, to, reason, now);
          audit.push({
            actor,
            type: 'account.status_changed',
            accountId,
            at: now,
            payload: { ...base, from, fromReason: OPERATOR_REASON, to, reason, anchorId: anchor!.id },
          });
          break;
        }
        audit.push({
          actor,
          type: 'account.status_changed',
          accountId,
          at: now,
          payload: { ...base, from, to: 'live', reason: OPERATOR_REASON },
        });
        if (revoked === null) {
          to = 'live';
          reason = null;
        } else {
          to = 'needs_reproofing';
          reason = revoked;
          audit.push({
            actor,
            type: 'account.status_changed',
            accountId,
            at: now,
            payload: { from: 'live', to, reason, anchorId: anchor!.id },
          });
        }
        await setStatus(trx, accountId, to, reason, now);
        break;
      }
    }

    // The resident's notice and the RPs' events, while the grants that name the RPs still exist.
    const outbox = await recordLifecycleFacts(deps, trx, factsFromAudit(audit));
    if (to === 'closed') {
      grantsRevoked = await endEverythingIssued(trx, accountId, now);
      const closed = audit[0]!;
      closed.payload = { ...closed.payload, grantsRevoked };
      if (erasing) {
        erased = await eraseResidentData(trx, accountId);
        closed.payload = { ...closed.payload, erased };
      }
    }
    // Last: the audit head lock is held until commit (store/audit.ts).
    await appendAuditMany(trx, audit);
    return {
      accountId,
      action: request.action,
      from,
      to,
      reason,
      at: now.toISOString(),
      sessionsRevoked,
      grantsRevoked,
      deliveries: outbox.deliveries,
      erased,
    };
  });
}

async function setStatus(
  trx: Transaction<Schema>,
  accountId: string,
  status: AccountStatus,
  reason: string | null,
  now: Date,
): Promise<void> {
  await trx
    .updateTable('accounts')
    .set({ status, status_reason: reason, status_changed_at: now, updated_at: now })
    .where('id', '=', accountId)
    .execute();
}

/** Ends the account's live platform sessions; returns how many. */
async function revokeSessions(trx: Transaction<Schema>, accountId: string, now: Date): Promise<number> {
  const r = await trx
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** The OpenID Provider's single sign-on sessions of the account (no silent login at RPs). */
async function deleteProviderSessions(trx: Transaction<Schema>, accountId: string): Promise<void> {
  await trx
    .deleteFrom('oidc_models')
    .where('model', '=', 'Session')
    .where(sql<string>`payload->>'accountId'`, '=', accountId)
    .execute();
}

/**
 * On closure — by the resident, an operator, or the sweep (death, emigration): every
 * oidc-provider artefact of the accounts (grants and everything issued under them, provider
 * sessions), consents to RPs withdrawn (as oidc/consents.ts `endGrants` does per RP),
 * authenticators revoked, J-LIS consents withdrawn — in one statement, as a sweep batch closes
 * dozens of accounts at once. Returns the number of grants ended. Call it after the closure's
 * events are in the outbox: the outbox finds the RPs to tell through these grants.
 */
export async function endEverythingIssued(
  trx: Transaction<Schema>,
  account: string | readonly string[],
  now: Date,
): Promise<number> {
  const accountIds = typeof account === 'string' ? [account] : [...new Set(account)];
  if (accountIds.length === 0) return 0;
  const list = () => sql.join(accountIds);
  // Every data-modifying WITH runs once and to completion, read by the final SELECT or not.
  const { rows } = await sql<{ grants: string }>`
    WITH withdrawn AS (
        UPDATE oidc_consents SET withdrawn_at = ${now}
        WHERE account_id IN (${list()}) AND withdrawn_at IS NULL
        RETURNING grant_id),
      granted AS (
        SELECT id FROM oidc_models
        WHERE model = 'Grant' AND payload->>'accountId' IN (${list()})),
      ended AS (SELECT grant_id AS id FROM withdrawn UNION SELECT id FROM granted),
      deleted AS (
        DELETE FROM oidc_models
        WHERE grant_id IN (SELECT id FROM ended)
          OR (model = 'Grant' AND id IN (SELECT id FROM ended))
          OR (model = 'Session' AND payload->>'accountId' IN (${list()}))
        RETURNING 1),
      passkeys AS (
        UPDATE authenticators SET revoked_at = ${now}, revocation_reason = 'account_closed'
        WHERE account_id IN (${list()}) AND revoked_at IS NULL
        RETURNING 1),
      devices AS (
        -- Watashi's own certificates on the resident's devices (devices/): published as revoked
        -- by the CRL and OCSP at once (RFC 5280 §5.3.1 cessationOfOperation).
        UPDATE device_certificates
        SET revoked_at = ${now}, revocation_reason = 'cessationOfOperation', activation_hash = NULL
        WHERE account_id IN (${list()}) AND revoked_at IS NULL
        RETURNING 1),
      jlis AS (
        UPDATE consents SET withdrawn_at = ${now}
        WHERE account_id IN (${list()}) AND withdrawn_at IS NULL
        RETURNING 1)
    SELECT count(id) AS grants FROM ended`.execute(trx);
  return Number(rows[0]?.grants ?? 0);
}

/** The erasure of a resident's closure (module comment); returns the count per item. */
async function eraseResidentData(
  trx: Transaction<Schema>,
  accountId: string,
): Promise<Record<string, number>> {
  const sealed = await trx.deleteFrom('basic4').where('account_id', '=', accountId).executeTakeFirst();
  const personas = await trx.deleteFrom('personas').where('account_id', '=', accountId).executeTakeFirst();
  // The card's certificates: J-LIS consents name an anchor, so they go first. The audit log keeps
  // what was verified (`anchor.added`, `consent.granted`: ids, serial, hashes).
  const jlisConsents = await trx
    .deleteFrom('consents')
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  const anchors = await trx.deleteFrom('anchors').where('account_id', '=', accountId).executeTakeFirst();
  const key = await trx
    .updateTable('accounts')
    .set({ person_key: new Uint8Array(32), person_key_id: 'erased' })
    .where('id', '=', accountId)
    .executeTakeFirst();
  const labels = await trx
    .updateTable('authenticators')
    .set({ label: null })
    .where('account_id', '=', accountId)
    .where('label', 'is not', null)
    .executeTakeFirst();
  return {
    sealedAttributes: Number(sealed.numDeletedRows),
    personas: Number(personas.numDeletedRows),
    anchors: Number(anchors.numDeletedRows),
    jlisConsents: Number(jlisConsents.numDeletedRows),
    personKey: Number(key.numUpdatedRows),
    authenticatorLabels: Number(labels.numUpdatedRows),
  };
}
