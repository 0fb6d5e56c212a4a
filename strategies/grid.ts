import { errors } from '../src/errors.js';
import { bool, int } from './options.js';
import { MAX_PERMUTATION_SIZE, permute, randomPermutation, type Permutation } from './permutation.js';
import { startingPoints } from './population.js';
import { defineStrategy } from './types.js';

interface Options {
  readonly pointsPerParam: number;
  readonly shuffle: boolean;
  readonly batch: number;
}

interface State {
  /** How many grid points have results; the next batch starts there. */
  next: number;
  /** The visiting order when shuffled; null walks the grid in order (last parameter fastest). */
  order: Permutation | null;
  /** Seed points without results yet (they come before the grid). */
  pending: number[][];
}

/**
 * Exhaustive grid search. Points sit at bin centres (i + 0.5) / k of the cube, so a log parameter gets
 * log-spaced values and an int or categorical one gets whole bins. Only `tell` moves through the grid, so
 * points of a batch cut short are asked again (a resumed study with a larger budget misses none). Once every
 * point has a result, `ask` returns an empty batch: the study stops there.
 */
export const grid = defineStrategy<Options, State>({
  name: 'grid',
  summary: 'Grid search over bin centres (log-spaced for log parameters); stops when the grid is exhausted.',
  options: {
    pointsPerParam: int('values tried per parameter; the grid has pointsPerParam^dim points', 5, { min: 1 }),
    shuffle: bool('visit the grid in random order (matters when the budget is smaller than the grid)', true),
    batch: int('points asked per batch (results never change what comes next)', 32, { min: 1 }),
  },
  init({ dim, options, rng, initialPoints }) {
    const size = gridSize(dim, options);
    if (size > MAX_PERMUTATION_SIZE) {
      throw errors.strategyOption('grid', 'pointsPerParam', `a grid of at most 2^52 points (pointsPerParam^${dim})`, options.pointsPerParam);
    }
    return {
      next: 0,
      order: options.shuffle ? randomPermutation(size, rng) : null,
      pending: startingPoints(dim, 0, initialPoints, rng),
    };
  },
  ask(state, _rng, { dim, options }) {
    const xs = state.pending.slice(0, options.batch).map((x) => [...x]);
    const size = gridSize(dim, options);
    for (let i = state.next; xs.length < options.batch && i < size; i++) {
      xs.push(gridPoint(state.order ? permute(i, state.order) : i, dim, options.pointsPerParam));
    }
    return { xs, state };
  },
  tell(state, told, _rng, { dim, options }) {
    const initialTold = Math.min(told.length, state.pending.length);
    const next = state.next + told.length - initialTold;
    if (next > gridSize(dim, options)) throw errors.internal(`grid: told ${told.length} results but fewer points were asked`);
    return { ...state, next, pending: state.pending.slice(initialTold) };
  },
});

/** Grid points in all. */
const gridSize = (dim: number, o: Options): number => o.pointsPerParam ** dim;

/** The grid point with this index, read as a base-k number whose last digit is the last parameter. */
function gridPoint(index: number, dim: number, k: number): number[] {
  const x = new Array<number>(dim);
  let rest = index;
  for (let d = dim - 1; d >= 0; d--) {
    x[d] = ((rest % k) + 0.5) / k;
    rest = Math.floor(rest / k);
  }
  return x;
}
