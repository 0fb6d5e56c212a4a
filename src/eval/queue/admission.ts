import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FitnessSource } from '../source.js';

export type Admission = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** A bundled task goes by a plain name; anything else names a module file. */
const BUNDLED_TASK = /^[a-z][a-z0-9-]*$/i;

/**
 * Whether a worker may load a study's fitness source. Anyone who can write to the Redis can announce a study,
 * so a worker loads only a bundled task by name, or a file: module that exists on this machine, under one of
 * `allow` (real paths, symlinks resolved) when any is given. Never a data:, http: or node: URL.
 */
export function admit(source: FitnessSource, allow: readonly string[]): Admission {
  if (source.kind === 'task' && BUNDLED_TASK.test(source.task)) return { ok: true };
  return admitFile(source.kind === 'module' ? source.url : source.task, allow);
}

function admitFile(spec: string, allow: readonly string[]): Admission {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    return refuse(`${JSON.stringify(spec)} is neither a bundled task name nor a file URL`);
  }
  if (url.protocol !== 'file:') return refuse(`only file: modules are loaded, not ${url.protocol} URLs`);
  let path: string;
  try {
    // Throws on a URL with a host (file://remotehost/x.mjs) or an encoded slash (file:///dir%2ffit.mjs).
    path = fileURLToPath(url);
  } catch (e) {
    return refuse(`${JSON.stringify(spec)} is not a file of this machine (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!existsSync(path)) return refuse(`${path} does not exist on this machine`);
  if (allow.length === 0) return { ok: true };
  let real: string;
  try {
    real = realpathSync(path);
  } catch (e) {
    return refuse(`${path} cannot be resolved (${e instanceof Error ? e.message : String(e)})`);
  }
  if (allow.some((dir) => isInside(real, dir))) return { ok: true };
  return refuse(`${path} is not under --allow ${allow.join(', ')}`);
}

const isInside = (file: string, dir: string) => {
  const rel = relative(dir, file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
};

const refuse = (reason: string): Admission => ({ ok: false, reason });
