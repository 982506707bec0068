/**
 * Operator view of the event outbox and notices to the resident (issue 5):
 * - {@link listDeliveries} / {@link retryDelivery}: `GET /api/admin/events/deliveries`,
 *   `POST /api/admin/events/deliveries/:id/retry`, `watashi events list|retry`;
 * - {@link listNotices}: `GET /api/me/notices`, the text composed at read time from the notice's
 *   kind, reason and item names (the table holds no personal data).
 */
import type { Kysely, Transaction } from 'kysely';
import { WatashiError } from '@watashi/pki';
import { appendAudit } from '../../store/audit.ts';
import type { Database } from '../../store/database.ts';
import type { DeliveryChannel, DeliveryStatus, NoticeKind, Schema } from '../../store/schema.ts';

/** Error codes of the outbox administration. */
export type EventsErrorCode =
  /** No delivery with this id. */
  | 'event_delivery_not_found'
  /** Only a dead delivery can be retried (a pending one is retried anyway, a delivered one is done). */
  | 'event_delivery_retry_refused';

/** A delivery as operators see it (no subject, no payload). */
export interface DeliveryView {
  readonly id: string;
  readonly eventId: string;
  readonly clientId: string;
  readonly channel: DeliveryChannel;
  readonly target: string;
  readonly eventType: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly lastStatus: number | null;
  readonly nextAttemptAt: string | null;
  readonly occurredAt: string;
  readonly deliveredAt: string | null;
}

/** Deliveries, newest first, optionally of one status (at most `limit`, default 100). */
export async function listDeliveries(
  db: Kysely<Schema>,
  options: { status?: DeliveryStatus; limit?: number } = {},
): Promise<DeliveryView[]> {
  let q = db
    .selectFrom('event_deliveries')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(options.limit ?? 100);
  if (options.status !== undefined) q = q.where('status', '=', options.status);
  return (await q.execute()).map((r) => ({
    id: r.id,
    eventId: r.event_id,
    clientId: r.client_id,
    channel: r.channel,
    target: r.target,
    eventType: r.event_type,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    lastStatus: r.last_status,
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
    occurredAt: r.occurred_at.toISOString(),
    deliveredAt: r.delivered_at?.toISOString() ?? null,
  }));
}

/**
 * Puts a dead delivery back in the queue (attempts from zero, due now); audited
 * `event.delivery_retried` by `actor`.
 */
