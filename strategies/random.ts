import { defineStrategy } from './types.js';
import { int } from './options.js';

interface Options {
  readonly batch: number;
}
interface State {
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
  init: ({ seeds }) => ({ pending: (seeds ?? []).map((s) => [...s]) }),
  ask(state, rng, { dim, options }) {
    const fromSeeds = state.pending.slice(0, options.batch);
    const xs = [...fromSeeds];
    while (xs.length < options.batch) xs.push(Array.from({ length: dim }, () => rng()));
    return { xs, state: { ...state, pending: state.pending.slice(fromSeeds.length) } };
  },
  tell: (state) => state,
});
