/**
 * The routes table: ONE line per page (README.md "Add a page"), so that engineers adding pages
 * meet in this file one line each. A page lives in `pages/<name>/` (index.tsx + messages.ts).
 * Unknown paths show the 404 page (pages/not-found); `offline: true` pages work without a network.
 */
import * as errorPage from './pages/error/index.tsx';
import * as offlinePage from './pages/offline/index.tsx';
import type { Route } from './router.tsx';

export const routes: readonly Route[] = [
  { path: '/wallet/', load: () => import('./pages/home/index.tsx') },
  { path: '/wallet/enrol', load: () => import('./pages/enrol/index.tsx') },
  { path: '/wallet/login', load: () => import('./pages/login/index.tsx') },
  { path: '/wallet/passkeys', load: () => import('./pages/passkeys/index.tsx') },
  { path: '/wallet/account', load: () => import('./pages/account/index.tsx') },
  { path: '/wallet/personas', load: () => import('./pages/personas/index.tsx') },
  { path: '/wallet/consents', load: () => import('./pages/consents/index.tsx') },
  { path: '/wallet/disclosures', load: () => import('./pages/disclosures/index.tsx') },
  { path: '/wallet/help', load: () => import('./pages/help/index.tsx'), offline: true },
  { path: '/wallet/card-login', load: () => import('./pages/card-login/index.tsx') },
  { path: '/wallet/reproof', load: () => import('./pages/reproof/index.tsx') },
  { path: '/wallet/recover', load: () => import('./pages/recover/index.tsx') },
  { path: '/wallet/settings', load: () => import('./pages/settings/index.tsx'), offline: true },
  { path: '/wallet/security', load: () => import('./pages/security/index.tsx') },
  { path: '/wallet/data', load: () => import('./pages/data/index.tsx') },
  { path: '/wallet/close', load: () => import('./pages/close/index.tsx') },
  { path: '/wallet/consent/:uid', load: () => import('./pages/consent/index.tsx') },
  { path: '/wallet/devices', load: () => import('./pages/devices/index.tsx') },
  { path: '/wallet/approvals', load: () => import('./pages/approvals/index.tsx') },
  { path: '/wallet/step-up', load: () => import('./pages/step-up/index.tsx') },
  { path: '/wallet/sign', load: () => import('./pages/sign/index.tsx') },
  { path: '/wallet/credentials', load: () => import('./pages/credentials/index.tsx') },
  { path: '/wallet/cross-device', load: () => import('./pages/cross-device/index.tsx') },
  // The shell's own pages, in the main chunk: they must show when a page's chunk cannot load.
  { path: '/wallet/offline', load: () => Promise.resolve(offlinePage), offline: true },
  { path: '/wallet/error/:kind', load: () => Promise.resolve(errorPage), offline: true },
];