export async function retryDelivery(
  deps: { readonly database: Pick<Database, 'transaction'>; readonly now: () => Date },
  id: string,
  actor = 'operator:cli',
): Promise<void> {
  const now = deps.now();
  await deps.database.transaction(async (trx: Transaction<Schema>) => {
    const row = await trx
      .selectFrom('event_deliveries')
      .select(['status', 'client_id'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (row === undefined)
      throw new WatashiError<EventsErrorCode>('event_delivery_not_found', 'no delivery with this id', {
        detail: { id, status: 404 },
      });
    if (row.status !== 'dead')
      throw new WatashiError<EventsErrorCode>(
        'event_delivery_retry_refused',
        `the delivery is ${row.status}`,
        {
          detail: { id, status: 409 },
        },
      );
    await trx
      .updateTable('event_deliveries')
      .set({
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        locked_by: null,
        locked_until: null,
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    await appendAudit(trx, {
      actor,
      type: 'event.delivery_retried',
      at: now,
      payload: { deliveryId: id, clientId: row.client_id },
    });
  });
}

/** The wallet's names of basic 4 items. */
const ITEM_NAMES: Readonly<Record<string, { ja: string; en: string }>> = {
  name: { ja: '氏名', en: 'name' },
  address: { ja: '住所', en: 'address' },
  sex: { ja: '性別', en: 'sex' },
  birthDate: { ja: '生年月日', en: 'date of birth' },
};

/** A notice as the wallet shows it. */
export interface NoticeView {
  readonly id: string;
  readonly kind: NoticeKind;
  readonly reason: string | null;
  readonly items: readonly string[];
  readonly at: string;
  /** Whether the resident should act (re-proof with the card). */
  readonly actionRequired: boolean;
  /**
   * What the wallet offers with the notice: `reproof` — the one-step re-proofing page
   * (`/wallet/reproof`: sign with the card's new signing certificate, same account), or null.
   */
  readonly action: 'reproof' | null;
  readonly title: { readonly ja: string; readonly en: string };
}

function title(
  kind: NoticeKind,
  items: readonly string[],
  reason: string | null,
): { ja: string; en: string } {
  switch (kind) {
    case 'reproofing_required':
      // The CRL reason says why (docs/jpki.md §2.2; jlis-sim events.ts): a move or a change of
      // name (affiliationChanged), a renewed card (superseded), or otherwise.
      if (reason === 'affiliationChanged')
        return {
          ja: '引っ越しまたは氏名の変更により、カードの署名用電子証明書が失効しました。新しい証明書で本人確認をやり直してください。',
          en: 'Your card’s signing certificate was revoked because you moved or changed your name. Confirm your identity again with the new certificate.',
        };
      if (reason === 'superseded')
        return {
          ja: 'カードの更新または再発行により、前の署名用電子証明書が失効しました。新しいカードで本人確認をやり直してください。',
          en: 'Your previous signing certificate was replaced when your card was renewed or reissued. Confirm your identity again with the new card.',
        };
      return {
        ja: 'マイナンバーカードの署名用電子証明書が有効ではなくなりました。カードで本人確認をやり直してください。',
        en: 'Your card certificate is no longer valid — re-proof with your card.',
      };
    case 'attributes_updated': {
      const names = items.map((i) => ITEM_NAMES[i] ?? { ja: i, en: i });
      return {
        ja: `${names.map((n) => n.ja).join('・') || '基本4情報'}がJ-LISの最新の情報で更新されました。`,
        en: `Your ${names.map((n) => n.en).join(' and ') || 'details'} ${names.length > 1 ? 'were' : 'was'} updated from J-LIS.`,
      };
    }
    case 'suspended':
      // An operator's suspension (lifecycle/account-status.ts) or a lost card (the sweep).
      if (reason === 'operator')
        return {
          ja: '運営者がアカウントを停止しました。お問い合わせ窓口にご連絡ください。',
          en: 'The operator suspended your account. Please contact support.',
        };
      return {
        ja: 'カードの一時保留（紛失届）により、アカウントは停止中です。',
        en: 'Your card was reported lost: your account is suspended until the hold is released.',
      };
    case 'released':
      if (reason === 'operator')
        return {
          ja: '運営者がアカウントの停止を解除しました。アカウントは再び利用できます。',
          en: 'The operator lifted the suspension: your account is active again.',
        };
      return {
        ja: 'カードの一時保留が解除され、アカウントは再び利用できます。',
        en: "Your card's hold was released: your account is active again.",
      };
    case 'closed':
      if (reason === 'resident_request')
        return {
          ja: 'ご依頼によりアカウントを閉鎖し、基本4情報を消去しました。',
          en: 'You closed your account; your basic 4 information was erased.',
        };
      if (reason === 'operator')
        return { ja: '運営者がアカウントを閉鎖しました。', en: 'The operator closed your account.' };
      return { ja: 'アカウントは閉鎖されました。', en: 'Your account was closed.' };
    case 'reproofed':
      if (reason === 'jlis_provision')
        return {
          ja: 'J-LISから新しい電子証明書が登録され、アカウントは再び利用できます。',
          en: 'Your new card certificate was registered from J-LIS: your account is active again.',
        };
      return {
        ja: 'カードで本人確認をやり直しました。',
        en: 'You re-proofed with your card; your account is active again.',
      };
  }
}

/** The account's notices, newest first (at most `limit`, default 50). */
export async function listNotices(db: Kysely<Schema>, accountId: string, limit = 50): Promise<NoticeView[]> {
  const rows = await db
    .selectFrom('account_notices')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    reason: r.reason,
    items: r.items,
    at: r.created_at.toISOString(),
    actionRequired: r.kind === 'reproofing_required',
    action: r.kind === 'reproofing_required' ? ('reproof' as const) : null,
    title: title(r.kind, r.items, r.reason),
  }));
}
