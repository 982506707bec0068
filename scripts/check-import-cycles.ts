/**
 * `npm run lint` step: fails when the runtime imports between the repository's own modules form a
 * cycle (docs/conventions.md §1). A cycle makes module initialisation order matter (a value read
 * before its module has run is `undefined`) and hides which of two modules owns a rule.
 *
 * Counted: static `import … from './x.ts'` and `export … from './x.ts'` with a relative specifier.
 * Not counted: `import type` / `export type` and imports whose every name is `type` (TypeScript
 * erases them: verbatimModuleSyntax), and dynamic `import()` (evaluated later, on demand).
 *
 *   node --import tsx scripts/check-import-cycles.ts [root]   # exit 1 and one line per cycle
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Folders (relative to the root) whose .ts files are checked. */
const ROOTS = ['packages', 'test', 'bench', 'examples', 'scripts'];

/** Every .ts file under `dir`, skipping node_modules and dot folders. */
function tsFiles(dir: string, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out; // a root the checkout does not have
  }
  for (const name of names) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) tsFiles(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The relative modules `file` imports at run time (absolute paths). */
export function runtimeImports(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const node of source.statements) {
    let spec: ts.Expression | undefined;
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      if (clause?.isTypeOnly) continue;
      const named = clause?.namedBindings;
      if (
        clause !== undefined &&
        clause.name === undefined &&
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly)
      )
        continue;
      spec = node.moduleSpecifier;
    } else if (ts.isExportDeclaration(node)) {
      if (node.isTypeOnly || node.moduleSpecifier === undefined) continue;
      const clause = node.exportClause;
      if (
        clause !== undefined &&
        ts.isNamedExports(clause) &&
        clause.elements.length > 0 &&
        clause.elements.every((e) => e.isTypeOnly)
      )
        continue;
      spec = node.moduleSpecifier;
    }
    if (spec === undefined || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
    out.push(resolve(dirname(file), spec.text));
  }
  return out;
}

/** Strongly connected components of more than one module (or a module importing itself). */
export function findImportCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm, iterative so that a deep chain cannot overflow the stack.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = (graph.get(frame.node) ?? []).filter((e) => graph.has(e));
      if (frame.next < edges.length) {
        const to = edges[frame.next++]!;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          component.push(n);
        } while (n !== frame.node);
        const selfLoop = component.length === 1 && (graph.get(frame.node) ?? []).includes(frame.node);
        if (component.length > 1 || selfLoop) cycles.push(component.sort());
      }
    }
  }
  return cycles;
}

/** The import graph of every .ts file under the checked folders of `root`. */
export function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const top of ROOTS)
    for (const file of tsFiles(join(root, top)))
      graph.set(file, runtimeImports(file, readFileSync(file, 'utf8')));
  return graph;
}

if (import.meta.filename === process.argv[1]) {
  const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
  const graph = importGraph(root);
  const cycles = findImportCycles(graph);
  for (const c of cycles)
    process.stderr.write(`import cycle: ${c.map((f) => relative(root, f)).join(' ↔ ')}\n`);
  if (cycles.length > 0) {
    process.stderr.write(
      `${cycles.length} import cycle(s) among ${graph.size} modules (docs/conventions.md §1)\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`import cycles: none among ${graph.size} modules\n`);
}
