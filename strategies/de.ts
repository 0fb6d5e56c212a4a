import { randInt, shuffleInPlace, type Rng } from '../src/util/rng.js';
import { intOrAuto, num, oneOf } from './options.js';
import { bestFirst, compareScores, isComplete, members, ranking, record, untold, type Member, type Pending } from './generation.js';
import { clampedPoints } from './population.js';
import { defineStrategy } from './types.js';

type Variant = 'rand/1/bin' | 'current-to-best/1/bin';

interface Options {
  readonly variant: Variant;
  readonly F: number;
  readonly CR: number;
  readonly dither: number;
  readonly populationSize: number | null;
}

interface State {
  /** Empty until the starting points have all been told. */
  population: Member[];
  /** The batch in flight: the starting points while the population is empty, then trial i against member i. */
  pending: Pending;
}

/**
 * Default population: dim members, at least 10 and at most 20. Storn & Price's 10 * dim suits budgets of
 * 10^4-10^5 evaluations, far more than the hundreds to thousands a hyperparameter search gets. The sweep this
 * range was first picked from was not committed, so it is not quoted (benchmarks/POPULATION.md).
 */
export const dePopulationSize = (dim: number): number => Math.min(20, Math.max(10, dim));

/** Members kept from generation to generation. */
const sizeOf = (dim: number, o: Options): number => o.populationSize ?? dePopulationSize(dim);

/**
 * Differential evolution (Storn & Price 1997), generational: `ask` returns one trial vector per member, `tell`
 * keeps each trial if it is at least as good as the member it was built for (ties go to the trial, so the
 * population drifts across the plateaus that int and categorical genes create instead of freezing on them).
 */
export const de = defineStrategy<Options, State>({
  name: 'de',
  summary: 'Differential evolution (rand/1/bin or current-to-best/1/bin), one-to-one selection, optional dither.',
  options: {
    variant: oneOf(
      '"rand/1/bin" explores (mutates around random members); "current-to-best/1/bin" converges faster, towards the best',
      'current-to-best/1/bin',
      ['rand/1/bin', 'current-to-best/1/bin'],
    ),
    F: num('differential weight: scale of the difference vector added to the base', 0.7, { min: 0, max: 2, minExclusive: true }),
    CR: num('crossover rate: chance that a gene comes from the mutant rather than the member (low suits separable problems)', 0.5, {
      min: 0,
      max: 1,
    }),
    dither: num('each trial vector draws its own F uniformly from F * [1 - dither, 1 + dither]; 0 keeps F fixed', 0, { min: 0, max: 1 }),
    populationSize: intOrAuto('members; null means dim, between 10 and 20', { min: 4 }),
  },
  init({ dim, options, rng, initialPoints }) {
    return { population: [], pending: { xs: startingPoints(dim, sizeOf(dim, options), initialPoints, rng), scores: [] } };
  },
  ask: (state) => ({ xs: untold(state.pending), state }),
  tell(state, told, rng, { dim, options }) {
    const pending = record(state.pending, told, 'de');
    if (!isComplete(pending)) return { ...state, pending };
    const population = state.population.length === 0 ? firstPopulation(pending, sizeOf(dim, options)) : select(state.population, pending);
    return { ...state, population, pending: { xs: trialVectors(population, options, rng), scores: [] } };
  },
});

/**
 * Every initial point (clamped into the cube), then a Latin hypercube sample up to `size`: one point per slice of every
 * gene, which spreads a small population better than uniform draws do.
 */
function startingPoints(dim: number, size: number, initialPoints: readonly (readonly number[])[] | undefined, rng: Rng): number[][] {
  const given = clampedPoints(dim, initialPoints, 'de');
  const n = Math.max(0, size - given.length);
  const slices = Array.from({ length: dim }, () =>
    shuffleInPlace(
      Array.from({ length: n }, (_, i) => i),
      rng,
    ),
  );
  const lhs = Array.from({ length: n }, (_, i) => slices.map((slice) => (slice[i]! + rng()) / n));
  return [...given, ...lhs];
}

/** The best `size` starting points (more initial points than members may have been given). */
function firstPopulation(p: Pending, size: number): Member[] {
  return bestFirst(members(p)).slice(0, size);
}

function select(population: readonly Member[], trials: Pending): Member[] {
  return population.map((m, i) => {
    const score = trials.scores[i]!;
    return compareScores(score, m.score) <= 0 ? { x: trials.xs[i]!, score } : m;
  });
}

function trialVectors(population: readonly Member[], o: Options, rng: Rng): number[][] {
  const best = population[ranking(population.map((m) => m.score))[0]!]!.x;
  return population.map((member, i) => {
    const F = o.F * (1 + o.dither * (2 * rng() - 1));
    const target = member.x;
    let base: readonly number[];
    let r1: number;
    let r2: number;
    if (o.variant === 'rand/1/bin') {
      const [r0, a, b] = distinctOthers(population.length, i, 3, rng);
      base = population[r0!]!.x;
      [r1, r2] = [a!, b!];
    } else {
      [r1, r2] = distinctOthers(population.length, i, 2, rng) as [number, number];
      base = target.map((t, j) => t + F * (best[j]! - t));
    }
    const x1 = population[r1]!.x;
    const x2 = population[r2]!.x;
    const forced = randInt(rng, target.length);
    return target.map((t, j) => {
      if (j !== forced && rng() >= o.CR) return t;
      return repair(base[j]! + F * (x1[j]! - x2[j]!), t);
    });
  });
}

/**
 * A mutant gene outside [0, 1] goes halfway from the member's gene to the bound it crossed. It keeps the
 * direction the mutation took, lands inside without piling members onto the faces of the cube (as clipping does,
 * which then freezes those genes: differences between equal genes are 0), and still lets an optimum on a bound
 * be approached geometrically. Reflection instead may throw a large overshoot far to the other side.
 */
function repair(v: number, target: number): number {
  if (v < 0) return target / 2;
  if (v > 1) return (target + 1) / 2;
  return v;
}

/** `count` distinct indices in [0, n), all different from `self`. */
function distinctOthers(n: number, self: number, count: number, rng: Rng): number[] {
  const out: number[] = [];
  while (out.length < count) {
    const r = randInt(rng, n);
    if (r !== self && !out.includes(r)) out.push(r);
  }
  return out;
}
