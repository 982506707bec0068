/**
 * JPKI validity periods (docs/jpki.md §1.1, §1.5). All end-of-validity instants are 14:59:59Z,
 * i.e. 23:59:59 in Japan (JST = UTC+9, no daylight saving): the published roots end that way, and
 * so does an observed end-entity certificate (§1.5 [I]).
 */

const JST_OFFSET_MS = 9 * 3600_000;

/** The calendar date in Japan at instant `t`, as `[year, month 1–12, day]`. */
export function jstDate(t: Date): [number, number, number] {
  const j = new Date(t.getTime() + JST_OFFSET_MS);
  return [j.getUTCFullYear(), j.getUTCMonth() + 1, j.getUTCDate()];
}

/** 23:59:59 JST (14:59:59Z) of the given Japanese calendar date. */
export function endOfJstDay(year: number, month: number, day: number): Date {
  const d = new Date(Date.UTC(2000, month - 1, day, 14, 59, 59));
  d.setUTCFullYear(year);
  return d;
}

/** True when `t` is 14:59:59.000Z (23:59:59 JST) — the end of a JPKI validity period. */
export const isEndOfJstDay = (t: Date): boolean =>
  t.getUTCHours() === 14 &&
  t.getUTCMinutes() === 59 &&
  t.getUTCSeconds() === 59 &&
  t.getUTCMilliseconds() === 0;

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * The birthday in `year` of someone born on `month`/`day`. A 29 February birthday falls on
 * **28 February** in common years: the certificate must not outlive the day before 1 March, which
 * is also how Japanese law reaches an age for those born on 29 February (年齢計算ニ関スル法律 with
 * 民法 §143: the anniversary period ends on the day before the corresponding day, i.e. 28 February).
 * [I] — J-LIS does not publish its rule.
 */
export function birthdayIn(year: number, month: number, day: number): [number, number, number] {
  if (month === 2 && day === 29 && !isLeap(year)) return [year, 2, 28];
  return [year, month, day];
}

function parseIsoDate(s: string, what: string): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new RangeError(`${what} must be YYYY-MM-DD`);
  const ymd: [number, number, number] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(2000, ymd[1] - 1, ymd[2]));
  check.setUTCFullYear(ymd[0]);
  if (check.getUTCMonth() !== ymd[1] - 1 || check.getUTCDate() !== ymd[2])
    throw new RangeError(`${what} is not a calendar date`);
  return ymd;
}

const cmp = (a: readonly number[], b: readonly number[]): number =>
  a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;

/** Inputs of {@link jpkiValidity}. */
export interface JpkiValidityInput {
  /** Issuance instant (becomes notBefore, truncated to whole seconds). */
  readonly issuedAt: Date;
  /** Holder's date of birth, `YYYY-MM-DD` (Gregorian). */
  readonly birthDate: string;
  /** The card's expiry; the certificate ends at 23:59:59 JST of that (Japanese) day at the latest. */
  readonly cardExpiry?: Date;
}

/**
 * Validity of an end-entity certificate (docs/jpki.md §1.5 [C]: "発行の日から5回目の誕生日まで",
 * capped by the card's expiry):
 * - notBefore = `issuedAt` with second precision;
 * - notAfter = 14:59:59Z of the **5th birthday after the day of issuance**, days counted in Japan
 *   (2026-01-01T20:00Z is already 2 January in Japan). A birthday on the day of issuance does not
 *   count ("after"); 29 February is handled by {@link birthdayIn};
 * - capped by 14:59:59Z of the card expiry's Japanese calendar day.
 * Throws `RangeError` for a malformed birth date, a birth after issuance, or a card that has
 * already expired at issuance.
 */
export function jpkiValidity(input: JpkiValidityInput): { notBefore: Date; notAfter: Date } {
  if (Number.isNaN(input.issuedAt.getTime())) throw new RangeError('issuedAt is not a valid date');
  const notBefore = new Date(Math.floor(input.issuedAt.getTime() / 1000) * 1000);
  const birth = parseIsoDate(input.birthDate, 'birthDate');
  const issued = jstDate(notBefore);
  if (cmp(birth, issued) > 0) throw new RangeError('birthDate is after issuance');
  // First birthday strictly after the JST day of issuance, then four more years.
  let first = birthdayIn(issued[0], birth[1], birth[2]);
  if (cmp(first, issued) <= 0) first = birthdayIn(issued[0] + 1, birth[1], birth[2]);
  const fifth = birthdayIn(first[0] + 4, birth[1], birth[2]);
  let notAfter = endOfJstDay(...fifth);
  if (input.cardExpiry) {
    if (Number.isNaN(input.cardExpiry.getTime())) throw new RangeError('cardExpiry is not a valid date');
    const cap = endOfJstDay(...jstDate(input.cardExpiry));
    if (cap.getTime() < notAfter.getTime()) notAfter = cap;
  }
  if (notAfter.getTime() < notBefore.getTime()) throw new RangeError('the card expires before issuance');
  return { notBefore, notAfter };
}

/**
 * Default notAfter of a CA certificate issued at `notBefore` (docs/jpki.md §1.1 [C]): ten years,
 * ending 14:59:59Z on the day before the tenth anniversary of the JST issuance day — e.g.
 * 2023-07-16T00:50:27Z → 2033-07-15T14:59:59Z.
 */
export function jpkiCaNotAfter(notBefore: Date): Date {
  const [y, m, d] = jstDate(notBefore);
  const t = endOfJstDay(y + 10, m, d);
  return new Date(t.getTime() - 86_400_000);
}
