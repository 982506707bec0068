/**
 * What the consent screen shows and what each choice on it sends (issue 17): the options — every
 * persona of the resident, "everything this service asks for", and, when needed, "the same as
 * last time" — each with the exact values it would release, formatted for display; the consent
 * remembered for this RP (oidc_consents, consents.ts) and the option preselected from it.
 *
 * Never widened silently: the preselected option never releases a claim the resident's last
 * consent to this RP did not release. The remembered persona is preselected when what it releases
 * now stays within that consent; otherwise (the RP asks for more, or the persona was edited to
 * hold more) the option `previous` — requested ∩ registered ∩ last consent — is offered and
 * preselected, and the claims beyond the last consent are listed as new, so that releasing them
 * takes an explicit choice of a wider option.
 */
import { openBasic4 } from '../enrolment/seal-basic4.ts';
import type { PlatformDeps } from '../server/context.ts';
import {
  CLAIMS,
  claimsFromBasic4,
  type ResidenceGranularity,
  type ResidentOf,
  type WatashiClaim,
} from './claims.ts';
import { liveConsent, type ConsentRecord } from './consents.ts';
import type { UiLocale } from './locales.ts';
import type { Persona } from './personas.ts';

/** Option id of "everything this service asks for" (the form's historical empty value). */
export const ALL_OPTION = '';
/** Option id of "the same as last time" (requested ∩ registered ∩ the last consent). */
export const PREVIOUS_OPTION = 'previous';

/** One value an option would send, as the resident reads it. */
export interface ClaimValueView {
  readonly claim: WatashiClaim;
  /** What it is, in the resident's language (「20歳以上」). */
  readonly label: string;
  /** The value, formatted (「はい」, 「昭和63年4月12日 (1988年)」); null when the account has none. */
  readonly display: string | null;
}

/** A choice on the consent screen. */
export interface ConsentOptionView {
  /** A persona id, {@link ALL_OPTION} or {@link PREVIOUS_OPTION}. */
  readonly id: string;
  readonly kind: 'persona' | 'all' | 'previous';
  /** The persona's name (the resident's own words), null for the other kinds. */
  readonly name: string | null;
  /** What it sends, in the catalogue's order. */
  readonly values: readonly ClaimValueView[];
  /** Sends a claim the last consent to this RP did not (false when there was none). */
  readonly widens: boolean;
}

/** The consent choices of one interaction. */
export interface ConsentChoices {
  /** requested ∩ registered. */
  readonly requested: readonly WatashiClaim[];
  readonly options: readonly ConsentOptionView[];
  /** The option preselected (never one that {@link ConsentOptionView.widens}). */
  readonly selected: string;
  /** The live consent to this RP before this interaction. */
  readonly remembered: {
    readonly personaId: string | null;
    readonly personaName: string | null;
    readonly claims: readonly WatashiClaim[];
  } | null;
  /** Requested claims the remembered consent did not release (empty without one). */
  readonly newClaims: readonly WatashiClaim[];
}

/** What an option releases: the claims, the residence granularity and the persona to record. */
export interface OptionRelease {
  readonly claims: WatashiClaim[];
  readonly residence: ResidenceGranularity;
  readonly persona: { readonly id: string; readonly name: string } | null;
}

const LABELS: Record<UiLocale, Record<WatashiClaim, string>> = {
  ja: {
    name: '氏名',
    family_name: '氏',
    given_name: '名',
    birthdate: '生年月日',
    gender: '性別',
    address: '住所',
    over_18: '18歳以上',
    over_20: '20歳以上',
    resident_of: 'お住まいの地域',
    age_bracket: '年齢層',
  },
  en: {
    name: 'Name',
    family_name: 'Family name',
    given_name: 'Given name',
    birthdate: 'Date of birth',
    gender: 'Sex',
    address: 'Address',
    over_18: 'Aged 18 or over',
    over_20: 'Aged 20 or over',
    resident_of: 'Where you live',
    age_bracket: 'Age group',
  },
  'ja-x-easy': {
    name: 'なまえ',
    family_name: 'みょうじ',
    given_name: 'なまえ（下の なまえ）',
    birthdate: 'うまれた 日',
    gender: '性別（男 か 女）',
    address: 'すんでいる ところ（住所）',
    over_18: '18さい 以上',
    over_20: '20さい 以上',
    resident_of: 'すんでいる 県 や 市',
    age_bracket: 'ねんれい（だいたい）',
  },
};

const YES_NO: Record<UiLocale, [string, string]> = {
  ja: ['はい', 'いいえ'],
  en: ['Yes', 'No'],
  'ja-x-easy': ['はい', 'いいえ'],
};

const GENDER: Record<UiLocale, Record<string, string>> = {
  ja: { female: '女性', male: '男性' },
  en: { female: 'Female', male: 'Male' },
  'ja-x-easy': { female: '女', male: '男' },
};

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

/** A YYYY-MM-DD date: 「昭和63年4月12日 (1988年)」 in Japanese, 「12 April 1988」 in English. */
export function formatBirthdate(date: string, locale: UiLocale): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (m === null) return date;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (locale === 'en') return `${d} ${MONTHS[mo - 1] ?? ''} ${y}`;
  // The Japanese calendar as ICU knows it (元年 for an era's first year), the Western year after.
  const era = new Intl.DateTimeFormat('ja-JP-u-ca-japanese', {
    era: 'long',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(Date.UTC(y, mo - 1, d)));
  return `${era} (${y}年)`;
}

