/** The import graph keeps its shape: no cycles in the library, and arrows that run one way (DESIGN.md). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forbiddenImports, importCycles, importGraph, type ImportGraph } from './helpers/import-graph.js';

const root = join(import.meta.dirname, '..');
const graph = importGraph(root, ['src', 'strategies', 'bin', 'benchmarks', 'support', 'test']);
const under =
  (...dirs: string[]) =>
  (m: string) =>
    dirs.some((d) => m.startsWith(`${d}/`));
const library = (m: string) => under('src', 'strategies')(m) && !under('src/cli')(m);
const subgraph = (keep: (m: string) => boolean): ImportGraph =>
  new Map([...graph].filter(([m]) => keep(m)).map(([m, edges]) => [m, edges.filter(keep)]));

describe('import graph', () => {
  it('reads the sources (type-only and dynamic imports included)', () => {
    expect(graph.get('src/index.ts')).toContain('src/search.ts');
    expect(graph.get('src/search/resume.ts')).toContain('src/search/types.ts'); // `import type`
    expect(graph.get('src/search/prepare.ts')).toContain('src/tasks/registry.ts'); // `await import(...)`
    expect(graph.get('src/cli/commands/search.ts')).toContain('strategies/index.ts');
  });

  it('has no import cycle in src/, strategies/, bin/ or benchmarks/', () => {
    expect(importCycles(subgraph(under('src', 'strategies', 'bin', 'benchmarks')))).toEqual([]);
  });

  it('library code never imports benchmarks/, test/, support/, bin/ or the CLI', () => {
    expect(forbiddenImports(graph, library, under('benchmarks', 'test', 'support', 'bin', 'src/cli'))).toEqual([]);
  });

  it('the CLI never imports benchmarks/, test/, support/ or bin/', () => {
    expect(forbiddenImports(graph, under('src/cli'), under('benchmarks', 'test', 'support', 'bin'))).toEqual([]);
  });

  it('journal/ is persistence: it never imports the search that drives it', () => {
    expect(forbiddenImports(graph, under('src/journal'), (m) => m === 'src/search.ts' || under('src/search', 'src/cli')(m))).toEqual([]);
  });

  it('finds the cycles and backwards arrows it is meant to catch', () => {
    const g: ImportGraph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['d.ts']],
      ['e.ts', ['a.ts', 'test/x.ts']],
    ]);
    expect(importCycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['d.ts']]);
    expect(forbiddenImports(g, (m) => m === 'e.ts', under('test'))).toEqual(['e.ts -> test/x.ts']);
  });
});
