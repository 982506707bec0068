/**
 * Vite build of the wallet (README.md "Build"): `index.html` + `src/main.tsx` into `dist/` with
 * every URL under `/wallet/`, and the service worker (`src/sw/sw.ts`) as `dist/sw.js` at the top of
 * that scope, its precache list (every file of the build) written into it at build time. No inline
 * script or style anywhere (the platform's CSP has `script-src 'self'`, `style-src 'self'`).
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import preact from '@preact/preset-vite';

/** The placeholder in src/sw/sw.ts that the build replaces with the list of files to precache. */
const PRECACHE = '__WATASHI_PRECACHE__';

/** The files of `public/` (copied into the build as they are), as paths relative to it. */
function publicFiles(dir = join(import.meta.dirname, 'public')): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(join(import.meta.dirname, 'public'), join(e.parentPath, e.name)));
}

/** Writes the build's file list (and so a new byte content per build) into sw.js. */
function precacheList(): Plugin {
  return {
    name: 'watashi-precache',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle)
        .concat(publicFiles())
        .filter(
          (f) =>
            f !== 'sw.js' && f !== 'counter-offline.js' && !f.startsWith('.vite/') && !f.endsWith('.map'),
        )
        .map((f) => `/wallet/${f}`)
        .sort();
      const sw = bundle['sw.js'];
      if (sw === undefined || sw.type !== 'chunk') throw new Error('the build has no sw.js chunk');
      if (!sw.code.includes(PRECACHE)) throw new Error(`sw.js lost its ${PRECACHE} placeholder`);
      // Inside the string literal that JSON.parse reads at run time: escaped as string content.
      sw.code = sw.code.replace(
        PRECACHE,
        JSON.stringify(JSON.stringify(['/wallet/', ...files])).slice(1, -1),
      );
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: '/wallet/',
  // The dev server is not used (the platform serves the build); keep the build quiet and small.
  logLevel: 'warn',
  plugins: [preact({ prerender: { enabled: false } }), precacheList()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: ['chrome109', 'edge109', 'firefox115', 'safari16'],
    // The preload polyfill would add code for browsers the target list excludes anyway.
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs into CSS/JS (the CSP allows data: images only).
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    rollupOptions: {
      // The offline counter page's script (src/counter/main.ts) is built here too, under a fixed
      // name, because the platform's /counter/offline page names it (docs/credentials.md §4.1).
      input: { index: 'index.html', sw: 'src/sw/sw.ts', counter: 'src/counter/main.ts' },
      output: {
        entryFileNames: (chunk) =>
          chunk.name === 'sw'
            ? 'sw.js'
            : chunk.name === 'counter'
              ? 'counter-offline.js'
              : 'assets/[name]-[hash].js',
      },
    },
  },
});
