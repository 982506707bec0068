/**
 * Japanese eras (元号) for the date-of-birth field of the basic 4 information. docs/jpki.md §1.4:
 * the DOB is `EYYYYMMDD` — an era digit (`1` Meiji … `5` Reiwa, `0` unknown) followed by the
 * **Gregorian** date. The era digit is derived from the date with the start dates below.
 */
import { jpkiError } from '../errors.ts';

/** Era digit of the JPKI date of birth: 0 unknown, 1 Meiji, 2 Taishō, 3 Shōwa, 4 Heisei, 5 Reiwa. */
export type EraDigit = 0 | 1 | 2 | 3 | 4 | 5;

/** One era: its digit, its name and its first day (Gregorian, `YYYY-MM-DD`). */
export interface Era {
  readonly digit: Exclude<EraDigit, 0>;
  readonly name: string;
  readonly romaji: string;
  readonly start: string;
}

/**
 * The eras, oldest first. Start dates are the first day of year 1 of each era (Gregorian):
 * - Meiji: **1868-01-25** (Keiō 4/1/1). The era was proclaimed on 1868-10-23, but the edict
 *   (一世一元の詔) renamed the whole year, so anyone born from the lunar new year 1868 is Meiji 1.
 *   Nobody alive was born that year, so the choice only affects what we accept, not what we emit.
 * - Taishō 1912-07-30, Shōwa 1926-12-25, Heisei 1989-01-08, Reiwa 2019-05-01.
 */
export const ERAS: ReadonlyArray<Era> = [
  { digit: 1, name: '明治', romaji: 'Meiji', start: '1868-01-25' },
  { digit: 2, name: '大正', romaji: 'Taishō', start: '1912-07-30' },
  { digit: 3, name: '昭和', romaji: 'Shōwa', start: '1926-12-25' },
  { digit: 4, name: '平成', romaji: 'Heisei', start: '1989-01-08' },
  { digit: 5, name: '令和', romaji: 'Reiwa', start: '2019-05-01' },
];

/** True when `y-m-d` is a real Gregorian calendar date. */
export function isCalendarDate(y: number, m: number, d: number): boolean {
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d)) return false;
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  const t = new Date(Date.UTC(2000, m - 1, d));
  t.setUTCFullYear(y);
  return t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/**
 * The era of a complete Gregorian date `YYYY-MM-DD`, or `undefined` before Meiji (no JPKI era
 * digit exists for it). Comparison is lexical on zero-padded ISO dates.
 */
export function eraOf(isoDate: string): Era | undefined {
  let found: Era | undefined;
  for (const e of ERAS) if (isoDate >= e.start) found = e;
  return found;
}

/** The era with digit `digit`. */
export function eraByDigit(digit: Exclude<EraDigit, 0>): Era {
  const e = ERAS[digit - 1];
  if (!e) throw new RangeError(`no era ${String(digit)}`);
  return e;
}

/** A date of birth as carried by JPKI: the era digit and the Gregorian date. */
export interface DateOfBirth {
  readonly era: EraDigit;
  /** `YYYY-MM-DD` when complete; otherwise the raw 8 characters (`YYYYMM00`, `YYYY0000`, …). */
  readonly date: string;
}

/** Formats a date of birth in the certificate's wire form `EYYYYMMDD` (docs/jpki.md §1.4). */
export function formatDateOfBirth(dob: DateOfBirth): string {
  const raw = /^\d{4}-\d{2}-\d{2}$/.test(dob.date) ? dob.date.replace(/-/g, '') : dob.date;
  if (!/^\d{8}$/.test(raw)) throw new RangeError(`date of birth must be YYYY-MM-DD or 8 digits: ${dob.date}`);
  return `${String(dob.era)}${raw}`;
}

function malformed(reason: string, value?: string): never {
  throw jpkiError('basic4_malformed', `malformed date of birth: ${reason}`, {
    detail: { field: 'dateOfBirth', reason, ...(value === undefined ? {} : { length: value.length }) },
  });
}

/**
 * Parses the wire form `EYYYYMMDD`. Complete dates must be real calendar dates whose era matches
 * the digit (era `0`, unknown, accepts any date). Incomplete dates — month `00` (then day `00`), or
 * day `00` — are kept raw [I: docs/jpki.md §1.4 "incomplete dates probably occur"]; for them a
 * non-zero era only has to cover the year. Throws `basic4_malformed` with `detail.field = 'dateOfBirth'`.
 */
export function parseDateOfBirth(s: string): DateOfBirth {
  if ([...s].length !== 9) malformed('not 9 characters', s);
  if (!/^\d{9}$/.test(s)) malformed('not all digits', s);
  const era = Number(s[0]);
  if (era > 5) malformed('invalid era digit');
  const raw = s.slice(1);
  const y = Number(raw.slice(0, 4));
  const m = Number(raw.slice(4, 6));
  const d = Number(raw.slice(6, 8));
  const complete = m !== 0 && d !== 0;
  if (complete) {
    if (!isCalendarDate(y, m, d)) malformed('impossible date');
    const iso = `${raw.slice(0, 4)}-${raw.slice(4, 6)}-${raw.slice(6, 8)}`;
    if (era !== 0) {
      const e = eraOf(iso);
      if (e?.digit !== era) malformed('era does not match the date');
    }
    return { era: era, date: iso };
  }
  if (m === 0 && d !== 0) malformed('day given without a month');
  if (m > 12) malformed('impossible date');
  if (d !== 0 && !isCalendarDate(y === 0 ? 2000 : y, m, d)) malformed('impossible date');
  if (era !== 0) {
    // The era must overlap the (partially) known year.
    const e = eraByDigit(era as Exclude<EraDigit, 0>);
    const next = ERAS[era];
    const firstYear = Number(e.start.slice(0, 4));
    const lastYear = next ? Number(next.start.slice(0, 4)) : 9999;
    if (y < firstYear || y > lastYear) malformed('era does not match the year');
  }
  return { era: era as EraDigit, date: raw };
}

/** Era year of `isoDate` within `era` (1 for the first year). */
function eraYear(era: Era, year: number): number {
  return year - Number(era.start.slice(0, 4)) + 1;
}

/**
 * Japanese display of a date of birth, e.g. `昭和55年2月17日`; the first year of an era is written
 * `元年` (the official style, e.g. `令和元年5月1日`) unless `gannen: false`. Incomplete dates end in
 * `月日不詳` / `日不詳`; era `0` (unknown) is shown in the Gregorian calendar (`1980年2月17日`).
 */
export function formatJapaneseDate(dob: DateOfBirth, options: { gannen?: boolean } = {}): string {
  const raw = formatDateOfBirth(dob).slice(1);
  const y = Number(raw.slice(0, 4));
  const m = Number(raw.slice(4, 6));
  const d = Number(raw.slice(6, 8));
  let yearPart: string;
  if (dob.era === 0) yearPart = `${String(y)}年`;
  else {
    const era = eraByDigit(dob.era);
    const n = eraYear(era, y);
    yearPart = `${era.name}${n === 1 && options.gannen !== false ? '元' : String(n)}年`;
  }
  if (m === 0) return `${yearPart}月日不詳`;
  if (d === 0) return `${yearPart}${String(m)}月日不詳`;
  return `${yearPart}${String(m)}月${String(d)}日`;
}
