import { errors } from '../src/errors.js';
import { clamp01, randInt, type Rng } from '../src/util/rng.js';
import { int, num, numOrAuto } from './options.js';
import { byValue, score, startingPoints, type Scored } from './population.js';
import { defineStrategy } from './types.js';

interface Options {
  populationSize: number;
  tournament: number;
  crossoverRate: number;
  crossoverEta: number;
  mutationEta: number;
  mutationRate: number | null;
  resetRate: number;
  elite: number;
}

interface State {
  dim: number;
  options: Options;
  /** The first generation (seeds, then uniform points); asked again for as long as nothing has been told. */
  first: number[][];
  /** The parents of the next generation with their values, best first. Empty until results arrive. */
  population: Scored[];
}

/**
 * A real-coded generational GA (Deb's recipe, as in NSGA-II and DEAP): tournament selection, simulated binary
 * crossover (SBX) and polynomial mutation, both bounded to [0, 1], plus elitism.
 * Each generation keeps the `elite` best parents unchanged and asks for `populationSize - elite` children.
 */
export const ga = defineStrategy<Options, State>({
  name: 'ga',
  summary: 'Real-coded genetic algorithm: tournament selection, SBX crossover, polynomial mutation, elitism.',
  options: {
    populationSize: int('individuals per generation', 20, { min: 2 }),
    tournament: int('contestants per tournament (higher = greedier selection)', 3, { min: 1 }),
    crossoverRate: num('probability that a pair of parents is crossed (otherwise they are copied)', 0.9, { min: 0, max: 1 }),
    crossoverEta: num('SBX distribution index: higher keeps children closer to their parents', 15, { min: 0 }),
    mutationEta: num('polynomial mutation index: higher makes smaller steps', 20, { min: 0 }),
    mutationRate: numOrAuto('probability that a gene mutates; null means 1/dim', { min: 0, max: 1 }),
    resetRate: num('share of gene mutations that redraw the gene uniformly instead of a polynomial step', 0.1, { min: 0, max: 1 }),
    elite: int('best individuals copied unchanged into the next generation', 2, { min: 0 }),
  },
  init({ dim, options, rng, seeds }) {
    if (options.elite >= options.populationSize) {
      throw errors.strategyOption('ga', 'elite', `a whole number below populationSize (${options.populationSize})`, options.elite);
    }
    return { dim, options, first: startingPoints(dim, options.populationSize, seeds, rng), population: [] };
  },
  ask(state, rng) {
    if (state.population.length === 0) return { xs: state.first.map((x) => [...x]), state };
    const { populationSize, crossoverRate, elite } = state.options;
    const wanted = populationSize - Math.min(elite, state.population.length);
    const xs: number[][] = [];
    while (xs.length < wanted) {
      const a = select(state, rng);
      const b = select(state, rng);
      const children = rng() < crossoverRate ? sbx(a, b, state.options.crossoverEta, rng) : [[...a], [...b]];
      for (const child of children) if (xs.length < wanted) xs.push(mutate(child, state, rng));
    }
    return { xs, state };
  },
  tell(state, told) {
    // Generational replacement: the elite survive, the children replace everyone else. If the study cut the
    // batch short, the best remaining parents fill the gap so the population keeps its size.
    const ranked = state.population;
    const keep = Math.min(state.options.elite, ranked.length);
    const children = told.map((t) => ({ x: [...t.x], value: score(t.value) }));
    const gap = Math.max(0, state.options.populationSize - keep - children.length);
    const next = [...ranked.slice(0, keep), ...children, ...ranked.slice(keep, keep + gap)];
    return { ...state, population: next.sort(byValue) };
  },
});

/** Tournament with replacement; the population is sorted best first, so the lowest drawn index wins. */
function select(state: State, rng: Rng): number[] {
  const n = state.population.length;
  let winner = randInt(rng, n);
  for (let i = 1; i < state.options.tournament; i++) winner = Math.min(winner, randInt(rng, n));
  return state.population[winner]!.x;
}

/** The SBX spread factor for one side, bounded so the child stays in [0, 1] (Deb & Agrawal 1995). */
function spread(u: number, eta: number, room: number): number {
  const alpha = 2 - Math.pow(1 + 2 * room, -(eta + 1));
  return u <= 1 / alpha ? Math.pow(u * alpha, 1 / (eta + 1)) : Math.pow(1 / (2 - u * alpha), 1 / (eta + 1));
}

/** Bounded SBX: each gene is crossed with probability 1/2, and the two results are swapped at random between children. */
function sbx(a: readonly number[], b: readonly number[], eta: number, rng: Rng): [number[], number[]] {
  const c1 = [...a];
  const c2 = [...b];
  for (let i = 0; i < a.length; i++) {
    if (rng() > 0.5 || Math.abs(a[i]! - b[i]!) < 1e-14) continue;
    const lo = Math.min(a[i]!, b[i]!);
    const hi = Math.max(a[i]!, b[i]!);
    const gap = hi - lo;
    const u = rng();
    const low = clamp01(0.5 * (lo + hi - spread(u, eta, lo / gap) * gap));
    const high = clamp01(0.5 * (lo + hi + spread(u, eta, (1 - hi) / gap) * gap));
    const swap = rng() < 0.5;
    c1[i] = swap ? high : low;
    c2[i] = swap ? low : high;
  }
  return [c1, c2];
}

/**
 * Bounded polynomial mutation (Deb & Goyal 1996), per gene. The strategy cannot tell float genes from int or
 * categorical ones (those are bins of the cube, see src/space/codec.ts), and polynomial steps are small (with
 * eta = 20 a step beyond a quarter of the range has odds of about 1 in 400), so a categorical gene would
 * rarely leave its neighbourhood of bins. A `resetRate` share of mutations therefore redraws the gene
 * uniformly, which gives every bin of every gene the same chance to be tried.
 */
function mutate(x: number[], state: State, rng: Rng): number[] {
  const { mutationEta: eta, resetRate } = state.options;
  const rate = state.options.mutationRate ?? 1 / state.dim;
  const power = 1 / (eta + 1);
  for (let i = 0; i < x.length; i++) {
    if (rng() >= rate) continue;
    if (rng() < resetRate) {
      x[i] = rng();
      continue;
    }
    const v = x[i]!;
    const u = rng();
    const step =
      u < 0.5
        ? Math.pow(2 * u + (1 - 2 * u) * Math.pow(1 - v, eta + 1), power) - 1
        : 1 - Math.pow(2 * (1 - u) + 2 * (u - 0.5) * Math.pow(v, eta + 1), power);
    x[i] = clamp01(v + step);
  }
  return x;
}