function formatAgeBracket(bracket: string, locale: UiLocale): string {
  const [lo, hi] = bracket.split('-').map(Number);
  if (lo === undefined || hi === undefined) return bracket;
  if (locale === 'en') return lo === 0 ? 'Under 18' : `${lo}–${hi}`;
  if (lo === 0) return locale === 'ja' ? '18歳未満' : '18さい より 下';
  if (lo === 18) return locale === 'ja' ? '18〜19歳' : '18さい か 19さい';
  return locale === 'ja' ? `${lo}代` : `${lo}さい から ${hi}さい`;
}

/** A claim value as the resident reads it. */
export function formatClaimValue(claim: WatashiClaim, value: unknown, locale: UiLocale): string | null {
  if (value === undefined || value === null) return null;
  const text = typeof value === 'string' ? value : undefined;
  switch (claim) {
    case 'name':
    case 'family_name':
    case 'given_name':
      // The basic 4 name separates surname and given name with U+3000.
      return text?.replace('\u3000', ' ') ?? null;
    case 'birthdate':
      return text === undefined ? null : formatBirthdate(text, locale);
    case 'gender':
      return text === undefined ? null : (GENDER[locale][text] ?? text);
    case 'address': {
      const formatted = (value as { formatted?: unknown }).formatted;
      return typeof formatted === 'string' ? formatted : null;
    }
    case 'over_18':
    case 'over_20':
      return YES_NO[locale][value === true ? 0 : 1];
    case 'resident_of': {
      const r = value as ResidentOf;
      return `${r.region}${r.locality ?? ''}`;
    }
    case 'age_bracket':
      return text === undefined ? null : formatAgeBracket(text, locale);
  }
}

/** Catalogue order. */
function ordered(claims: Iterable<string>): WatashiClaim[] {
  const set = new Set(claims);
  return (Object.keys(CLAIMS) as WatashiClaim[]).filter((c) => set.has(c));
}

/**
 * What option `id` releases of `requested` (requested ∩ registered), or undefined when there is
 * no such option for this resident: a persona releases requested ∩ persona; `previous` (only with
 * a remembered consent) requested ∩ that consent, recorded under the same persona.
 */
export function releaseOf(
  id: string,
  requested: readonly WatashiClaim[],
  personas: readonly Persona[],
  remembered: ConsentRecord | undefined,
): OptionRelease | undefined {
  if (id === ALL_OPTION) return { claims: [...requested], residence: 'prefecture', persona: null };
  if (id === PREVIOUS_OPTION) {
    if (remembered === undefined) return undefined;
    const had = new Set(remembered.claims);
    return {
      claims: requested.filter((c) => had.has(c)),
      residence: remembered.residence,
      persona:
        remembered.personaId === null || remembered.personaName === null
          ? null
          : { id: remembered.personaId, name: remembered.personaName },
    };
  }
  const p = personas.find((x) => x.id === id);
  if (p === undefined) return undefined;
  const held = new Set(p.claims);
  return {
    claims: requested.filter((c) => held.has(c)),
    residence: p.residence ?? 'prefecture',
    persona: { id: p.id, name: p.name },
  };
}

/** The remembered consent of an account to an RP (the newest live one), if any. */
export function rememberedConsent(
  deps: Pick<PlatformDeps, 'db'>,
  accountId: string,
  clientId: string,
): Promise<ConsentRecord | undefined> {
  return liveConsent(deps, accountId, clientId, undefined);
}

/** The consent screen's choices (see the module comment). */
export async function consentChoices(
  deps: PlatformDeps,
  input: {
    readonly accountId: string;
    readonly requested: readonly WatashiClaim[];
    readonly personas: readonly Persona[];
    readonly remembered: ConsentRecord | undefined;
    readonly locale: UiLocale;
  },
): Promise<ConsentChoices> {
  const { requested, personas, remembered, locale } = input;
  const had = remembered === undefined ? undefined : new Set(remembered.claims);
  const widens = (claims: readonly WatashiClaim[]): boolean =>
    had !== undefined && claims.some((c) => !had.has(c));
  const b4 = await openBasic4(deps, deps.db, input.accountId);
  const now = deps.now();
  const valuesAt = new Map<ResidenceGranularity, Partial<Record<WatashiClaim, unknown>>>();
  const values = (release: OptionRelease): ClaimValueView[] => {
    let all = valuesAt.get(release.residence);
    if (all === undefined) {
      all = b4 === undefined ? {} : claimsFromBasic4(b4, now, release.residence);
      valuesAt.set(release.residence, all);
    }
    return release.claims.map((c) => ({
      claim: c,
      label: LABELS[locale][c],
      display: formatClaimValue(c, all[c], locale),
    }));
  };
  const option = (id: string, kind: ConsentOptionView['kind'], name: string | null): ConsentOptionView => {
    const release = releaseOf(id, requested, personas, remembered)!;
    return { id, kind, name, values: values(release), widens: widens(release.claims) };
  };
  const options: ConsentOptionView[] = [
    ...personas.map((p) => option(p.id, 'persona', p.name)),
    option(ALL_OPTION, 'all', null),
  ];
  let selected = ALL_OPTION;
  if (remembered !== undefined) {
    const same = options.find((o) => o.id === (remembered.personaId ?? ALL_OPTION));
    if (same !== undefined && !same.widens) selected = same.id;
    else {
      options.push(option(PREVIOUS_OPTION, 'previous', remembered.personaName));
      selected = PREVIOUS_OPTION;
    }
  }
  return {
    requested,
    options,
    selected,
    remembered:
      remembered === undefined
        ? null
        : {
            personaId: remembered.personaId,
            personaName: remembered.personaName,
            claims: ordered(remembered.claims),
          },
    newClaims: had === undefined ? [] : requested.filter((c) => !had.has(c)),
  };
}
