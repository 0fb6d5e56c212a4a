/**
 * vitest's globalSetup: refuses to run when dist/ is older than the TypeScript it is compiled from. Worker threads,
 * worker processes and the CLI tests load dist/ (Node 20 cannot start a worker on a .ts file), so a stale build would
 * test yesterday's code while the in-process tests test today's. `npm test` builds first; `npx vitest run` alone
 * needs `npm run build` after each edit.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folders tsconfig.json compiles into dist/ (its "include"). */
const SOURCE_DIRS = ['src', 'strategies', 'bin', 'benchmarks'];

function* tsFiles(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** Sources under `root` whose compiled file in dist/ is missing or older than they are, as paths relative to root. */
export function staleSources(root: string): string[] {
  const stale: string[] = [];
  for (const src of SOURCE_DIRS.flatMap((d) => [...tsFiles(join(root, d))])) {
    const rel = relative(root, src);
    const out = join(root, 'dist', rel.replace(/\.ts$/, '.js'));
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) stale.push(rel);
  }
  return stale;
}

export function staleMessage(stale: readonly string[]): string {
  const shown = stale.slice(0, 5).join(', ') + (stale.length > 5 ? ` and ${stale.length - 5} more` : '');
  return `dist/ is older than its sources (${shown}): run \`npm run build\` first, or \`npm test\`, which builds`;
}

export default function setup(): void {
  const stale = staleSources(fileURLToPath(new URL('../..', import.meta.url)));
  if (stale.length > 0) throw new Error(staleMessage(stale));
}
