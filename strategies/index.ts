import { errors } from '../src/errors.js';
import type { Budget, Strategy } from './types.js';
import { validateOptions } from './options.js';
import { random } from './random.js';
import { ga } from './ga.js';
import { pso } from './pso.js';
import { grid } from './grid.js';
import { de } from './de.js';
import { cmaes } from './cmaes.js';
import { nsga2 } from './nsga2.js';
import { smsemoa } from './smsemoa.js';
import { pbt } from './pbt.js';

/** The registry: adding a strategy is one file in strategies/ plus one line here. */
const REGISTRY: Record<StrategyName, Strategy> = {
  random,
  ga,
  pso,
  grid,
  de,
  cmaes,
  nsga2,
  smsemoa,
  pbt,
};

/** The name of a strategy in the registry: the registry's type checks that both list the same names. */
export type StrategyName = 'random' | 'ga' | 'pso' | 'grid' | 'de' | 'cmaes' | 'nsga2' | 'smsemoa' | 'pbt';

export const STRATEGIES: Readonly<Record<StrategyName, Strategy>> = Object.freeze(REGISTRY);

/** Used when no strategy is named: CMA-ES had the best mean rank in every dimension x budget cell measured
 *  (benchmarks/POPULATION.md). */
export const DEFAULT_STRATEGY: StrategyName = 'cmaes';

export const strategyNames = (): StrategyName[] => Object.keys(STRATEGIES) as StrategyName[];

export const isStrategyName = (name: string): name is StrategyName => Object.hasOwn(STRATEGIES, name);

export function getStrategy(name: string): Strategy {
  if (!isStrategyName(name)) throw errors.unknownStrategy(name, strategyNames());
  return STRATEGIES[name];
}

/** A strategy by name with its options validated (defaults filled in); with a budget, what the strategy leaves to it chosen (Strategy.forBudget). */
export function resolveStrategy(name: string, options?: unknown, budget?: Budget): { strategy: Strategy; options: Record<string, unknown> } {
  const strategy = getStrategy(name);
  const valid = validateOptions(name, strategy.options, options) as Record<string, unknown>;
  return { strategy, options: budget !== undefined && strategy.forBudget ? strategy.forBudget(valid, budget) : valid };
}

export type { Budget, Strategy, Told, InitContext } from './types.js';
