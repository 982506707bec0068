import { describe, expect, it } from 'vitest';
import { eraYear, formatDate, formatDateTime } from './dates.ts';

describe('dates in the Japanese calendar', () => {
  it('ok-birth-date-with-era-and-western-year', () => {
    expect(formatDate('1988-04-12', 'ja')).toBe('昭和63年4月12日 (1988年)');
    expect(formatDate('1988-04-12', 'ja-x-easy')).toBe('昭和63年4月12日 (1988年)');
    expect(formatDate('1988-04-12', 'en')).toBe('12 April 1988');
  });

  it('ok-era-boundaries-and-first-years', () => {
    expect(formatDate('1989-01-07', 'ja')).toBe('昭和64年1月7日 (1989年)');
    expect(formatDate('1989-01-08', 'ja')).toBe('平成元年1月8日 (1989年)');
    expect(formatDate('2019-04-30', 'ja')).toBe('平成31年4月30日 (2019年)');
    expect(formatDate('2019-05-01', 'ja')).toBe('令和元年5月1日 (2019年)');
    expect(formatDate('2000-02-29', 'ja')).toBe('平成12年2月29日 (2000年)');
    expect(eraYear({ y: 1926, m: 12, d: 25 })).toBe('昭和元年');
    expect(eraYear({ y: 1926, m: 12, d: 24 })).toBe('大正15年');
    expect(eraYear({ y: 1912, m: 7, d: 30 })).toBe('大正元年');
    expect(eraYear({ y: 1868, m: 10, d: 22 })).toBeUndefined();
    expect(formatDate('1868-01-01', 'ja')).toBe('1868年1月1日');
  });

  it('ok-instants-in-local-time', () => {
    const local = new Date(2026, 11, 7, 9, 5).toISOString();
    expect(formatDateTime(local, 'ja')).toBe('令和8年12月7日 (2026年) 09:05');
    expect(formatDateTime(local, 'en')).toBe('7 December 2026, 09:05');
    expect(formatDate(local, 'ja')).toBe('令和8年12月7日 (2026年)');
  });

  it('fail-unreadable-input-is-shown-as-is', () => {
    expect(formatDate('not a date', 'ja')).toBe('not a date');
    expect(formatDateTime('', 'en')).toBe('');
  });
});
