import { contributions, crowding } from '../src/study/pareto.js';
import { int } from './options.js';
import { generational, isFeasible, moFronts, variationOptions, type MoMember, type MoState, type VariationOptions } from './moea.js';
import { defineStrategy } from './types.js';

interface Options extends VariationOptions {
  readonly offspring: number;
}

/** Above this many objectives exact contributions get slow (slicing is exponential): crowding distance decides. */
const MAX_EXACT_OBJECTIVES = 3;

/**
 * SMS-EMOA (Beume, Naujoks & Emmerich 2007), in batches: each generation asks `offspring` children (SBX and
 * polynomial mutation of crowded-tournament parents), then removes members one at a time until `populationSize`
 * remain: from the worst front, the one whose loss costs the least hypervolume. Hypervolume is what the front is
 * judged by, so selecting on it directly beats NSGA-II's crowding distance (benchmarks/multi-objective.ts). With a
 * batch of 1 it is the original steady-state algorithm; a batch keeps a worker pool busy.
 * Objectives are scaled to [0, 1] by the feasible members' range before contributions are computed (metrics of
 * a tuning run have any units), with the reference point at 1.1 in every objective.
 */
export const smsemoa = defineStrategy<Options, MoState>({
  name: 'smsemoa',
  summary: "SMS-EMOA: Pareto front of several objectives, survival by hypervolume contribution; constraints by Deb's rule.",
  objectives: 'multi',
  options: {
    // Crossing each gene with probability 1/2 (NSGA-II's default) measured within noise of crossing all of them here
    // (ZDT1-3, DTLZ2 and rotated, seeds 100-109): hypervolume survival already keeps the converged children.
    ...variationOptions({ populationSize: 20, crossoverEta: 20, crossoverGeneRate: 1, mutationEta: 10, resetRate: 0.1 }),
    offspring: int('children asked per generation (1 is the original steady-state SMS-EMOA; more keeps workers busy)', 10, { min: 1 }),
  },
  ...generational<Options>(
    'smsemoa',
    (o) => o.offspring,
    (pool, size) => reduce(pool, size),
  ),
});

/** Removes the least valuable member of the worst front until `size` remain. */
export function reduce(pool: MoMember[], size: number): MoMember[] {
  let pop = pool;
  while (pop.length > size) {
    const fronts = moFronts(pop);
    const gone = leastValuable(pop, fronts[fronts.length - 1]!);
    pop = pop.filter((_, i) => i !== gone);
  }
  return pop;
}

function leastValuable(pop: readonly MoMember[], front: readonly number[]): number {
  // Failed and infeasible members go first, the failed and then the largest violation (the latest asked on ties).
  const bad = front.filter((i) => !isFeasible(pop[i]!));
  if (bad.length > 0) return bad.reduce((a, b) => (badness(pop[b]!) >= badness(pop[a]!) ? b : a));
  const feasible = pop.filter(isFeasible);
  const m = feasible[0]!.f.length;
  const lo = Array.from({ length: m }, (_, k) => Math.min(...feasible.map((p) => p.f[k]!)));
  const hi = Array.from({ length: m }, (_, k) => Math.max(...feasible.map((p) => p.f[k]!)));
  const scaled = front.map((i) => pop[i]!.f!.map((v, k) => (hi[k]! > lo[k]! ? (v - lo[k]!) / (hi[k]! - lo[k]!) : 0)));
  const value = m <= MAX_EXACT_OBJECTIVES ? contributions(scaled, new Array<number>(m).fill(1.1)) : crowding(scaled);
  let worst = 0;
  for (let k = 1; k < front.length; k++) if (value[k]! <= value[worst]!) worst = k;
  return front[worst]!;
}

const badness = (m: MoMember) => (m.f === null ? Infinity : m.cv);
