/**
 * The wallet's entry: applies the reading settings, renders the app, installs the link handler
 * and registers the service worker (sw/sw.ts: the shell and every page work offline and say so).
 */
import { render } from 'preact';
import { App } from './app.tsx';
import { applyLocale, initialLocale } from './i18n/index.ts';
import { applyTextSize, textSize } from './lib/settings.ts';
import { interceptLinks } from './router.tsx';
import './styles.css';

applyTextSize(textSize());
applyLocale(initialLocale());
interceptLinks();
const root = document.getElementById('app');
if (root !== null) render(<App />, root);

if ('serviceWorker' in navigator) {
  navigator.serviceWorker
    .register('/wallet/sw.js', { scope: '/wallet/' })
    .then(() => {
      document.documentElement.dataset['sw'] = 'registered';
    })
    .catch((e: unknown) => console.warn('the service worker could not be registered', e));
}
