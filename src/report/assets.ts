import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiledSibling } from '../util/compiled.js';

/**
 * The scripts a page needs to draw the charts, from node_modules (no CDN: the page must work offline): the report
 * inlines them, the dashboard serves them. Vega, Vega-Lite and vega-embed set globals; client.js is a module.
 */
export const LIBRARIES = {
  'vega.js': ['vega', 'build/vega.min.js'],
  'vega-lite.js': ['vega-lite', 'build/vega-lite.min.js'],
  'vega-embed.js': ['vega-embed', 'build/vega-embed.min.js'],
} as const;
export type Library = keyof typeof LIBRARIES;

/** A package's folder, found as Node finds it (packages' `exports` hide their build/ files from require.resolve). */
function packageDir(name: string): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const up = dirname(d);
    if (up === d) throw new Error(`${name} is not installed (npm ci)`);
    d = up;
  }
}

export const libraryFile = (lib: Library) => join(packageDir(LIBRARIES[lib][0]), LIBRARIES[lib][1]);

/** The compiled chart client (dist/src/report/client.js), also when running from the TypeScript source. */
export const clientFile = () => fileURLToPath(compiledSibling(import.meta.url, 'client.js'));

/** A script's text, without its source-map comment (the map is not served). */
export const scriptText = (file: string) => readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
