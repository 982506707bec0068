/**
 * The claims Watashi can release (OIDC Core §5.1 names where one exists), the scopes that ask for
 * them, and how each is computed from an account's sealed basic 4 information (基本4情報). Values
 * are computed at release time and never stored outside `basic4`; the audit log records claim
 * names only.
 */
import type { Basic4 } from '@watashi/jpki';

/** A releasable claim. */
export type WatashiClaim =
  'name' | 'family_name' | 'given_name' | 'birthdate' | 'gender' | 'address' | 'over_18' | 'over_20';

/** Every releasable claim with its label on the consent screen. */
export const CLAIMS: Readonly<Record<WatashiClaim, { readonly ja: string; readonly en: string }>> = {
  name: { ja: '氏名', en: 'Full name' },
  family_name: { ja: '氏', en: 'Family name' },
  given_name: { ja: '名', en: 'Given name' },
  birthdate: { ja: '生年月日', en: 'Date of birth' },
  gender: { ja: '性別', en: 'Sex' },
  address: { ja: '住所', en: 'Address' },
  over_18: { ja: '18歳以上であること', en: 'Aged 18 or over' },
  over_20: { ja: '20歳以上であること', en: 'Aged 20 or over' },
};

/** Whether `c` is a releasable claim name. */
export function isWatashiClaim(c: string): c is WatashiClaim {
  return Object.hasOwn(CLAIMS, c);
}

/**
 * Scopes and the claims they ask for (OIDC Core §5.4 for `profile` and `address`; `age` is
 * Watashi's scope for the derived age claims, which disclose no date).
 */
export const SCOPE_CLAIMS = {
  profile: ['name', 'family_name', 'given_name', 'birthdate', 'gender'],
  address: ['address'],
  age: ['over_18', 'over_20'],
} as const satisfies Record<string, readonly WatashiClaim[]>;

/** Whole years between a YYYY-MM-DD birth date and `now` (JST calendar day, as Japanese law counts age). */
export function ageOn(birthdate: string, now: Date): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthdate);
  if (m === null) return undefined;
  const jst = new Date(now.getTime() + 9 * 3600_000);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let age = jst.getUTCFullYear() - y;
  if (jst.getUTCMonth() + 1 < mo || (jst.getUTCMonth() + 1 === mo && jst.getUTCDate() < d)) age--;
  return age;
}

/** Every claim value computable from the basic 4 information (absent when unknown). */
export function claimsFromBasic4(b4: Basic4, now: Date): Partial<Record<WatashiClaim, unknown>> {
  const out: Partial<Record<WatashiClaim, unknown>> = {};
  // The basic 4 name is "surname U+3000 given name" (reference/jpki.md §1.4).
  out.name = b4.name;
  const sep = b4.name.indexOf('\u3000');
  if (sep > 0) {
    out.family_name = b4.name.slice(0, sep);
    out.given_name = b4.name.slice(sep + 1);
  }
  // Dates of birth with an unknown month or day are recorded as YYYY0000 / YYYYMM00: no birthdate.
  if (/^\d{4}-\d{2}-\d{2}$/.test(b4.dateOfBirth.date)) {
    out.birthdate = b4.dateOfBirth.date;
    const age = ageOn(b4.dateOfBirth.date, now);
    if (age !== undefined) {
      out.over_18 = age >= 18;
      out.over_20 = age >= 20;
    }
  }
  // JPKI sex codes: 1 male, 2 female, 3 not known; OIDC Core §5.1 `gender` has no "not known".
  if (b4.sex === '1') out.gender = 'male';
  else if (b4.sex === '2') out.gender = 'female';
  // OIDC Core §5.1.1: `formatted` is the full address; the basic 4 address starts at the prefecture.
  out.address = { formatted: b4.address, country: 'JP' };
  return out;
}
