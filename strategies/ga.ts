import { errors } from '../src/errors.js';
import { clamp01, randInt, type Rng } from '../src/util/rng.js';
import { int, intOrAuto, num, numOrAuto } from './options.js';
import { bestFirst, isComplete, members, record, untold, type Member, type Pending } from './generation.js';
import { startingPoints } from './population.js';
import { binsOf, distinctPoints } from './distinct.js';
import { defineStrategy, type Setup } from './types.js';

interface Options {
  /** null: chosen from the trial budget when the search has one (`gaPopulation`), else SMALL_POPULATION. */
  readonly populationSize: number | null;
  readonly tournament: number;
  readonly crossoverRate: number;
  readonly crossoverEta: number;
  readonly mutationEta: number;
  readonly mutationRate: number | null;
  readonly resetRate: number;
  readonly elite: number;
}

interface State {
  /** The parents of the next generation, best first. Empty until the first generation has been told. */
  population: Member[];
  /** The generation in flight (the starting points, then children of `population`); empty once fully told. */
  pending: Pending;
  /** Decoded keys of every point asked so far (distinct.ts): no configuration is asked twice. */
  asked: string[];
}

/** The population without a budget to go by, and at every budget up to GENERATIONS * SMALL_POPULATION trials. */
const SMALL_POPULATION = 10;
const LARGE_POPULATION = 50;
/** Generations the automatic population leaves room for. */
const GENERATIONS = 100;

/**
 * The population when the user leaves it to the search: about budget / 100, between 10 and 50. Ten individuals
 * with two elites do best up to 1000 trials (50 was worse on 7 of 16 shifted+rotated rows there, better on 1), but
 * they converge within a few hundred trials and then stop improving on rotated multimodal functions (rastrigin 58.8
 * at 1000 trials, 57.2 at 5000), where 50 keep searching (benchmarks/results/*-functions*.md). So the population
 * stays 10 while the budget holds 100 generations of 10, then grows to keep about 100 generations, up to 50 (the
 * largest measured to help, at 5000). Hyperparameter searches (tens to hundreds of trials) keep 10.
 */
export function gaPopulation(budget: number): number {
  return Math.min(LARGE_POPULATION, Math.max(SMALL_POPULATION, Math.round(budget / GENERATIONS)));
}

const sizeOf = (o: Options): number => o.populationSize ?? SMALL_POPULATION;

/**
 * A real-coded generational GA (Deb's recipe, as in NSGA-II and DEAP): tournament selection, simulated binary
 * crossover (SBX) and polynomial mutation, both bounded to [0, 1], plus elitism. Each generation keeps the
 * `elite` best parents unchanged and asks for `populationSize - elite` children. A generation is used only
 * once every child has a result, so the search does not depend on how the study splits batches.
 * No configuration is asked twice: a point that decodes to the parameters of one asked before (a categorical gene
 * moved inside its bin, say) has a gene redrawn until it is new (distinct.ts).
 */
export const ga = defineStrategy<Options, State>({
  name: 'ga',
  summary: 'Real-coded genetic algorithm: tournament selection, SBX crossover, polynomial mutation, elitism.',
  // The population follows the budget (gaPopulation); the operators' defaults were measured on the standard
  // functions at 10 genes, and are weighed against alternatives on the shifted+rotated set (benchmarks/test-functions.ts).
  options: {
    populationSize: intOrAuto(
      `individuals per generation (null: about budget / ${GENERATIONS}, ${SMALL_POPULATION}-${LARGE_POPULATION}; ${SMALL_POPULATION} without a trial budget)`,
      { min: 2 },
    ),
    tournament: int('contestants per tournament (higher = greedier selection)', 3, { min: 1 }),
    crossoverRate: num('probability that a pair of parents is crossed (otherwise they are copied)', 0.9, { min: 0, max: 1 }),
    crossoverEta: num('SBX distribution index: higher keeps children closer to their parents', 15, { min: 0 }),
    mutationEta: num('polynomial mutation index: higher makes smaller steps', 20, { min: 0 }),
    mutationRate: numOrAuto('probability that a gene mutates; null means 1/dim (a child identical to a parent always gets one)', { min: 0, max: 1 }),
    resetRate: num('share of gene mutations that redraw the gene uniformly instead of a polynomial step', 0.4, { min: 0, max: 1 }),
    elite: int('best individuals copied unchanged into the next generation', 2, { min: 0 }),
  },
  forBudget: (options, { trials }) =>
    options.populationSize === null && trials !== undefined ? { ...options, populationSize: gaPopulation(trials) } : options,
  init({ dim, options, rng, initialPoints, binEdges }) {
    if (options.elite >= sizeOf(options)) {
      throw errors.strategyOption('ga', 'elite', `a whole number below populationSize (${sizeOf(options)})`, options.elite);
    }
    const bins = binsOf(dim, binEdges);
    const asked = new Set<string>();
    const xs = distinctPoints(startingPoints(dim, sizeOf(options), initialPoints, rng), asked, bins, rng);
    return { population: [], pending: { xs, scores: [] }, asked: [...asked] };
  },
  ask(state, rng, setup) {
    if (!isComplete(state.pending)) return { xs: untold(state.pending), state };
    const asked = new Set(state.asked);
    const xs = distinctPoints(children(state.population, setup, rng), asked, binsOf(setup.dim, setup.binEdges), rng);
    return { xs: xs.map((x) => [...x]), state: { ...state, pending: { xs, scores: [] }, asked: [...asked] } };
  },
  tell(state, told, _rng, { options }) {
    const pending = record(state.pending, told, 'ga');
    if (!isComplete(pending)) return { ...state, pending };
    // Generational replacement: the elite survive and the children replace everyone else.
    const population = bestFirst([...state.population.slice(0, options.elite), ...members(pending)]);
    return { ...state, population, pending: { xs: [], scores: [] } };
  },
});

