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
  init: ({ initialPoints }) => ({ pending: (initialPoints ?? []).map((s) => [...s]) }),
  ask(state, rng, { dim, options }) {
    const fromInitial = state.pending.slice(0, options.batch);
    const xs = [...fromInitial];
    while (xs.length < options.batch) xs.push(Array.from({ length: dim }, () => rng()));
    return { xs, state: { ...state, pending: state.pending.slice(fromInitial.length) } };
  },
  tell: (state) => state,
});
