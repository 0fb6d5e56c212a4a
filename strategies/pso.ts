import type { Rng } from '../src/util/rng.js';
import { int, num, oneOf } from './options.js';
import { appendScores, compareScores, type Score } from './generation.js';
import { startingPoints } from './population.js';
import { defineStrategy } from './types.js';

interface Options {
  readonly swarmSize: number;
  readonly inertia: 'constant' | 'linear';
  readonly w: number;
  readonly iterations: number;
  readonly c1: number;
  readonly c2: number;
  readonly vmax: number;
  readonly boundary: 'reflect' | 'clip' | 'random';
  readonly topology: 'global' | 'ring';
  readonly neighbours: number;
}

interface Particle {
  /** Where it is: the point to evaluate in this generation. */
  x: number[];
  v: number[];
  /** Its personal best (x itself until a result arrives); null score = none yet, or only failures. */
  best: number[];
  bestScore: Score;
}

interface State {
  swarm: Particle[];
  /** Results so far for the current positions, in swarm order (the study may tell a prefix at a time). */
  scores: Score[];
  /** Completed generations; drives the linear inertia schedule. */
  iteration: number;
}

/** The schedule of Shi & Eberhart (1998) for `inertia: 'linear'`. */
const W_START = 0.9;
const W_END = 0.4;

/**
 * Particle swarm optimisation with synchronous updates: `ask` returns the swarm's positions, and once all of
 * them have results `tell` updates the personal bests and moves every particle. If the study tells only a
 * prefix, `ask` returns the positions still waiting. The search thus never depends on how batches are split
 * or in which order workers finish.
 */
export const pso = defineStrategy<Options, State>({
  name: 'pso',
  summary: 'Particle swarm optimisation (constriction coefficients, global or ring topology, synchronous).',
  // A small swarm on a wide ring: section 1 of benchmarks/RESULTS.md weighs the ring against the global-best
  // topology and the swarm against 40 particles, on the shifted and rotated functions (benchmarks/POPULATION.md).
  options: {
    swarmSize: int('particles in the swarm (one generation)', 20, { min: 2 }),
    inertia: oneOf('"constant" uses w; "linear" falls from 0.9 to 0.4 over `iterations` generations', 'constant', ['constant', 'linear']),
    w: num('inertia weight for inertia "constant" (0.7298 is the constriction value of Clerc & Kennedy)', 0.7298, { min: 0, max: 1 }),
    iterations: int('generations over which "linear" inertia falls (it stays at 0.4 afterwards)', 100, { min: 1 }),
    c1: num("pull towards the particle's own best", 1.49618, { min: 0 }),
    c2: num('pull towards the best of its neighbourhood', 1.49618, { min: 0 }),
    vmax: num('largest step per gene, as a fraction of the range', 0.2, { min: 0, max: 1, minExclusive: true }),
    boundary: oneOf('what a particle leaving [0,1] does: bounce back, stop at the wall, or land anywhere', 'reflect', ['reflect', 'clip', 'random']),
    topology: oneOf('"global": every particle follows the swarm\'s best; "ring": the best of its ring neighbours', 'ring', ['global', 'ring']),
    neighbours: int('for topology "ring": neighbours on each side of a particle (a ring wider than the swarm is global)', 4, { min: 1 }),
  },
  init({ dim, options, rng, initialPoints }) {
    const swarm = startingPoints(dim, options.swarmSize, initialPoints, rng).map((x) => ({
      x,
      // Half-way towards a random point (SPSO 2006): measured better on rastrigin than uniform in ±vmax.
      v: x.map((xi) => (rng() - xi) / 2),
      best: [...x],
      bestScore: null,
    }));
    return { swarm, scores: [], iteration: 0 };
  },
  ask: (state) => ({ xs: state.swarm.slice(state.scores.length).map((p) => [...p.x]), state }),
  tell(state, told, rng, { options }) {
    const scores = appendScores(state.scores, state.swarm.length, told, 'pso');
    if (scores.length < state.swarm.length) return { ...state, scores };
    const swarm = state.swarm.map((p, i) => (compareScores(scores[i]!, p.bestScore) < 0 ? { ...p, best: [...p.x], bestScore: scores[i]! } : p));
    const w = inertiaWeight(options, state.iteration);
    const moved = swarm.map((p, i) => move(p, neighbourhoodBest(swarm, i, options), w, options, rng));
    return { ...state, swarm: moved, scores: [], iteration: state.iteration + 1 };
  },
});

function inertiaWeight(o: Options, iteration: number): number {
  if (o.inertia === 'constant') return o.w;
  return W_START - (W_START - W_END) * Math.min(1, iteration / o.iterations);
}

/** The best personal best among the particle's neighbours (the whole swarm, or a ring around it). */
function neighbourhoodBest(swarm: readonly Particle[], i: number, o: Options): readonly number[] {
  const n = swarm.length;
  const whole = o.topology === 'global' || 2 * o.neighbours + 1 >= n;
  const reach = whole ? n : 2 * o.neighbours + 1;
  const from = whole ? 0 : i - o.neighbours;
  let best = swarm[i]!;
  for (let k = 0; k < reach; k++) {
    const p = swarm[(((from + k) % n) + n) % n]!;
    if (compareScores(p.bestScore, best.bestScore) < 0) best = p;
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
