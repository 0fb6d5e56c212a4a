import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The project root: the nearest folder above `dir` holding evotune's package.json. */
export function packageRoot(dir: string): string {
  let d = dir;
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error(`no package.json above ${dir}`);
    d = up;
  }
  return d;
}

/**
 * URL of a compiled sibling module, for code that must run in a worker thread or child process.
 * From dist/ it is just the sibling; when running from the TypeScript source (vitest), it is the same file in dist/,
 * because Node 20 cannot start a worker on a .ts file. `npm test` builds first.
 */
export function compiledSibling(metaUrl: string, file: string): URL {
  const here = dirname(fileURLToPath(metaUrl));
  if (!fileURLToPath(metaUrl).endsWith('.ts')) return pathToFileURL(join(here, file));
  const root = packageRoot(here);
  return pathToFileURL(join(root, 'dist', relative(root, here), file));
}
