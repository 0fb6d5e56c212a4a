import { defineStrategy } from './types.js';
import { int } from './options.js';

interface Options {
  batch: number;
}
interface State {
  dim: number;
  batch: number;
  /** Seed points not yet handed out. */
  pending: number[][];
}

/** Uniform sampling of the unit cube: log-uniform for log parameters. The baseline every strategy must beat. */
export const random = defineStrategy<Options, State>({
  name: 'random',
  summary: 'Uniform random search in the encoded space (log-uniform for log parameters). The baseline.',
  options: {
    batch: int('points asked per batch (results never change what comes next)', 32, { min: 1 }),
  },
  init: ({ dim, options, seeds }) => ({ dim, batch: options.batch, pending: (seeds ?? []).map((s) => [...s]) }),
  ask(state, rng) {
    const fromSeeds = state.pending.slice(0, state.batch);
    const xs = [...fromSeeds];
    while (xs.length < state.batch) xs.push(Array.from({ length: state.dim }, () => rng()));
    return { xs, state: { ...state, pending: state.pending.slice(fromSeeds.length) } };
  },
  tell: (state) => state,
});
