import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { errors } from '../errors.js';
import type { FitnessFn } from './types.js';

/** What a worker loads to score trials: a user's fitness module, or a task (bundled name or module path). */
export type FitnessSource =
  | { readonly kind: 'module'; readonly url: string }
  | { readonly kind: 'task'; readonly task: string; readonly backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu' };

/** A path, file URL or URL object given by a user, as an absolute file URL string; missing files are a usage error. */
export function moduleUrl(what: string, spec: string | URL): string {
  const url = spec instanceof URL ? spec : /^file:/.test(spec) ? new URL(spec) : pathToFileURL(resolve(spec));
  if (url.protocol === 'file:' && !existsSync(url)) {
    throw errors.module(
      what,
      `file not found: ${spec instanceof URL ? spec.href : spec}`,
      'give a path relative to the current folder, e.g. ./fitness.mjs',
    );
  }
  return url.href;
}

/** Imports a fitness module and checks that its default export is a function; errors name the module. */
export async function importFitness(url: string): Promise<FitnessFn> {
  // Named as the user would type it: a path, not a file URL.
  const what = `fitness module ${url.startsWith('file:') ? fileURLToPath(url) : url}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw errors.module(what, `could not be imported: ${msg}`);
  }
  const fn = mod.default;
  if (typeof fn !== 'function') {
    throw errors.module(
      what,
      fn === undefined ? 'has no default export' : `default export must be a function (params, ctx) => number, got ${typeof fn}`,
      'export default function fitness(params, ctx) { return loss; }',
    );
  }
  return fn as FitnessFn;
}
