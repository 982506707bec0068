import { describe, expect, it } from 'vitest';
import { birthdayIn, jpkiCaNotAfter, jpkiValidity, jstDate } from './validity.ts';

const iso = (d: Date): string => d.toISOString();

describe('jpkiValidity (docs/jpki.md §1.5)', () => {
  it('ok-observed test card: born 02-17, issued 2025-10-27 → 2030-02-17 14:59:59Z', () => {
    const v = jpkiValidity({ issuedAt: new Date('2025-10-27T01:02:03.456Z'), birthDate: '1980-02-17' });
    expect(iso(v.notBefore)).toBe('2025-10-27T01:02:03.000Z');
    expect(iso(v.notAfter)).toBe('2030-02-17T14:59:59.000Z');
  });

  it('ok-birthday later in the year of issuance counts as the first', () => {
    const v = jpkiValidity({ issuedAt: new Date('2025-03-01T00:00:00Z'), birthDate: '1990-12-31' });
    expect(iso(v.notAfter)).toBe('2029-12-31T14:59:59.000Z');
  });

  it('ok-issued on the birthday: that birthday is not "after" issuance', () => {
    const v = jpkiValidity({ issuedAt: new Date('2025-02-17T03:00:00Z'), birthDate: '1980-02-17' });
    expect(iso(v.notAfter)).toBe('2030-02-17T14:59:59.000Z');
  });

  it('ok-JST boundary: 2026-01-01T20:00Z is 2 January in Japan, so a 1 January birthday is already past', () => {
    const v = jpkiValidity({ issuedAt: new Date('2026-01-01T20:00:00Z'), birthDate: '2000-01-01' });
    expect(jstDate(new Date('2026-01-01T20:00:00Z'))).toEqual([2026, 1, 2]);
    expect(iso(v.notAfter)).toBe('2031-01-01T14:59:59.000Z');
    // 23:55 JST on 1 January: a 2 January birthday is the next day, so it is the first of the five.
    const w = jpkiValidity({ issuedAt: new Date('2026-01-01T14:55:00Z'), birthDate: '2000-01-02' });
    expect(iso(w.notAfter)).toBe('2030-01-02T14:59:59.000Z');
  });

  it('ok-29 February birthday ends on 28 February in a common year', () => {
    expect(birthdayIn(2029, 2, 29)).toEqual([2029, 2, 28]);
    expect(birthdayIn(2028, 2, 29)).toEqual([2028, 2, 29]);
    // Issued 2025-03-01: birthdays 2026-02-28, 2027-02-28, 2028-02-29, 2029-02-28, 2030-02-28.
    const v = jpkiValidity({ issuedAt: new Date('2025-03-01T00:00:00Z'), birthDate: '2000-02-29' });
    expect(iso(v.notAfter)).toBe('2030-02-28T14:59:59.000Z');
    // Issued 2023-03-01 → fifth birthday is 2028-02-29 (leap year).
    const w = jpkiValidity({ issuedAt: new Date('2023-03-01T00:00:00Z'), birthDate: '2000-02-29' });
    expect(iso(w.notAfter)).toBe('2028-02-29T14:59:59.000Z');
  });

  it('ok-card expiry caps notAfter at 14:59:59Z of its Japanese day', () => {
    const v = jpkiValidity({
      issuedAt: new Date('2020-01-10T00:00:00Z'),
      birthDate: '1980-12-31',
      cardExpiry: new Date('2024-12-24T16:00:00Z'), // 2024-12-25 01:00 JST
    });
    expect(iso(v.notAfter)).toBe('2024-12-25T14:59:59.000Z');
  });

  it('ok-a later card expiry does not extend the period', () => {
    const v = jpkiValidity({
      issuedAt: new Date('2025-10-27T01:00:00Z'),
      birthDate: '1980-02-17',
      cardExpiry: new Date('2035-02-17T00:00:00Z'),
    });
    expect(iso(v.notAfter)).toBe('2030-02-17T14:59:59.000Z');
  });

  it('fail-bad inputs are RangeErrors', () => {
    const issuedAt = new Date('2025-01-01T00:00:00Z');
    expect(() => jpkiValidity({ issuedAt, birthDate: '1980-02-30' })).toThrow(RangeError);
    expect(() => jpkiValidity({ issuedAt, birthDate: '19800217' })).toThrow(RangeError);
    expect(() => jpkiValidity({ issuedAt, birthDate: '2026-01-01' })).toThrow(/after issuance/);
    expect(() =>
      jpkiValidity({ issuedAt, birthDate: '1980-01-01', cardExpiry: new Date('2024-12-01T00:00:00Z') }),
    ).toThrow(/expires before/);
  });
});

describe('jpkiCaNotAfter (docs/jpki.md §1.1)', () => {
  it('ok-reproduces the published roots', () => {
    expect(iso(jpkiCaNotAfter(new Date('2023-07-16T00:50:27Z')))).toBe('2033-07-15T14:59:59.000Z');
    expect(iso(jpkiCaNotAfter(new Date('2015-10-20T02:40:28Z')))).toBe('2025-10-19T14:59:59.000Z');
    expect(iso(jpkiCaNotAfter(new Date('2023-07-16T01:01:04Z')))).toBe('2033-07-15T14:59:59.000Z');
  });
});
