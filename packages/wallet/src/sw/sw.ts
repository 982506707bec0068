/**
 * The wallet's service worker (scope `/wallet/`). It makes the shell work offline and say so:
 *
 * - install: precaches every file of the build (the list is written in at build time by
 *   vite.config.ts) and the shell `/wallet/`;
 * - navigations under /wallet/: network first (a fresh page when online; the copy of the shell is
 *   refreshed); with no network, the cached shell marked `<html data-offline>`, which then shows
 *   the offline page itself;
 * - the build's files (`/wallet/assets/…`, content-hashed, so never stale): cache first;
 * - anything else (the APIs, the OpenID Provider, the card simulator): not touched.
 *
 * No imports and no exports: the build emits this file as a classic script.
 */
/// <reference lib="webworker" />

const sw = self as unknown as ServiceWorkerGlobalScope;
/** Written in by the build (vite.config.ts): every file of the build, and `/wallet/`. */
const FILES = JSON.parse('__WATASHI_PRECACHE__') as readonly string[];
/** One cache per build: the list's content (file names carry content hashes) names it. */
const CACHE = `watashi-wallet-${hash(FILES.join('\n'))}`;
const SHELL = '/wallet/';

function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll([...FILES]);
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys())
        if (key.startsWith('watashi-wallet-') && key !== CACHE) await caches.delete(key);
      await sw.clients.claim();
    })(),
  );
});

async function onNavigate(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    // Only a successful HTML answer is the shell worth keeping (not a redirect or an error page).
    if (response.ok && (response.headers.get('content-type') ?? '').startsWith('text/html')) {
      const cache = await caches.open(CACHE);
      await cache.put(SHELL, response.clone());
    }
    return response;
  } catch {
    const cached = await caches.match(SHELL);
    if (cached === undefined)
      return new Response('offline', { status: 503, headers: { 'content-type': 'text/plain' } });
    // Marked, so the app knows at once that it came from the cache with no network behind it.
    const html = (await cached.text()).replace('<html ', '<html data-offline="true" ');
    return new Response(html, { status: 200, headers: cached.headers });
  }
}

async function asset(request: Request): Promise<Response> {
  const cached = await caches.match(request);
  if (cached !== undefined) return cached;
  const response = await fetch(request);
  if (response.ok) await (await caches.open(CACHE)).put(request, response.clone());
  return response;
}

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin || !url.pathname.startsWith('/wallet/')) return;
  if (request.mode === 'navigate') event.respondWith(onNavigate(request));
  else if (FILES.includes(url.pathname) || url.pathname.startsWith('/wallet/assets/'))
    event.respondWith(asset(request));
});
