/**
 * The wallet app: language, session, router and layout around the page the address names.
 * Pages load on demand (one chunk each, precached by the service worker); while offline a page
 * that needs the network shows the offline page instead.
 */
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { applyLocale, initialLocale, LocaleContext, rememberLocale, type Locale } from './i18n/index.ts';
import { Layout } from './layout.tsx';
import { isOnline, useOnline } from './lib/online.ts';
import ErrorPage from './pages/error/index.tsx';
import OfflinePage from './pages/offline/index.tsx';
import { matchRoute, useLocation, type PageModule, type Route } from './router.tsx';
import { routes } from './routes.ts';
import { SessionProvider } from './session.tsx';

const SetLocaleContext = createContext<(l: Locale) => void>(() => undefined);

/** Changes (and remembers) the language; for the settings page and the header switch. */
export function useSetLocale(): (l: Locale) => void {
  return useContext(SetLocaleContext);
}

const loaded = new Map<Route, PageModule>();

function RouteView({ path, search }: { readonly path: string; readonly search: string }) {
  const online = useOnline();
  const match = matchRoute(routes, path);
  const [, setTick] = useState(0);
  const [failed, setFailed] = useState<Route | undefined>(undefined);
  const route = match?.route;
  const mod = route === undefined ? undefined : loaded.get(route);
  useEffect(() => {
    if (route === undefined || loaded.has(route)) return;
    let live = true;
    route
      .load()
      .then((m) => {
        loaded.set(route, m);
        if (live) setTick((n) => n + 1);
      })
      .catch((e: unknown) => {
        console.error(e);
        if (live) setFailed(route);
      });
    return () => {
      live = false;
    };
  }, [route]);
  // `<body data-ready>`: the page's component is on screen (its data may still be loading).
  useEffect(() => {
    if (mod !== undefined || match === undefined) document.body.dataset['ready'] = 'true';
  });
  const query = new URLSearchParams(search);
  if (match === undefined) return <ErrorPage params={{ kind: 'not-found' }} query={query} />;
  if (!online && match.route.offline !== true) return <OfflinePage params={{}} query={query} />;
  if (failed === match.route)
    return isOnline() ? (
      <ErrorPage params={{ kind: 'server' }} query={query} />
    ) : (
      <OfflinePage params={{}} query={query} />
    );
  if (mod === undefined) return <p class="loading" aria-busy="true" />;
  const Page = mod.default;
  // Keyed by path: a new page is a new component (state and focus start afresh).
  return <Page key={path + search} params={match.params} query={query} />;
}

/** The whole wallet. */
export function App() {
  const [locale, setLocale] = useState<Locale>(() => initialLocale());
  const loc = useLocation();
  useEffect(() => applyLocale(locale), [locale]);
  const change = (l: Locale): void => {
    rememberLocale(l);
    // `<html lang>` and i18next switch before the pages re-render in the new language, not in an
    // effect after it: a screen reader must never read English text as Japanese.
    applyLocale(l);
    setLocale(l);
  };
  return (
    <LocaleContext.Provider value={locale}>
      <SetLocaleContext.Provider value={change}>
        <SessionProvider>
          <Layout path={loc.path} onLocale={change}>
            <RouteView path={loc.path} search={loc.search} />
          </Layout>
        </SessionProvider>
      </SetLocaleContext.Provider>
    </LocaleContext.Provider>
  );
}
