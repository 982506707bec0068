/**
 * Builds the wallet into `dist/` when its sources are newer than the last build (or always, with
 * `--force`). Called by `npm start` (scripts/start.ts), by the Vitest global setup (so `npm test`,
 * `.ci/run` and a single `npx vitest run <file>` all serve a current wallet), and by
 * `npm run build -w @watashi/wallet`. An up-to-date build costs a few `stat` calls; a build takes
 * a few seconds.
 *
 * Concurrent callers in one checkout (two Vitest runs) take turns through a lock directory, and
 * the build goes to a scratch directory first, so `dist/` is never half written.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.built');
const LOCK = join(ROOT, '.build-lock');
/** What the build reads (besides node_modules). */
const INPUTS = ['index.html', 'vite.config.ts', 'package.json', 'src', 'public'];
/** The platform's wire types are read by the type checker only, never by the build. */

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

/** Whether `dist/` is missing or older than any input. */
export function walletBuildIsStale(): boolean {
  if (!existsSync(STAMP)) return true;
  const built = statSync(STAMP).mtimeMs;
  return INPUTS.some((i) => newestMtime(join(ROOT, i)) > built);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than 3 minutes belongs to a build that died: take it over.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 180_000)
        rmSync(LOCK, { recursive: true, force: true });
      if (waited > 240_000) throw new Error(`the wallet build lock ${LOCK} is held for too long`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Builds the wallet if stale (or `force`); resolves with whether a build ran. */
export async function ensureWalletBuilt(options: { force?: boolean } = {}): Promise<boolean> {
  if (options.force !== true && !walletBuildIsStale()) return false;
  return withLock(async () => {
    // Another process may have built it while this one waited.
    if (options.force !== true && !walletBuildIsStale()) return false;
    const { build } = await import('vite');
    const scratch = join(ROOT, `.dist-${process.pid}`);
    rmSync(scratch, { recursive: true, force: true });
    // Always the production build, the one residents get: under Vitest NODE_ENV is `test`, and
    // Vite and the Preact preset would then emit the development JSX runtime (with this machine's
    // source paths in the bundle).
    const nodeEnv = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'production';
    try {
      await build({
        configFile: join(ROOT, 'vite.config.ts'),
        mode: 'production',
        logLevel: 'warn',
        build: { outDir: scratch },
      });
    } finally {
      if (nodeEnv === undefined) delete process.env['NODE_ENV'];
      else process.env['NODE_ENV'] = nodeEnv;
    }
    writeFileSync(join(scratch, '.built'), new Date().toISOString());
    rmSync(DIST, { recursive: true, force: true });
    renameSync(scratch, DIST);
    return true;
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const built = await ensureWalletBuilt({ force: process.argv.includes('--force') });
  console.log(
    built
      ? `wallet built into ${DIST} in ${((performance.now() - started) / 1000).toFixed(1)} s`
      : 'wallet is up to date',
  );
}
