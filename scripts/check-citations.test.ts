// The citation check of `npm run lint`: it finds citations of notes outside the repository, of
// missing files and of modules that no longer exist, and the repository has none.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCitations } from './check-citations.ts';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'watashi-citations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A throw-away repository holding `files`. */
function repo(name: string, files: Record<string, string>): string {
  const base = join(dir, name);
  for (const [f, text] of Object.entries(files)) {
    const path = join(base, f);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  }
  return base;
}

const ok = {
  'docs/architecture.md': '# Architecture\n',
  'packages/p/src/a.ts': '// docs/architecture.md §1; see b.ts and src/b.ts and packages/p/src/*.ts\n',
  'packages/p/src/b.ts': '/** (a.ts) */\n',
};

describe('check-citations', () => {
  it('ok-citations-inside-the-repository', () => {
    expect(checkCitations(repo('ok', ok))).toEqual([]);
  });

  it('fail-a-note-outside-the-repository', () => {
    const bad = checkCitations(
      repo('outside', { ...ok, 'packages/p/src/c.ts': '// DESIGN.md §4, reference/jpki.md, ../shared/x\n' }),
    );
    expect(bad.map((b) => [b.file, b.cited, b.why])).toEqual([
      ['packages/p/src/c.ts', 'DESIGN.md', 'outside the repository'],
      ['packages/p/src/c.ts', 'reference/jpki.md', 'outside the repository'],
      ['packages/p/src/c.ts', '../shared/', 'outside the repository'],
    ]);
  });

  it('fail-a-missing-document-or-path', () => {
    const bad = checkCitations(
      repo('missing', { ...ok, 'README.md': 'See docs/design.md and packages/p/src/gone.ts.\n' }),
    );
    expect(bad.map((b) => [b.line, b.cited, b.why])).toEqual([
      [1, 'docs/design.md', 'no such file'],
      [1, 'packages/p/src/gone.ts', 'no such file'],
    ]);
  });

  it('fail-a-stale-module-name-but-not-in-the-changelog', () => {
    const bad = checkCitations(
      repo('stale', {
        ...ok,
        'packages/p/src/d.ts': '// composed when read (notices.ts)\n',
        'CHANGELOG.md': '- `bundle.ts` removed\n',
      }),
    );
    expect(bad.map((b) => [b.file, b.cited, b.why])).toEqual([
      ['packages/p/src/d.ts', 'notices.ts', 'no module of that name'],
    ]);
  });

  it('ok-the-repository-cites-only-itself', () => {
    expect(checkCitations(root)).toEqual([]);
  });
});
