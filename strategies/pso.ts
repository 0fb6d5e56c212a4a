import { errors } from '../src/errors.js';
import type { Rng } from '../src/util/rng.js';
import { int, num, oneOf } from './options.js';
import { score, startingPoints } from './population.js';
import { defineStrategy } from './types.js';

interface Options {
  swarmSize: number;
  inertia: 'constant' | 'linear';
  w: number;
  iterations: number;
  c1: number;
  c2: number;
  vmax: number;
  boundary: 'reflect' | 'clip' | 'random';
  topology: 'global' | 'ring';
  neighbours: number;
}

interface Particle {
  /** Where it is: the point asked next. */
  x: number[];
  v: number[];
  /** Its personal best (x itself until a result arrives). */
  best: number[];
  bestValue: number;
}

interface State {
  dim: number;
  options: Options;
  swarm: Particle[];
  /** Completed ask/tell rounds; drives the linear inertia schedule. */
  iteration: number;
}

/** The schedule of Shi & Eberhart (1998) for `inertia: 'linear'`. */
const W_START = 0.9;
const W_END = 0.4;

/**
 * Particle swarm optimisation with synchronous updates: `ask` returns the whole swarm, `tell` updates personal
 * bests, then moves every particle that was evaluated. Results therefore never depend on the order in which
 * workers finish. Particles the study did not evaluate (a batch cut short) stay put and are asked again.
 */
export const pso = defineStrategy<Options, State>({
  name: 'pso',
  summary: 'Particle swarm optimisation (constriction coefficients, global or ring topology, synchronous).',
  options: {
    swarmSize: int('particles in the swarm (one generation)', 50, { min: 2 }),
    inertia: oneOf('"constant" uses w; "linear" falls from 0.9 to 0.4 over `iterations` generations', 'constant', ['constant', 'linear']),
    w: num('inertia weight for inertia "constant" (0.7298 is the constriction value of Clerc & Kennedy)', 0.7298, { min: 0, max: 1 }),
    iterations: int('generations over which "linear" inertia falls (it stays at 0.4 afterwards)', 100, { min: 1 }),
    c1: num('pull towards the particle\'s own best', 1.49618, { min: 0 }),
    c2: num('pull towards the best of its neighbourhood', 1.49618, { min: 0 }),
    vmax: num('largest step per gene, as a fraction of the range', 0.2, { min: 0, max: 1, minExclusive: true }),
    boundary: oneOf('what a particle leaving [0,1] does: bounce back, stop at the wall, or land anywhere', 'reflect', ['reflect', 'clip', 'random']),
    topology: oneOf('"global": every particle follows the swarm\'s best; "ring": the best of its ring neighbours', 'global', ['global', 'ring']),
    neighbours: int('for topology "ring": neighbours on each side of a particle', 1, { min: 1 }),
  },
  init({ dim, options, rng, seeds }) {
    if (options.topology === 'ring' && 2 * options.neighbours + 1 > options.swarmSize) {
      throw errors.strategyOption('pso', 'neighbours', `at most ${Math.floor((options.swarmSize - 1) / 2)} for a swarm of ${options.swarmSize}`, options.neighbours);
    }
    const swarm = startingPoints(dim, options.swarmSize, seeds, rng).map((x) => ({
      x,
      v: x.map(() => (2 * rng() - 1) * options.vmax),
      best: [...x],
      bestValue: Infinity,
    }));
    return { dim, options, swarm, iteration: 0 };
  },
  ask: (state) => ({ xs: state.swarm.map((p) => [...p.x]), state }),
  tell(state, told, rng) {
    const swarm = state.swarm.map((p, i) => {
      const t = told[i];
      return t && score(t.value) < p.bestValue ? { ...p, best: [...t.x], bestValue: score(t.value) } : p;
    });
    const guides = swarm.map((_, i) => neighbourhoodBest(swarm, i, state.options));
    const w = inertiaWeight(state.options, state.iteration);
    const moved = swarm.map((p, i) => (i < told.length ? move(p, guides[i]!, w, state.options, rng) : p));
    return { ...state, swarm: moved, iteration: state.iteration + 1 };
  },
});

function inertiaWeight(o: Options, iteration: number): number {
  if (o.inertia === 'constant') return o.w;
  return W_START - (W_START - W_END) * Math.min(1, iteration / o.iterations);
}

/** The best personal best among the particle's neighbours (the whole swarm, or a ring around it). */
function neighbourhoodBest(swarm: readonly Particle[], i: number, o: Options): readonly number[] {
  const n = swarm.length;
  const reach = o.topology === 'global' ? n : 2 * o.neighbours + 1;
  const from = o.topology === 'global' ? 0 : i - o.neighbours;
  let best = swarm[i]!;
  for (let k = 0; k < reach; k++) {
    const p = swarm[(((from + k) % n) + n) % n]!;
    if (p.bestValue < best.bestValue) best = p;
  }
  return best.best;
}

function move(p: Particle, guide: readonly number[], w: number, o: Options, rng: Rng): Particle {
  const x: number[] = [];
  const v: number[] = [];
  for (let d = 0; d < p.x.length; d++) {
    const pull = o.c1 * rng() * (p.best[d]! - p.x[d]!) + o.c2 * rng() * (guide[d]! - p.x[d]!);
    const vd = Math.max(-o.vmax, Math.min(o.vmax, w * p.v[d]! + pull));
    const [xd, vNew] = bound(p.x[d]! + vd, vd, o.boundary, rng);
    x.push(xd);
    v.push(vNew);
  }
  return { ...p, x, v };
}

/** Brings a gene back into [0, 1]. |v| <= vmax <= 1, so a single reflection always suffices. */
function bound(x: number, v: number, how: Options['boundary'], rng: Rng): [number, number] {
  if (x >= 0 && x <= 1) return [x, v];
  switch (how) {
    case 'reflect':
      return [x < 0 ? -x : 2 - x, -v];
    case 'clip':
      return [x < 0 ? 0 : 1, 0];
    case 'random':
      return [rng(), 0];
  }
}
