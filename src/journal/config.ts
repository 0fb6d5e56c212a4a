import { isAbsolute, resolve } from 'node:path';
import type { SearchOptions } from '../options.js';
import { withoutPassword } from '../eval/queue/url.js';

/** Search options as a run folder keeps them: JSON, in the --config format, paths absolute. */
export type RunConfig = Record<string, unknown>;

/**
 * Options that may differ when a run is resumed. They bound the run or tune its resources, but never change which
 * trials the strategy asks for nor their outcomes: a replayed study asks exactly what the first session asked.
 * Every other option (and any option added later) must match, so a resume can never mix two different studies.
 */
export const RESUMABLE_CHANGES: ReadonlySet<string> = new Set([
  'budget',
  'budgetEpochs',
  'timeBudget',
  'target',
  'maxConsecutiveFailures',
  'workers',
  'executor',
  'workerWait',
  'trialTimeout',
  'maxHeapMb',
]);

const isPath = (task: string) => /[\\/.]/.test(task);
const absolute = (p: string, base: string) => (/^file:/.test(p) || isAbsolute(p) ? p : resolve(base, p));

/** Makes the path-valued options absolute (relative to `base`), so that the config works from any folder. */
export function withAbsolutePaths<T extends Record<string, unknown>>(options: T, base: string): T {
  const out: Record<string, unknown> = { ...options };
  if (typeof out.fitness === 'string') out.fitness = absolute(out.fitness, base);
  if (typeof out.space === 'string') out.space = absolute(out.space, base);
  if (typeof out.task === 'string' && isPath(out.task)) out.task = absolute(out.task, base);
  if (typeof out.out === 'string') out.out = absolute(out.out, base);
  return out as T;
}

/**
 * An option as the run folder records it. The executor is kept, so that a resume runs where the run ran (a resume
 * that silently ran a Redis search on local threads would surprise), but never its password: a resume of a
 * password-protected Redis gives --executor again.
 */
export const recorded = (key: string, value: unknown): unknown => (key === 'executor' && typeof value === 'string' ? withoutPassword(value) : value);

/** The config a run folder keeps: the validated options with their defaults, minus where the run lives. */
export function runConfig(options: SearchOptions, strategy: string): RunConfig {
  const { out: _out, ...rest } = options;
  const config: RunConfig = withAbsolutePaths({ ...rest, strategy }, process.cwd());
  for (const k of Object.keys(config)) {
    if (config[k] === undefined) delete config[k];
    else config[k] = recorded(k, config[k]);
  }
  return config;
}

/** JSON equality that ignores key order. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}
