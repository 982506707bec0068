/**
 * The languages of the resident's screens (issue 17): Japanese (default), English and easy
 * Japanese (やさしい日本語, the private-use BCP 47 tag `ja-x-easy` the wallet uses). Published as
 * discovery's `ui_locales_supported`; a request's `ui_locales` picks one for the wallet's pages.
 */

/** The languages of the resident's screens: Japanese, English, easy Japanese (やさしい日本語). */
export const UI_LOCALES = ['ja', 'en', 'ja-x-easy'] as const;
/** One of {@link UI_LOCALES}. */
export type UiLocale = (typeof UI_LOCALES)[number];

/**
 * The first of a space-separated `ui_locales` (OIDC Core §3.1.2.1, BCP 47 tags in order of
 * preference) that Watashi has, matched case-insensitively, a bare language matching its own tag
 * (`en-GB` → `en`, `ja-JP` → `ja`); undefined when none is.
 */
export function pickUiLocale(uiLocales: unknown): UiLocale | undefined {
  if (typeof uiLocales !== 'string') return undefined;
  for (const raw of uiLocales.split(' ')) {
    const tag = raw.trim().toLowerCase();
    if (tag === '') continue;
    const exact = UI_LOCALES.find((l) => l === tag);
    if (exact !== undefined) return exact;
    const lang = tag.split('-')[0];
    if (tag.includes('-x-easy') && lang === 'ja') return 'ja-x-easy';
    if (lang === 'ja' || lang === 'en') return lang;
  }
  return undefined;
}
