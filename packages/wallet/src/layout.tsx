/**
 * The frame of every page: a skip link, the header (brand 民間ID, who is signed in, the language
 * switch), the navigation, the offline banner, the page, the footer.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { common } from './i18n/common.ts';
import { LOCALES, useLocale, useT, type Locale } from './i18n/index.ts';
import { useOnline } from './lib/online.ts';
import { useSession } from './session.tsx';
import { DeviceKeyCheck } from './pages/devices/check.tsx';

/**
 * The navigation: ONE line per entry (`[path, key of src/i18n/common.ts]`), in the order shown.
 * On a phone it folds behind the menu button ({@link SiteNav}); on a desktop it is always shown.
 */
export const NAV: ReadonlyArray<readonly [string, NavKey]> = [
  ['/wallet/', 'navHome'],
  ['/wallet/account', 'navAccount'],
  ['/wallet/passkeys', 'navPasskeys'],
  ['/wallet/personas', 'navPersonas'],
  ['/wallet/consents', 'navConsents'],
  ['/wallet/disclosures', 'navDisclosures'],
  ['/wallet/credentials', 'navCredentials'],
  ['/wallet/approvals', 'navApprovals'],
  ['/wallet/cross-device', 'navCrossDevice'],
  ['/wallet/devices', 'navDevices'],
  ['/wallet/help', 'navHelp'],
  ['/wallet/settings', 'navSettings'],
];

/** A navigation label: any `nav…` key of the shell's catalogue. */
type NavKey = Extract<keyof typeof common.ja, `nav${string}`>;

/**
 * The navigation as a disclosure (WAI-ARIA APG "Disclosure (Show/Hide)"): below 48rem the list
 * is hidden behind a button with `aria-expanded` / `aria-controls`; Escape closes it and gives the
 * focus back to the button; following a link closes it. At 48rem and wider the button is not
 * shown and the list always is (styles.css), so desktop is unchanged.
 */
function SiteNav({ current }: { readonly current: string }) {
  const t = useT(common);
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  // A new page: the menu folds again.
  useEffect(() => setOpen(false), [current]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open]);
  return (
    <nav aria-label={t('navLabel')} class={open ? 'site-nav open' : 'site-nav'}>
      <button
        type="button"
        class="menu-button"
        id="menu-button"
        aria-expanded={open ? 'true' : 'false'}
        aria-controls="site-nav-list"
        ref={button}
        onClick={() => setOpen(!open)}
      >
        <span class="menu-icon" aria-hidden="true" />
        {t('navLabel')}
      </button>
      <ul id="site-nav-list">
        {NAV.map(([href, key]) => (
          <li key={href}>
            <a
              href={href}
              aria-current={current === href ? 'page' : undefined}
              onClick={() => setOpen(false)}
            >
              {t(key)}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

const LANG_KEYS: Readonly<Record<Locale, 'langJa' | 'langEn' | 'langEasy'>> = {
  ja: 'langJa',
  en: 'langEn',
  'ja-x-easy': 'langEasy',
};

/** The language switch: a labelled select, named in both languages so anyone finds it. */
export function LanguageSwitch({
  onChange,
  id = 'language',
}: {
  readonly onChange: (l: Locale) => void;
  readonly id?: string;
}) {
  const t = useT(common);
  const locale = useLocale();
  return (
    <div class="language">
      <label for={id}>
        {t('language')}
        {locale === 'en' ? null : <span lang="en"> / Language</span>}
      </label>
      <select id={id} value={locale} onChange={(e) => onChange(e.currentTarget.value as Locale)}>
        {LOCALES.map((l) => (
          <option key={l} value={l} lang={l === 'en' ? 'en' : 'ja'}>
            {t(LANG_KEYS[l])}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The page frame. */
export function Layout(props: {
  readonly path: string;
  readonly onLocale: (l: Locale) => void;
  readonly children: ComponentChildren;
}) {
  const t = useT(common);
  const { session } = useSession();
  const online = useOnline();
  const current = props.path === '/wallet' ? '/wallet/' : props.path.replace(/(.)\/+$/, '$1');
  return (
    <>
      <a class="skip" href="#main">
        {t('skip')}
      </a>
      <header class="site">
        <div class="bar">
          <a class="brand" href="/wallet/">
            {t('brand')}
          </a>
          <p class="who" id="signed-in-as">
            {session.status === 'signed-in'
              ? session.name === undefined
                ? t('signedInNoName')
                : t('signedInAs', { name: session.name })
              : session.status === 'signed-out'
                ? t('notSignedIn')
                : ''}
          </p>
          <LanguageSwitch onChange={props.onLocale} />
        </div>
        <SiteNav current={current} />
      </header>
      <main id="main">
        {online ? null : (
          <p class="offline-banner" id="offline-banner">
            {t('offlineBanner')}
          </p>
        )}
        <DeviceKeyCheck />
        {props.children}
      </main>
      <footer class="site">
        <p>{t('footer')}</p>
        <p>
          <a href="/wallet/help">{t('navHelp')}</a>
          <a href="/assurance">{t('assurance')}</a>
        </p>
      </footer>
    </>
  );
}
