/**
 * The monthly fee report (issue 5: "`watashi fees --month YYYY-MM` reports it per RP and
 * purpose"), read from the fee ledger (jlis/ledger.ts).
 *
 * **Months are Japan time (JST, UTC+9, no daylight saving).** J-LIS is in Japan and bills
 * Japanese calendar months, so the month `2026-11` is [2026-11-01T00:00+09:00,
 * 2026-12-01T00:00+09:00), i.e. [2026-10-31T15:00Z, 2026-11-30T15:00Z). A query at 2026-10-31T15:30Z
 * (00:30 on 1 November in Tokyo) is November's.
 */
import { sql, type Kysely } from 'kysely';
import { WatashiError } from '@watashi/pki';
import type { FeePurpose, Schema } from '../store/schema.ts';

/** Japan Standard Time, in milliseconds east of UTC (Japan has no daylight saving time). */
const JST_OFFSET_MS = 9 * 3600_000;

/** A billing month in Japan time. */
export interface FeeMonth {
  /** `YYYY-MM`. */
  readonly month: string;
  /** First instant of the month (00:00 JST on the 1st). */
  readonly from: Date;
  /** First instant of the next month (exclusive). */
  readonly to: Date;
}

/**
 * Parses `YYYY-MM` (years 2000–9999) into its JST bounds. Anything else is `fees_month_invalid`
 * (bad input: CLI exit code 3, HTTP 400).
 */
export function parseFeeMonth(input: string): FeeMonth {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(input);
  const year = m === null ? NaN : Number(m[1]);
  if (m === null || year < 2000)
    throw new WatashiError('fees_month_invalid', 'the month must be YYYY-MM (for example 2026-11)', {
      detail: { status: 400 },
    });
  const month = Number(m[2]);
  return {
    month: input,
    from: new Date(Date.UTC(year, month - 1, 1) - JST_OFFSET_MS),
    to: new Date(Date.UTC(year, month, 1) - JST_OFFSET_MS),
  };
}

/** The current month in Japan time (`YYYY-MM`). */
export function currentFeeMonth(now: Date): string {
  return new Date(now.getTime() + JST_OFFSET_MS).toISOString().slice(0, 7);
}

/** One line of the report: a relying party (null: the platform's own queries) and a purpose. */
export interface FeeReportLine {
  readonly clientId: string | null;
  readonly purpose: FeePurpose;
  readonly queries: number;
  /** Of which failed (recorded with an error code). */
  readonly failed: number;
  readonly yen: number;
}

/** What J-LIS queries of one month cost. */
export interface FeeReport {
  readonly month: string;
  readonly timezone: 'Asia/Tokyo';
  readonly from: string;
  readonly to: string;
  /** Sorted by relying party (platform first), then purpose. */
  readonly lines: ReadonlyArray<FeeReportLine>;
  /** Per method (`ocsp`, `crl`, `provision`, …), for the cadence question. */
  readonly methods: ReadonlyArray<{
    readonly method: string;
    readonly queries: number;
    readonly yen: number;
  }>;
  readonly total: { readonly queries: number; readonly yen: number };
}

/** The report of `month` (`YYYY-MM`, Japan time; see the module comment). */
export async function feeReport(db: Kysely<Schema>, month: string): Promise<FeeReport> {
  const m = parseFeeMonth(month);
  const inMonth = db.selectFrom('fee_ledger').where('at', '>=', m.from).where('at', '<', m.to);
  const lines = await inMonth
    .select((eb) => [
      'client_id',
      'purpose',
      eb.fn.countAll<string>().as('queries'),
      eb.fn.countAll<string>().filterWhere('outcome', '=', 'error').as('failed'),
      eb.fn.sum<string>('price_yen').as('yen'),
    ])
    .groupBy(['client_id', 'purpose'])
    .orderBy(sql`client_id NULLS FIRST`)
    .orderBy('purpose')
    .execute();
  const methods = await inMonth
    .select((eb) => [
      'method',
      eb.fn.countAll<string>().as('queries'),
      eb.fn.sum<string>('price_yen').as('yen'),
    ])
    .groupBy('method')
    .orderBy('method')
    .execute();
  const out = lines.map((l) => ({
    clientId: l.client_id,
    purpose: l.purpose,
    queries: Number(l.queries),
    failed: Number(l.failed),
    yen: Number(l.yen ?? 0),
  }));
  return {
    month: m.month,
    timezone: 'Asia/Tokyo',
    from: m.from.toISOString(),
    to: m.to.toISOString(),
    lines: out,
    methods: methods.map((r) => ({ method: r.method, queries: Number(r.queries), yen: Number(r.yen ?? 0) })),
    total: {
      queries: out.reduce((a, l) => a + l.queries, 0),
      yen: out.reduce((a, l) => a + l.yen, 0),
    },
  };
}
