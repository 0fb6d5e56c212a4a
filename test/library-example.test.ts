import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The README's library example, as a user would write it: a TypeScript file in a project of its own that imports
 * 'evotune' (the built package: dist/ and its .d.ts, through package.json "exports"), compiled with tsc --strict
 * and run with node.
 */
const root = resolve(import.meta.dirname, '..');
const built = existsSync(join(root, 'dist/src/index.d.ts'));
const project = mkdtempSync(join(tmpdir(), 'evotune-library-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** The ```ts blocks of the README's "### Library" section. */
function librarySnippets(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Library'), readme.indexOf('\n### ', readme.indexOf('### Library') + 1));
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

const tsc = (args: string[]) =>
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), ...args], { cwd: project, encoding: 'utf8' });

describe.skipIf(!built)('the README library example against the built package', () => {
  beforeAll(() => {
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    symlinkSync(root, join(project, 'node_modules/evotune'), 'dir');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', type: 'module', private: true }));
    const compilerOptions = {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      skipLibCheck: true,
      outDir: 'out',
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
    };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['example.ts'] }));
  });

  it('type-checks with tsc --strict and runs', () => {
    const [example] = librarySnippets();
    expect(example, 'README "### Library" has a ```ts block').toBeDefined();
    writeFileSync(join(project, 'example.ts'), example!);
    const compiled = tsc(['-p', 'tsconfig.json']);
    expect(compiled.status, compiled.stdout + compiled.stderr).toBe(0);
    const run = spawnSync(process.execPath, [join(project, 'out/example.js')], { cwd: project, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    // The best as the example prints it: its value, its params (lr and the categorical), its trial.
    for (const part of [/value: [\d.e+-]+,/, /params: \{[^}]*lr: [\d.e+-]+,[^}]*opt: '(adam|sgd)'/, /trial: \d+/]) expect(run.stdout).toMatch(part);
  }, 120_000);

  it('the wrong states do not compile: an unknown strategy name, a space parameter with a typo', () => {
    const bad = (name: string, code: string) => {
      writeFileSync(join(project, `${name}.ts`), code);
      writeFileSync(join(project, `${name}.json`), JSON.stringify({ extends: './tsconfig.json', files: [`${name}.ts`] }));
      return tsc(['-p', `${name}.json`, '--noEmit']);
    };
    const strategy = bad(
      'strategy',
      "import { search } from 'evotune';\nawait search({ fitness: () => 0, space: { x: { type: 'float', low: 0, high: 1 } }, strategy: 'annealing' });\n",
    );
    expect(strategy.status).not.toBe(0);
    expect(strategy.stdout).toMatch(/'"annealing"' is not assignable to type 'StrategyName/);
    const space = bad(
      'space',
      "import type { SpaceInput } from 'evotune';\nexport const s: SpaceInput = { x: { type: 'float', low: 0, hihg: 1 } };\n",
    );
    expect(space.status).not.toBe(0);
    expect(space.stdout).toMatch(/hihg/);
  }, 120_000);
});
