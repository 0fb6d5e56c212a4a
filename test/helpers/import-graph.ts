/**
 * The project's import graph, read from the TypeScript sources (type-only and dynamic imports included: a cycle
 * through `import type` still ties two modules' designs together). Used by test/architecture.test.ts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Module (path relative to the root, with forward slashes) -> the project modules it imports. */
export type ImportGraph = Map<string, string[]>;

function sourcesUnder(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const name of readdirSync(abs)) {
    const path = join(abs, name);
    if (statSync(path).isDirectory()) out.push(...sourcesUnder(root, join(dir, name)));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(toKey(root, path));
  }
  return out;
}

const toKey = (root: string, path: string) => relative(root, path).split('\\').join('/');

/** The graph of the .ts files under `dirs`; only relative imports that resolve to a project file are edges. */
export function importGraph(root: string, dirs: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of dirs.flatMap((d) => sourcesUnder(root, d))) {
    const abs = join(root, file);
    const { importedFiles } = ts.preProcessFile(readFileSync(abs, 'utf8'), true, true);
    const edges = new Set<string>();
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue; // a package
      const target = resolve(dirname(abs), fileName).replace(/\.js$/, '.ts');
      const candidates = [target, `${target}.ts`, join(target, 'index.ts')];
      const hit = candidates.find((c) => existsSync(c) && statSync(c).isFile());
      if (hit) edges.add(toKey(root, hit));
    }
    graph.set(file, [...edges].sort());
  }
  return graph;
}

/** Every import cycle, as the strongly connected components of more than one module (or a module importing itself). */
export function importCycles(graph: ImportGraph): string[][] {
  // Tarjan's algorithm, iterative enough for a few hundred modules.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, indices.get(w) as number));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) visit(v);
  return cycles;
}

/** Imports from a module matching `from` into one matching `to`: arrows that run the wrong way. */
export function forbiddenImports(graph: ImportGraph, from: (m: string) => boolean, to: (m: string) => boolean): string[] {
  const out: string[] = [];
  for (const [m, edges] of graph) if (from(m)) for (const e of edges) if (to(e)) out.push(`${m} -> ${e}`);
  return out;
}
