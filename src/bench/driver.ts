import { rngFor } from '../util/rng.js';
import { validateOptions } from '../../strategies/options.js';
import type { Strategy } from '../../strategies/types.js';

export interface MinimizeSpec {
  readonly strategy: Strategy;
  /** Raw options, validated here (defaults filled in). */
  readonly options?: unknown;
  readonly dim: number;
  /** Evaluations allowed; the last batch is cut short to fit. */
  readonly budget: number;
  readonly seed: number;
  /** The objective on the unit cube (to minimise). */
  readonly objective: (x: readonly number[]) => number;
  /**
   * Evaluation counts at which to record the best so far (each <= budget). For a strategy blind to its budget the best
   * after n evaluations of a long run is the best of a run with budget n: one run measures every budget. One that
   * reads it (Strategy.forBudget, told the budget here as a search would) needs a run per budget.
   */
  readonly checkpoints?: readonly number[];
}

export interface MinimizeResult {
  readonly best: number;
  readonly bestX: readonly number[];
  readonly evaluations: number;
  /** The best so far at each checkpoint, in the order given. */
  readonly bestAt: readonly number[];
}

/**
 * The ask -> evaluate -> tell loop in its smallest form: synchronous, in-process, no workers. Each call gets
 * its own generator derived from (seed, strategy, call, round), as a resumable study would do.
 * Stops at the budget or when the strategy has nothing left to ask (an exhausted grid).
 */
export function minimize(spec: MinimizeSpec): MinimizeResult {
  const { strategy, dim, budget, seed, objective, checkpoints = [] } = spec;
  const valid = validateOptions(strategy.name, strategy.options, spec.options);
  const setup = { dim, options: strategy.forBudget ? strategy.forBudget(valid, { trials: budget }) : valid };
  let state = strategy.init({ ...setup, rng: rngFor(seed, strategy.name, 'init') });
  let best = Infinity;
  let bestX: readonly number[] = [];
  let evaluations = 0;
  const bestAt = checkpoints.map(() => Infinity);
  for (let round = 0; evaluations < budget; round++) {
    const asked = strategy.ask(state, rngFor(seed, strategy.name, 'ask', round), setup);
    if (asked.xs.length === 0) break;
    const told = asked.xs.slice(0, budget - evaluations).map((x) => ({ x, value: objective(x) }));
    for (const t of told) {
      if (t.value < best) {
        best = t.value;
        bestX = t.x;
      }
      evaluations++;
      checkpoints.forEach((c, i) => {
        if (evaluations <= c) bestAt[i] = best;
      });
    }
    state = strategy.tell(asked.state, told, rngFor(seed, strategy.name, 'tell', round), setup);
  }
  return { best, bestX, evaluations, bestAt };
}
