/**
 * Serving the wallet PWA (packages/wallet, built by Vite into its `dist/`) under `/wallet/`:
 *
 * - a file of the build (`/wallet/assets/…` content-hashed: cached for a year, immutable; the
 *   service worker, manifest and icons: revalidated every time) — exactly as built, never a path
 *   outside `dist/`;
 * - any other path under `/wallet/` (a page of the wallet's router): `index.html`, the SPA
 *   fallback, with the hosted cards' URL in a `<meta>` (the card client needs it) and that origin
 *   added to the page's `connect-src`;
 * - a browser asking for HTML at a path nobody serves: the same `index.html` with status 404, so
 *   the wallet shows its not-found page in the resident's language (server/app.ts not-found hook).
 *
 * The build is made by `npm start`, the test setup and `npm run build -w @watashi/wallet`
 * (packages/wallet/build.ts); without one, the pages answer 503 `wallet_not_built`.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problemDocument, sendProblem } from '../server/problem.ts';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** A file of the build, read into memory with its validator. */
interface Loaded {
  readonly body: Buffer;
  readonly etag: string;
  readonly mtimeMs: number;
}

/** HTML-escapes a value for a double-quoted attribute. */
function attr(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** The built wallet in `dir`, served. */
export class WalletSpa {
  readonly #dir: string;
  readonly #cache = new Map<string, Loaded>();

  constructor(dir: string) {
    this.#dir = normalize(dir.endsWith(sep) ? dir : dir + sep);
  }

  /** The file of the build at a `/wallet/…` path, or undefined (no such file, or not a file). */
  async #file(path: string): Promise<Loaded | undefined> {
    let rel: string;
    try {
      rel = decodeURIComponent(path.slice('/wallet/'.length));
    } catch {
      return undefined;
    }
    if (rel === '' || rel.includes('\0') || rel.split('/').some((p) => p === '..' || p.startsWith('.')))
      return undefined;
    const full = normalize(join(this.#dir, rel));
    if (!full.startsWith(this.#dir)) return undefined;
    let s;
    try {
      s = await stat(full);
    } catch {
      return undefined;
    }
    if (!s.isFile()) return undefined;
    const hit = this.#cache.get(full);
    if (hit !== undefined && hit.mtimeMs === s.mtimeMs) return hit;
    const body = await readFile(full);
    const loaded = {
      body,
      etag: `"${createHash('sha256').update(body).digest('base64url')}"`,
      mtimeMs: s.mtimeMs,
    };
    this.#cache.set(full, loaded);
    return loaded;
  }

  /** Answers a build file at `path`; resolves with false when there is none. */
  async sendFile(req: FastifyRequest, reply: FastifyReply, path: string): Promise<boolean> {
    if (path === '/wallet/index.html') return false; // the shell is served by sendShell only
    const f = await this.#file(path);
    if (f === undefined) return false;
    const type = TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
    void reply
      .type(type)
      .header('etag', f.etag)
      .header(
        'cache-control',
        path.startsWith('/wallet/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    if (req.headers['if-none-match'] === f.etag) await reply.code(304).send();
    else await reply.send(f.body);
    return true;
  }

  /** Answers the shell (index.html) with `status`, telling it where the hosted cards are. */
  async sendShell(reply: FastifyReply, status: number, hostedCardsUrl: string | undefined): Promise<void> {
    const f = await this.#file('/wallet/index.html');
    if (f === undefined) {
      await sendProblem(
        reply,
        problemDocument(
          'wallet_not_built',
          503,
          'the wallet is not built: run `npm run build -w @watashi/wallet` (npm start and the tests build it)',
        ),
      );
      return;
    }
    let html = f.body.toString('utf8');
    if (hostedCardsUrl !== undefined)
      html = html.replace(
        '</head>',
        `<meta name="watashi-hosted-cards-url" content="${attr(hostedCardsUrl)}">\n</head>`,
      );
    await reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  }
}
