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
export const STRATEGIES: Readonly<Record<StrategyName, Strategy>> = Object.freeze({
  random,
  ga,
  pso,
  grid,
  de,
  cmaes,
  pbt,
});

/** The name of a strategy in the registry (a new strategy adds its name here too). */
export type StrategyName = 'random' | 'ga' | 'pso' | 'grid' | 'de' | 'cmaes' | 'pbt';

/** Used when no strategy is named: CMA-ES had the best mean rank in every dimension x budget cell measured
 *  (benchmarks/POPULATION.md). */
export const DEFAULT_STRATEGY: StrategyName = 'cmaes';

export const strategyNames = (): StrategyName[] => Object.keys(STRATEGIES) as StrategyName[];

export const isStrategyName = (name: string): name is StrategyName => Object.hasOwn(STRATEGIES, name);

export function getStrategy(name: string): Strategy {
  if (!isStrategyName(name)) throw errors.unknownStrategy(name, strategyNames());
  return STRATEGIES[name];
}

/** Resolves a strategy by name and validates its options (defaults filled in). */
export function resolveStrategy(name: string, options?: unknown): { strategy: Strategy; options: Record<string, unknown> } {
  const strategy = getStrategy(name);
  return { strategy, options: validateOptions(name, strategy.options, options) as Record<string, unknown> };
}

export type { Strategy, Told, InitContext } from './types.js';
