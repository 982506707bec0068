/**
 * The claims Watashi can release (OIDC Core §5.1 names where one exists), the scopes that ask for
 * them, and how each is computed from an account's sealed basic 4 information (基本4情報). Values
 * are computed at release time and never stored outside `basic4`; the audit log records claim
 * names only.
 */
import type { Basic4 } from '@watashi/jpki';

/** A releasable claim. */
export type WatashiClaim =
  | 'name'
  | 'family_name'
  | 'given_name'
  | 'birthdate'
  | 'gender'
  | 'address'
  | 'over_18'
  | 'over_20'
  | 'resident_of'
  | 'age_bracket';

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
  resident_of: { ja: '居住する都道府県（または市区町村）', en: 'Prefecture (or municipality) of residence' },
  age_bracket: { ja: '年齢層', en: 'Age bracket' },
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
  age: ['over_18', 'over_20', 'age_bracket'],
  residence: ['resident_of'],
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

/**
 * How finely `resident_of` names where the resident lives: the prefecture (都道府県) only, or the
 * prefecture and the municipality (市区町村).
 */
export type ResidenceGranularity = 'prefecture' | 'municipality';

/** `resident_of`: OIDC Core §5.1.1 address members, `region` the prefecture, `locality` the municipality. */
export interface ResidentOf {
  readonly country: 'JP';
  readonly region: string;
  readonly locality?: string;
}

// The 47 prefectures end in 都 (東京都), 道 (北海道), 府 (京都府, 大阪府) or 県. A municipality is
// the next name ending in 市, 区 (Tokyo's special wards), 町 or 村, a town or village keeping its
// 郡 (district); a designated city (政令指定都市) stops at 市, its ward is not disclosed. The few
// names that hold one of those characters before their end (四日市市, 東村山市, 余市郡余市町…) are
// listed, so they are not cut short at the inner one.
const PREFECTURE = /^(東京都|北海道|京都府|大阪府|[^都道府県]{2,3}県)/u;
const DISTRICT = /^[^郡市区町村]{1,6}郡/u;
const MUNICIPALITY = /^.{1,6}?[市区町村]/u;
/** 郡 whose names contain 市 or 村. */
const INNER_DISTRICTS = ['余市郡', '高市郡', '北村山郡', '東村山郡', '西村山郡', '田村郡'];
/** Municipalities whose names contain 市, 町 or 村 before their last character. */
const INNER_MUNICIPALITIES = [
  '四日市市',
  '廿日市市',
  '野々市市',
  '十日町市',
  '大町市',
  '東村山市',
  '武蔵村山市',
  '羽村市',
  '田村市',
  '大村市',
  '大町町',
  '上市町',
  '下市町',
  '余市町',
  '玉村町',
];

/** The prefecture (and with `municipality`, the municipality) of a basic 4 address, if it parses. */
export function residentOf(address: string, granularity: ResidenceGranularity): ResidentOf | undefined {
  const pref = PREFECTURE.exec(address)?.[1];
  if (pref === undefined) return undefined;
  if (granularity === 'prefecture') return { country: 'JP', region: pref };
  const rest = address.slice(pref.length);
  const district = INNER_DISTRICTS.find((d) => rest.startsWith(d)) ?? DISTRICT.exec(rest)?.[0] ?? '';
  const after = rest.slice(district.length);
  const name = INNER_MUNICIPALITIES.find((m) => after.startsWith(m)) ?? MUNICIPALITY.exec(after)?.[0];
  return name === undefined ? undefined : { country: 'JP', region: pref, locality: district + name };
}

/**
 * The age bracket of an age: `0-17` (a minor), `18-19` (adult under the Civil Code since 2022 but
 * not 20, the age for alcohol and tobacco), then decades `20-29`, `30-39`, …
 */
export function ageBracket(age: number): string {
  if (!Number.isInteger(age) || age < 0) throw new RangeError(`bad age ${age}`);
  if (age < 18) return '0-17';
  if (age < 20) return '18-19';
  const lo = Math.floor(age / 10) * 10;
  return `${lo}-${lo + 9}`;
}

/**
 * Every claim value computable from the basic 4 information (absent when unknown). Derived claims
 * (`over_18`, `over_20`, `age_bracket`) are computed for `now`, the time of disclosure;
 * `resident_of` at the given granularity (prefecture unless a persona says otherwise).
 */
export function claimsFromBasic4(
  b4: Basic4,
  now: Date,
  residence: ResidenceGranularity = 'prefecture',
): Partial<Record<WatashiClaim, unknown>> {
  const out: Partial<Record<WatashiClaim, unknown>> = {};
  // The basic 4 name is "surname U+3000 given name" (docs/jpki.md §1.4).
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
      if (age >= 0) out.age_bracket = ageBracket(age);
    }
  }
  // JPKI sex codes: 1 male, 2 female, 3 not known; OIDC Core §5.1 `gender` has no "not known".
  if (b4.sex === '1') out.gender = 'male';
  else if (b4.sex === '2') out.gender = 'female';
  // OIDC Core §5.1.1: `formatted` is the full address; the basic 4 address starts at the prefecture.
  out.address = { formatted: b4.address, country: 'JP' };
  const where = residentOf(b4.address, residence);
  if (where !== undefined) out.resident_of = where;
  return out;
}
