/**
 * Languages and message catalogues (i18next). Japanese is the default; English and やさしい日本語
 * (easy Japanese, locale `ja-x-easy`) are the choices.
 *
 * Each page keeps its own catalogue in `pages/<name>/messages.ts`, made with {@link defineMessages}
 * and registered as an i18next namespace named after the page the first time {@link useT} sees it;
 * the shell's shared strings are the `common` namespace (common.ts). Keys are flat (no nesting),
 * typed from the Japanese catalogue, so a missing English or easy-Japanese key is a type error.
 * Every key has all three languages (catalogues.test.ts also checks placeholders, and that an
 * easy-Japanese text is not a copy of the Japanese one); i18next's fallback to Japanese is only a
 * safety net.
 *
 * The choice is remembered (localStorage `watashi.lang`); `?ui_locales=` (OpenID Connect Core §3.1.2.1,
 * space-separated, first supported wins) or `?lang=` in the address overrides and is remembered too.
 */
import i18next, { type TOptions } from 'i18next';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

/** The languages of the wallet, in the order the switch offers them. */
export const LOCALES = ['ja', 'en', 'ja-x-easy'] as const;
/** A language of the wallet. */
export type Locale = (typeof LOCALES)[number];
/** The default language. */
export const DEFAULT_LOCALE: Locale = 'ja';
/** Where the chosen language is remembered. */
export const LOCALE_KEY = 'watashi.lang';

/** The value of `<html lang>` for a locale (easy Japanese is Japanese to a screen reader). */
export function htmlLang(l: Locale): string {
  return l === 'en' ? 'en' : 'ja';
}

/** A locale named in `value` (case-insensitive; `ja-JP` → `ja`, `en-US` → `en`), or undefined. */
export function matchLocale(value: string | null | undefined): Locale | undefined {
  if (value === null || value === undefined) return undefined;
  for (const tag of value.trim().split(/\s+/)) {
    const t = tag.toLowerCase();
    if (t === 'ja-x-easy' || t === 'easy') return 'ja-x-easy';
    const primary = t.split('-')[0];
    if (primary === 'ja') return 'ja';
    if (primary === 'en') return 'en';
  }
  return undefined;
}

function stored(): Locale | undefined {
  try {
    return matchLocale(localStorage.getItem(LOCALE_KEY));
  } catch {
    return undefined; // storage disabled: the default
  }
}

/** Saves the choice; storage may be unavailable (private mode), then it lasts for this page only. */
export function rememberLocale(l: Locale): void {
  try {
    localStorage.setItem(LOCALE_KEY, l);
  } catch {
    // nothing to do: the choice applies until the page is closed
  }
}

/** The locale to start with: the address (`ui_locales`, `lang`), then the remembered one, then ja. */
export function initialLocale(search: string = location.search): Locale {
  const q = new URLSearchParams(search);
  const asked = matchLocale(q.get('ui_locales')) ?? matchLocale(q.get('lang'));
  if (asked !== undefined) {
    rememberLocale(asked);
    return asked;
  }
  return stored() ?? DEFAULT_LOCALE;
}

/** A catalogue: the Japanese one defines the keys; English and easy Japanese must have them all. */
export interface Messages<K extends string> {
  readonly ns: string;
  readonly ja: Readonly<Record<K, string>>;
  readonly en: Readonly<Record<K, string>>;
  /** やさしい日本語: every key, rewritten in plain words (not a copy of the Japanese text). */
  readonly 'ja-x-easy': Readonly<Record<K, string>>;
}

/** Declares a page's catalogue (the namespace `ns` is the page's folder name). */
export function defineMessages<K extends string>(
  ns: string,
  ja: Readonly<Record<K, string>>,
  en: Readonly<Record<K, string>>,
  easy: Readonly<Record<K, string>>,
): Messages<K> {
  return { ns, ja, en, 'ja-x-easy': easy };
}

void i18next.init({
  lng: DEFAULT_LOCALE,
  fallbackLng: { 'ja-x-easy': ['ja'], default: ['ja'] },
  supportedLngs: [...LOCALES],
  // `ja-x-easy` is a tag of its own, not to be reduced to `ja` or reformatted.
  load: 'currentOnly',
  lowerCaseLng: true,
  keySeparator: false,
  nsSeparator: false,
  // Preact escapes text; i18next must not escape it a second time.
  interpolation: { escapeValue: false },
  returnNull: false,
  initAsync: false,
  resources: {},
});

/** Adds a catalogue to i18next once. */
export function register<K extends string>(m: Messages<K>): void {
  if (i18next.hasResourceBundle('ja', m.ns)) return;
  for (const l of LOCALES) i18next.addResourceBundle(l, m.ns, m[l], true, false);
}

/** i18next's translate function for one namespace and language, with plain string types. */
export function fixedT(locale: Locale, ns: string): (key: string, values?: TOptions) => string {
  const t = i18next.getFixedT(locale, ns) as unknown as (key: string, options?: TOptions) => string;
  return (key, values) => t(key, values);
}

/** The current language, as a context value so that changing it re-renders every page. */
export const LocaleContext = createContext<Locale>(DEFAULT_LOCALE);

/** Switches i18next (and `<html lang>`) to `l`. */
export function applyLocale(l: Locale): void {
  void i18next.changeLanguage(l);
  document.documentElement.lang = htmlLang(l);
}

/** A translate function for one catalogue: `t(key, {name})` with `{{name}}` in the text. */
export type T<K extends string> = (key: K, values?: Readonly<Record<string, string | number>>) => string;

/** Translates with `m` in the current language (re-rendering when it changes). */
export function useT<K extends string>(m: Messages<K>): T<K> {
  const locale = useContext(LocaleContext);
  register(m);
  const t = fixedT(locale, m.ns);
  return (key, values) => t(key, values);
}

/** The current language. */
export function useLocale(): Locale {
  return useContext(LocaleContext);
}

/** Translates outside a component (for `document.title` and the like). */
export function translate<K extends string>(m: Messages<K>, locale: Locale, key: K): string {
  register(m);
  return fixedT(locale, m.ns)(key);
}
