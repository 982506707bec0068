/**
 * Dates as residents read them. Japanese (and easy Japanese): the Japanese calendar with the
 * Western year after it, 「昭和63年4月12日 (1988年)」, the first year of an era written 元年 as in
 * official documents; English: 「12 April 1988」. Computed here rather than through
 * `Intl`'s japanese calendar, whose output (元年, era names of the Meiji period) varies between
 * browsers and ICU versions.
 */
import type { Locale } from '../i18n/index.ts';

/** The eras since 明治, newest first, with the Gregorian day each began (Gengō; 明治: 1868-10-23). */
const ERAS: ReadonlyArray<{ readonly name: string; readonly start: readonly [number, number, number] }> = [
  { name: '令和', start: [2019, 5, 1] },
  { name: '平成', start: [1989, 1, 8] },
  { name: '昭和', start: [1926, 12, 25] },
  { name: '大正', start: [1912, 7, 30] },
  { name: '明治', start: [1868, 10, 23] },
];

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** A calendar day. */
interface Day {
  readonly y: number;
  readonly m: number;
  readonly d: number;
}

const before = (a: Day, b: readonly [number, number, number]): boolean =>
  a.y !== b[0] ? a.y < b[0] : a.m !== b[1] ? a.m < b[1] : a.d < b[2];

/** `昭和63年` for a day (`元年` for the first year), or undefined before 明治. */
export function eraYear(day: Day): string | undefined {
  const era = ERAS.find((e) => !before(day, e.start));
  if (era === undefined) return undefined;
  const n = day.y - era.start[0] + 1;
  return `${era.name}${n === 1 ? '元' : String(n)}年`;
}

function formatDay(day: Day, locale: Locale): string {
  if (locale === 'en') return `${day.d} ${MONTHS[day.m - 1] ?? ''} ${day.y}`;
  const era = eraYear(day);
  return era === undefined ? `${day.y}年${day.m}月${day.d}日` : `${era}${day.m}月${day.d}日 (${day.y}年)`;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A calendar date: `YYYY-MM-DD` as written (a date of birth has no time zone), or the local day of
 * an ISO instant. Unreadable input is returned as it is.
 */
export function formatDate(value: string, locale: Locale): string {
  const m = DATE_ONLY.exec(value);
  if (m !== null) return formatDay({ y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) }, locale);
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) return value;
  return formatDay({ y: t.getFullYear(), m: t.getMonth() + 1, d: t.getDate() }, locale);
}

/** An instant: its local day as {@link formatDate} writes it, then the local time (24-hour). */
export function formatDateTime(value: string, locale: Locale): string {
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) return value;
  const time = `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
  const day = formatDay({ y: t.getFullYear(), m: t.getMonth() + 1, d: t.getDate() }, locale);
  return locale === 'en' ? `${day}, ${time}` : `${day} ${time}`;
}
