// The import-cycle check of `npm run lint`: it finds a runtime cycle, ignores type-only imports and
// dynamic import(), and the repository has none.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findImportCycles, importGraph, runtimeImports } from './check-import-cycles.ts';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'watashi-cycles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A throw-away repository with `files` under packages/x/src. */
function repo(name: string, files: Record<string, string>): string {
  const base = join(dir, name);
  const src = join(base, 'packages', 'x', 'src');
  for (const [f, text] of Object.entries(files)) {
    const path = join(src, f);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  }
  return base;
}

describe('check-import-cycles', () => {
  it('fail-a-three-module-runtime-cycle-is-reported', () => {
    const base = repo('cycle', {
      'a.ts': "import { b } from './b.ts';\nexport const a = () => b();\n",
      'b.ts': "export { c as b } from './sub/c.ts';\n",
      'sub/c.ts': "import { a } from '../a.ts';\nexport const c = () => a;\n",
      'd.ts': "import { a } from './a.ts';\nexport const d = a;\n",
    });
    const cycles = findImportCycles(importGraph(base));
    expect(cycles.map((c) => c.map((f) => f.slice(base.length + 1)))).toEqual([
      ['packages/x/src/a.ts', 'packages/x/src/b.ts', 'packages/x/src/sub/c.ts'],
    ]);
  });

  it('ok-type-only-imports-and-dynamic-import-make-no-cycle', () => {
    const base = repo('types', {
      'a.ts': "import type { B } from './b.ts';\nimport { type C } from './c.ts';\nexport type A = B | C;\n",
      'b.ts': "import { a } from './a.ts';\nexport type B = string;\nexport const bb = a;\n",
      'c.ts':
        "export type { A } from './a.ts';\nexport const load = () => import('./a.ts');\nexport type C = number;\n",
    });
    expect(findImportCycles(importGraph(base))).toEqual([]);
    expect(
      runtimeImports(join(base, 'x.ts'), "import './side-effect.ts';\nimport { type T, v } from './m.ts';"),
    ).toEqual([join(base, 'side-effect.ts'), join(base, 'm.ts')]);
  });

  it('ok-the-repository-has-no-import-cycle', () => {
    expect(findImportCycles(importGraph(root))).toEqual([]);
  });
});
