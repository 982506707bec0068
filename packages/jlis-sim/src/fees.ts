/**
 * The fee meter (docs/jpki.md §2.2 and §4.2): J-LIS charges the querying platform operator
 * ¥20 per signing-certificate check, ¥2 per user-authentication-certificate check and ¥20 per
 * latest-basic-4 provision that returns data. CRL downloads are counted but free (the CRL method is
 * free permanently). `fees.freePeriod` models the free period of the checks from January 2023.
 * Counters are kept per operator × month (JST) × purpose × item; the purpose is what PF operators
 * report (signature_verification / liveness_check, docs/jpki.md §4.4) or `provision`.
 */
import type { SimContext } from './context.ts';
import { simError } from './errors.ts';
import type { FeeRecord } from './model.ts';

/** Purposes a check can be made for. */
const CHECK_PURPOSES = ['signature_verification', 'liveness_check'] as const;
/** Purpose of a check. */
export type CheckPurpose = (typeof CHECK_PURPOSES)[number];
/** What is metered. */
export type FeeItem = 'ocsp-sign' | 'ocsp-auth' | 'crl' | 'provision';

/** Validates a caller-given purpose (header or parameter); default `signature_verification`. */
export function checkPurpose(value: string | undefined): CheckPurpose {
  if (value === undefined || value === '') return 'signature_verification';
  if ((CHECK_PURPOSES as ReadonlyArray<string>).includes(value)) return value as CheckPurpose;
  throw simError('purpose_invalid', `purpose must be one of ${CHECK_PURPOSES.join(', ')}`);
}

/** Operator IDs are short tokens (they come from a header or the basic-auth user name). */
export function checkOperatorId(value: string | undefined): string {
  if (value === undefined || value === '') return 'anonymous';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(value))
    throw simError('operator_invalid', 'operator id must match [A-Za-z0-9._-]{1,64}');
  return value;
}

/** YYYY-MM of `at` in JST (J-LIS bills by Japanese calendar month). */
export function monthOf(at: Date): string {
  return new Date(at.getTime() + 9 * 3600_000).toISOString().slice(0, 7);
}

/** Price of one item under the configuration. */
function priceOf(ctx: SimContext, item: FeeItem): number {
  const f = ctx.config.fees;
  switch (item) {
    case 'ocsp-sign':
      return f.freePeriod ? 0 : f.signCheckYen;
    case 'ocsp-auth':
      return f.freePeriod ? 0 : f.authCheckYen;
    case 'crl':
      return 0;
    case 'provision':
      return f.provisionYen;
  }
}

/** Counts one metered query. */
export function recordFee(
  ctx: SimContext,
  operatorId: string,
  purpose: string,
  item: FeeItem,
  count = 1,
): void {
  const month = monthOf(ctx.clock.now());
  let row = ctx.state.fees.find(
    (r) => r.operatorId === operatorId && r.month === month && r.purpose === purpose && r.item === item,
  );
  if (!row) {
    row = { operatorId, month, purpose, item, count: 0, yen: 0 };
    ctx.state.fees.push(row);
  }
  row.count += count;
  row.yen += priceOf(ctx, item) * count;
  ctx.saveSoon();
}

/** A fee report, optionally filtered by month and operator. */
export interface FeeReport {
  readonly rows: ReadonlyArray<FeeRecord>;
  readonly totals: { readonly count: number; readonly yen: number };
}

/** Rows matching the filters, sorted, with totals. */
export function feeReport(
  ctx: SimContext,
  filter: { month?: string | undefined; operatorId?: string | undefined } = {},
): FeeReport {
  const rows = ctx.state.fees
    .filter(
      (r) =>
        (filter.month === undefined || r.month === filter.month) &&
        (filter.operatorId === undefined || r.operatorId === filter.operatorId),
    )
    .map((r) => ({ ...r }))
    .sort(
      (a, b) =>
        a.operatorId.localeCompare(b.operatorId) ||
        a.month.localeCompare(b.month) ||
        a.purpose.localeCompare(b.purpose) ||
        a.item.localeCompare(b.item),
    );
  return {
    rows,
    totals: rows.reduce((t, r) => ({ count: t.count + r.count, yen: t.yen + r.yen }), { count: 0, yen: 0 }),
  };
}