function children(population: readonly Member[], setup: Setup<Options>, rng: Rng): number[][] {
  const { crossoverRate, crossoverEta, elite, tournament } = setup.options;
  const wanted = sizeOf(setup.options) - elite;
  const xs: number[][] = [];
  while (xs.length < wanted) {
    const a = select(population, tournament, rng);
    const b = select(population, tournament, rng);
    const pair = rng() < crossoverRate ? sbx(a, b, crossoverEta, rng) : [[...a], [...b]];
    for (const child of pair) if (xs.length < wanted) xs.push(mutate(child, [a, b], setup, rng));
  }
  return xs;
}

/** Tournament with replacement; the population is sorted best first, so the lowest drawn index wins. */
function select(population: readonly Member[], tournament: number, rng: Rng): number[] {
  const n = population.length;
  let winner = randInt(rng, n);
  for (let i = 1; i < tournament; i++) winner = Math.min(winner, randInt(rng, n));
  return population[winner]!.x;
}

/** The SBX spread factor for one side, bounded so the child stays in [0, 1] (Deb & Agrawal 1995). */
function spread(u: number, eta: number, room: number): number {
  const alpha = 2 - (1 + 2 * room) ** -(eta + 1);
  return u <= 1 / alpha ? (u * alpha) ** (1 / (eta + 1)) : (1 / (2 - u * alpha)) ** (1 / (eta + 1));
}

/**
 * Bounded SBX, the two results swapped at random between the children (as Deb's and DEAP's code do), on each gene
 * with probability `geneRate` (the other genes are copied from the parents). Deb's NSGA-II code and DEAP cross
 * each gene with probability 1/2; the GA crosses all of them by default (the default its rows in section 1 of
 * benchmarks/RESULTS.md measure; the earlier comparison that chose it was not committed, so it is not quoted).
 */
export function sbx(a: readonly number[], b: readonly number[], eta: number, rng: Rng, geneRate = 1): [number[], number[]] {
  const c1 = [...a];
  const c2 = [...b];
  for (let i = 0; i < a.length; i++) {
    if (geneRate < 1 && rng() >= geneRate) continue;
    if (Math.abs(a[i]! - b[i]!) < 1e-14) continue;
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

/** What mutation reads of a strategy's setup (GA's, NSGA-II's, SMS-EMOA's). */
export interface Mutating {
  readonly dim: number;
  readonly options: Pick<Options, 'mutationRate' | 'mutationEta' | 'resetRate'>;
}

/**
 * Mutates each gene with probability `mutationRate`. A child still identical to one of its parents (no crossover,
 * no mutation hit) gets one gene mutated anyway: evaluating a known point again would waste a trial, and once
 * the population has converged this happens to a third of the children.
 */
export function mutate(x: number[], parents: readonly (readonly number[])[], setup: Mutating, rng: Rng): number[] {
  const rate = setup.options.mutationRate ?? 1 / setup.dim;
  for (let i = 0; i < x.length; i++) if (rng() < rate) x[i] = mutateGene(x[i]!, setup.options, rng);
  if (parents.some((p) => p.every((v, i) => v === x[i]))) {
    const i = randInt(rng, x.length);
    x[i] = mutateGene(x[i]!, setup.options, rng);
  }
  return x;
}

/**
 * Bounded polynomial mutation (Deb & Goyal 1996), or with probability `resetRate` a uniform redraw.
 * The strategy cannot tell float genes from int or categorical ones (those are bins of the cube, see
 * src/space/codec.ts), and polynomial steps are small (with eta = 20 a step beyond a quarter of the range has
 * odds of about 1 in 400), so without redraws a categorical gene would rarely leave its neighbourhood of bins.
 * Redraws give every bin of every gene a fair chance; they also help to leave local optima (rastrigin), and
 * the mix of small steps and far jumps measured best overall.
 */
function mutateGene(v: number, o: Mutating['options'], rng: Rng): number {
  if (rng() < o.resetRate) return rng();
  const eta = o.mutationEta;
  const u = rng();
  const step =
    u < 0.5
      ? (2 * u + (1 - 2 * u) * (1 - v) ** (eta + 1)) ** (1 / (eta + 1)) - 1
      : 1 - (2 * (1 - u) + 2 * (u - 0.5) * v ** (eta + 1)) ** (1 / (eta + 1));
  return clamp01(v + step);
}
