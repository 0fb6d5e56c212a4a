import { errors } from '../src/errors.js';
import type { Strategy } from './types.js';
import { validateOptions } from './options.js';
import { random } from './random.js';
import { ga } from './ga.js';
import { pso } from './pso.js';
import { grid } from './grid.js';
import { de } from './de.js';
import { cmaes } from './cmaes.js';
import { pbt } from './pbt.js';

/** The registry: adding a strategy is one file in strategies/ plus one line here. */
export const STRATEGIES: Readonly<Record<string, Strategy>> = {
  random,
  ga,
  pso,
  grid,
  de,
  cmaes,
  pbt,
};

/** Used when no strategy is named: CMA-ES had the best mean rank in every dimension x budget cell measured
 *  (benchmarks/POPULATION.md). */
export const DEFAULT_STRATEGY = 'cmaes';

export const strategyNames = (): string[] => Object.keys(STRATEGIES);

export function getStrategy(name: string): Strategy {
  const s = STRATEGIES[name];
  if (!s) throw errors.unknownStrategy(name, strategyNames());
  return s;
}

/** Resolves a strategy by name and validates its options (defaults filled in). */
export function resolveStrategy(name: string, options?: unknown): { strategy: Strategy; options: Record<string, unknown> } {
  const strategy = getStrategy(name);
  return { strategy, options: validateOptions(name, strategy.options, options) as Record<string, unknown> };
}

export type { Strategy, Told, InitContext } from './types.js';
