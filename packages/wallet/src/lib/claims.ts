/**
 * Claims as residents read them (namespace `claims`), one label per claim the platform knows
 * (`WatashiClaim`, src/oidc/claims.ts: a claim added there is a type error here until it has
 * words). The wire name is never shown; keep it in a `data-claims` attribute for tests.
 */
import type { WatashiClaim } from '@watashi/platform/wallet-api';
import { defineMessages, useT } from '../i18n/index.ts';

/** The claims read from the card (verified attributes), in the order forms list them. */
export const VERIFIED: readonly WatashiClaim[] = [
  'name',
  'family_name',
  'given_name',
  'birthdate',
  'gender',
  'address',
];
/** Claims derived from them without revealing them (age, residence). */
export const DERIVED: readonly WatashiClaim[] = ['over_18', 'over_20', 'age_bracket', 'resident_of'];

/** The claims' words in the three languages (exported for the catalogue test). */
export const labels = defineMessages<WatashiClaim | 'pseudonymOnly' | 'listSeparator'>(
  'claims',
  {
    name: '氏名',
    family_name: '氏',
    given_name: '名',
    birthdate: '生年月日',
    gender: '性別',
    address: '住所',
    over_18: '18歳以上であること',
    over_20: '20歳以上であること',
    resident_of: '住んでいる都道府県（または市区町村）',
    age_bracket: '年齢層',
    pseudonymOnly: 'このサービス専用の番号だけ（あなたの情報は含みません）',
    listSeparator: '、',
  },
  {
    name: 'Full name',
    family_name: 'Family name',
    given_name: 'Given name',
    birthdate: 'Date of birth',
    gender: 'Sex',
    address: 'Address',
    over_18: 'That you are 18 or over',
    over_20: 'That you are 20 or over',
    resident_of: 'Prefecture (or municipality) you live in',
    age_bracket: 'Age bracket',
    pseudonymOnly: 'Only a number for this service (none of your information)',
    listSeparator: ', ',
  },
  {
    name: 'なまえ',
    family_name: 'みょうじ',
    given_name: 'なまえ（みょうじ では ない ほう）',
    birthdate: 'うまれた ひ',
    gender: 'せいべつ',
    address: 'じゅうしょ',
    over_18: '18さい いじょう で ある こと',
    over_20: '20さい いじょう で ある こと',
    resident_of: 'すんで いる ところ（とどうふけん または しくちょうそん）',
    age_bracket: 'だいたいの ねんれい',
    pseudonymOnly: 'この サービス だけの ばんごう（あなたの じょうほうは はいって いません）',
    listSeparator: '、',
  },
);

/** Words for claims: `label('over_20')`, `list(['name', 'over_20'])`. */
export function useClaims(): { label: (c: string) => string; list: (cs: readonly string[]) => string } {
  const t = useT(labels);
  const label = (c: string): string => (Object.hasOwn(labels.ja, c) ? t(c as WatashiClaim) : c);
  return {
    label,
    list: (cs) => (cs.length === 0 ? t('pseudonymOnly') : cs.map(label).join(t('listSeparator'))),
  };
}
