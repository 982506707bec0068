/**
 * The wallet's browser code (`browser/*.ts`) as one ES module, bundled with esbuild in memory the
 * first time a page or the script is asked for. There is no build step to run and nothing is
 * written to disk, so `npm start` on a fresh clone serves the pages; the cost is ~0.2 s once per
 * process. The bundle carries the card client of `@watashi/jpki` (isomorphic, WebCrypto only) and
 * `@simplewebauthn/browser`, both tree-shaken.
 *
 * Decision: esbuild rather than Vite (docs/dependencies.md §5.8): the wallet of this issue is a few plain pages
 * without a framework, and esbuild's in-memory API keeps the platform a single process; the full
 * PWA (packages/wallet) can use Vite later.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** A built asset, with the validator its responses carry. */
export interface BuiltAsset {
  readonly body: Buffer;
  /** Strong ETag (RFC 9110 §8.8.3): the SHA-256 of the body. */
  readonly etag: string;
}

/** Browsers the bundle is written for: WebAuthn Level 2 with `PublicKeyCredential.parse…` optional. */
const TARGETS = ['chrome109', 'edge109', 'firefox115', 'safari16'];

const asset = (body: Buffer): BuiltAsset => ({
  body,
  etag: `"${createHash('sha256').update(body).digest('base64url')}"`,
});

/** Bundles `browser/main.ts` (minified, no source map, no legal comments). */
export async function buildWalletBundle(): Promise<BuiltAsset> {
  const entry = fileURLToPath(new URL('./browser/main.ts', import.meta.url));
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: TARGETS,
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const out = r.outputFiles[0];
  if (out === undefined) throw new Error('esbuild produced no output for the wallet bundle');
  return asset(Buffer.from(out.contents));
}

/** Memoises one build per process; a failed build is retried on the next request. */
export function walletBundle(): () => Promise<BuiltAsset> {
  let pending: Promise<BuiltAsset> | undefined;
  return () => {
    pending ??= buildWalletBundle().catch((e: unknown) => {
      pending = undefined;
      throw e;
    });
    return pending;
  };
}

/** A static asset read once from this directory (the wallet's stylesheet). */
export { asset as builtAsset };
