/**
 * A small client-side router over the routes table (routes.ts). Links are ordinary `<a href>`:
 * a click on a same-origin link under `/wallet/` is handled here (history API, no reload); any
 * other link (the OpenID Provider's `/oidc/…`, another site) is a normal navigation. After each
 * navigation the new page's `<h1>` takes focus (PageTitle) so screen readers announce it.
 */
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** What a page component receives. */
export interface PageProps {
  /** `:name` parts of the route's path. */
  readonly params: Readonly<Record<string, string>>;
  /** The address's query. */
  readonly query: URLSearchParams;
}

/** A page module: its default export is the page. */
export interface PageModule {
  readonly default: ComponentType<PageProps>;
}

/** One line of the routes table. */
export interface Route {
  /** `/wallet/…`, with `:name` for a path segment parameter. */
  readonly path: string;
  /** Loads the page (a dynamic `import()`: each page is its own chunk). */
  readonly load: () => Promise<PageModule>;
  /** The page works without a network (help, settings): shown even when offline. */
  readonly offline?: boolean;
}

/** The current address (path and query). */
export interface Location {
  readonly path: string;
  readonly search: string;
}

const listeners = new Set<(l: Location) => void>();

function current(): Location {
  return { path: location.pathname, search: location.search };
}

/** Goes to `to` (a path under /wallet/, with a query if any) without reloading. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = new URL(to, location.origin);
  if (url.origin !== location.origin || !isWalletPath(url.pathname)) {
    location.assign(url.href);
    return;
  }
  if (options.replace === true) history.replaceState(null, '', url.pathname + url.search + url.hash);
  else history.pushState(null, '', url.pathname + url.search + url.hash);
  window.scrollTo(0, 0);
  for (const l of listeners) l(current());
}

/** Whether a path is one of the wallet's (handled by the router). */
export function isWalletPath(path: string): boolean {
  return path === '/wallet' || path.startsWith('/wallet/');
}

/** The route for `path` and its parameters, or undefined (the 404 page). */
export function matchRoute(
  routes: readonly Route[],
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  const norm = (p: string): string[] => p.replace(/\/+$/, '').split('/').slice(1);
  const want = norm(path === '/wallet' ? '/wallet/' : path);
  for (const route of routes) {
    const parts = norm(route.path);
    if (parts.length !== want.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const p = parts[i] ?? '';
      const w = want[i] ?? '';
      if (p.startsWith(':')) {
        try {
          params[p.slice(1)] = decodeURIComponent(w);
        } catch {
          ok = false;
        }
      } else ok = p === w;
    }
    if (ok) return { route, params };
  }
  return undefined;
}

/** The current location, re-rendering on navigation (links, back and forward). */
export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const on = (l: Location): void => setLoc(l);
    const pop = (): void => setLoc(current());
    listeners.add(on);
    window.addEventListener('popstate', pop);
    return () => {
      listeners.delete(on);
      window.removeEventListener('popstate', pop);
    };
  }, []);
  return loc;
}

/** Handles clicks on wallet links without a reload (installed once by the app). */
export function interceptLinks(): void {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (a === null || a === undefined || a.target !== '' || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.origin);
    if (url.origin !== location.origin || !isWalletPath(url.pathname)) return;
    e.preventDefault();
    if (url.pathname === location.pathname && url.search === location.search) return;
    navigate(url.pathname + url.search + url.hash);
  });
}
