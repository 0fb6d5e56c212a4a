/**
 * What `npm publish` would ship (package.json "files"): the compiled library and CLI, the bundled data, README and
 * licence; no tests, no benchmark results, no sources or source maps. Unpacked beside the installed dependencies,
 * the CLI runs, the README's library example runs, and the bundled data is found.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = (args: string[], cwd = root) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
// --ignore-scripts: "prepare" would rebuild; vitest's globalSetup has already checked that dist/ is fresh.
const packed: string[] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts']))[0].files.map((f: { path: string }) => f.path);
const shipped = new Set(packed);
const data = readdirSync(join(root, 'src/tasks/data')).map((f) => `src/tasks/data/${f}`);

describe('the npm package', () => {
  it('ships the entry points, types, bundled data, README and licence', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const entries = [pkg.main, pkg.types, ...Object.values(pkg.bin as Record<string, string>)].map((p: string) => posix.normalize(p));
    expect(data.length).toBeGreaterThan(0);
    for (const file of [...entries, ...data, 'README.md', 'LICENSE', 'package.json']) expect(shipped, file).toContain(file);
  });

  it('ships no tests, no benchmark results or write-ups, no TypeScript sources and no source maps', () => {
    const unwanted = packed.filter(
      (f) =>
        /^(dist\/)?test\//.test(f) ||
        /^(dist\/)?benchmarks\/(results\/|.*\.md$)/.test(f) ||
        /^benchmarks\//.test(f) ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
        f.endsWith('.map'),
    );
    expect(unwanted).toEqual([]);
  });

  it('every "files" entry still matches something (a moved module leaves no dead entry)', () => {
    const files: string[] = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).files;
    const dead = files.filter((e) => !e.startsWith('!') && !packed.some((f) => f === e || f.startsWith(`${e}/`)));
    expect(dead).toEqual([]);
  });

  it('every relative import in the shipped code resolves to a shipped file', () => {
    const missing: string[] = [];
    for (const file of packed.filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)['"](\.\.?\/[^'"]+)['"]/g)) {
        const target = posix.normalize(posix.join(posix.dirname(file), m[1]!));
        if (!shipped.has(target)) missing.push(`${file} -> ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });

  describe('unpacked on its own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evotune-pack-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const unpack = () => {
      const tarball = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir]))[0].filename as string;
      execFileSync('tar', ['xzf', join(dir, tarball), '-C', dir]);
      // The dependencies as installed here; everything else comes from the tarball alone.
      symlinkSync(join(root, 'node_modules'), join(dir, 'package', 'node_modules'), 'dir');
      return join(dir, 'package');
    };
    const pkgDir = unpack();

    it('runs the CLI', () => {
      const out = execFileSync(process.execPath, [join(pkgDir, 'dist/bin/evotune.js'), 'tasks'], { encoding: 'utf8' });
      expect(out).toMatch(/iris/);
      expect(out).toMatch(/digits/);
    });

    it("runs the README's library example from a project that imports it by name", () => {
      const project = join(dir, 'project');
      mkdirSync(join(project, 'node_modules'), { recursive: true });
      symlinkSync(pkgDir, join(project, 'node_modules', 'evotune'), 'dir');
      writeFileSync(join(project, 'f.mjs'), 'export default (p) => (p.x - 0.3) ** 2;\n');
      writeFileSync(
        join(project, 'main.mjs'),
        `import { search } from 'evotune';
const space = { x: { type: 'float', low: -1, high: 1 } };
const result = await search({ fitness: new URL('./f.mjs', import.meta.url), space, strategy: 'ga', budget: 20, workers: 2, seed: 1 });
console.log(JSON.stringify(result.best));\n`,
      );
      const best = JSON.parse(execFileSync(process.execPath, ['main.mjs'], { cwd: project, encoding: 'utf8' }));
      expect(best.value).toBeLessThan(0.1);
      expect(Object.keys(best.params)).toEqual(['x']);
    });

    it('reads every bundled data file from dist/ at run time', () => {
      const dataset = pathToFileURL(join(pkgDir, 'dist/src/tasks/dataset.js')).href;
      const names = data.map((f) => basename(f));
      const script = `import { readLabelledCsv } from ${JSON.stringify(dataset)};
console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => readLabelledCsv(n, !n.endsWith('.gz')).rows)));`;
      const rows: number[] = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
      expect(rows).toHaveLength(names.length);
      for (const n of rows) expect(n).toBeGreaterThan(100);
    });
  });
});
