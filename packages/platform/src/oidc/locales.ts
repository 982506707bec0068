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

/** The wallet's error pages (packages/wallet pages/error) a browser-facing OP error leads to. */
export type WalletErrorKind = 'expired' | 'unknown-service' | 'bad-request' | 'server';

/**
 * The wallet's error page for a browser-facing error, in the resident's language (`lang`, when the
 * request named one) with a way back. `code` (the OAuth error or problem code) is kept in the
 * address for whoever debugs an RP; the page never shows it.
 */
export function walletErrorUrl(kind: WalletErrorKind, code: string, locale: UiLocale | undefined): string {
  const q = new URLSearchParams({ code });
  if (locale !== undefined) q.set('lang', locale);
  return `/wallet/error/${kind}?${q.toString()}`;
}
