/**
 * `npm run lint` step: every file a comment or document cites is inside the repository and exists,
 * so an outside contributor can follow each citation (docs/conventions.md §10).
 *
 * Fails on:
 * - a citation of a note outside the repository: `DESIGN.md`, `STYLE.md`, `reference/<x>.md`,
 *   `../shared/…`, `/work/…` (the project's documents live in docs/);
 * - a cited `docs/<x>.md` that does not exist;
 * - a cited repository path (`packages/…`, `scripts/…`, `examples/…`, `bench/…`, `docs/…`, or a
 *   package-relative `src/…` / `test/…`) that exists neither from the root, nor from the citing
 *   file's package or folder, nor (package-relative) in any package. Globs (`*`) are patterns;
 * - a bare module name (`notices.ts`) that no file of the repository has (a stale reference to a
 *   renamed or deleted module). CHANGELOG.md is history and may name removed files.
 *
 *   node --import tsx scripts/check-citations.ts [root]   # exit 1 and one line per bad citation
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

/** Folders and root files (relative to the root) whose text is checked. */
const ROOTS = ['packages', 'docs', 'scripts', 'test', 'bench', 'examples', 'README.md', 'CHANGELOG.md'];
/** Extensions of the files checked. */
const CHECKED = /\.(ts|tsx|md|js|sh)$/u;
/** Files that hold bad citations on purpose: the checkers' own tests build throw-away repositories. */
const OWN = new Set([
  'scripts/check-citations.ts',
  'scripts/check-citations.test.ts',
  'scripts/check-import-cycles.test.ts',
]);

/** Notes that are not part of the repository. */
const OUTSIDE = /\b(DESIGN\.md|STYLE\.md|reference\/[\w.-]+\.md)|\.\.\/shared\/|\/work\/[\w.-]+/gu;
/** A bare module name, e.g. `(interaction.ts)`; placeholders in capitals (`NNNN-what.ts`) are not names. */
const BARE = /(?:^|[\s`'"(\[:,])([a-z0-9][\w-]*\.(?:tsx|ts))(?![\w./-])/gmu;
/** A repository path: after a start of line, space, quote, backtick, bracket or colon. */
const PATH =
  /(?:^|[\s`'"(\[:])((?:packages|scripts|examples|bench|docs|test|src)\/[\w./-]+\.(?:tsx|ts|md|sh|json|txt|pem|der|cer|crt))(?![\w-])/gmu;

/** One bad citation. */
export interface BadCitation {
  readonly file: string;
  readonly line: number;
  readonly cited: string;
  readonly why: 'outside the repository' | 'no such file' | 'no module of that name';
}

/** Every checked file under `root` (relative paths), skipping node_modules, dist and dot folders. */
function files(root: string, rel: string, out: string[] = []): string[] {
  const path = join(root, rel);
  if (!existsSync(path)) return out;
  if (statSync(path).isFile()) {
    if (CHECKED.test(rel)) out.push(rel);
    return out;
  }
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    files(root, join(rel, name), out);
  }
  return out;
}

/** The package folder of a repository path (`packages/<name>`), or undefined. */
function packageOf(rel: string): string | undefined {
  const m = /^packages\/[^/]+/u.exec(rel);
  return m?.[0];
}

/** The package folders (absolute). */
function packageDirs(root: string): string[] {
  const dir = join(root, 'packages');
  return existsSync(dir) ? readdirSync(dir).map((n) => join(dir, n)) : [];
}

/** Bad citations in `text` of the file `rel` (relative to `root`). */
export function badCitations(
  root: string,
  rel: string,
  text: string,
  names: ReadonlySet<string> = new Set(),
): BadCitation[] {
  const out: BadCitation[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const m of line.matchAll(OUTSIDE))
      out.push({ file: rel, line: i + 1, cited: m[0], why: 'outside the repository' });
    for (const m of line.matchAll(PATH)) {
      const cited = m[1]!.replace(/[.]+$/u, '');
      if (cited.includes('*')) continue;
      const pkg = packageOf(rel);
      // A package-relative path (`src/…`, `test/…`) from docs/ or another package names some package's file.
      const packages = /^(src|test)\//u.test(cited) ? packageDirs(root) : [];
      const bases = [
        root,
        join(root, dirname(rel)),
        ...(pkg === undefined ? [] : [join(root, pkg)]),
        ...packages,
      ];
      if (!bases.some((b) => existsSync(join(b, cited))))
        out.push({ file: rel, line: i + 1, cited, why: 'no such file' });
    }
    if (rel !== 'CHANGELOG.md')
      for (const m of line.matchAll(BARE))
        if (!names.has(m[1]!))
          out.push({ file: rel, line: i + 1, cited: m[1]!, why: 'no module of that name' });
  });
  return out;
}

/** Bad citations in the repository at `root`. */
export function checkCitations(root: string): BadCitation[] {
  const all = ROOTS.flatMap((r) => files(root, r));
  const names = new Set(all.map((f) => basename(f)));
  return all
    .filter((f) => !OWN.has(f))
    .flatMap((f) => badCitations(root, f, readFileSync(join(root, f), 'utf8'), names));
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const root = process.argv[2] ?? join(import.meta.dirname, '..');
  const bad = checkCitations(root);
  for (const b of bad)
    console.error(`${relative(process.cwd(), join(root, b.file))}:${b.line}: ${b.cited} (${b.why})`);
  if (bad.length > 0) process.exit(1);
  console.log('citations: all inside the repository');
}
