import { randInt, type Rng } from '../src/util/rng.js';
import { intOrAuto, num } from './options.js';
import { startingPoints } from './population.js';
import { defineStrategy, type Setup, type TrialPlan } from './types.js';

interface Options {
  /** null: chosen by the search from its budget (`autoPopulation`), else 16. */
  readonly population: number | null;
  readonly readyEpochs: number | null;
  readonly quantile: number;
  readonly perturb: number;
  readonly resampleProbability: number;
}

interface Member {
  /** The member's point now (hyperparameters of its next segment). */
  readonly x: number[];
  /** Its value at the end of the last segment told; null when it failed or was not told (JSON has no Infinity). */
  readonly value: number | null;
}

interface State {
  /** Segments asked so far; round r trains [r * ready, min(horizon, (r + 1) * ready)). */
  readonly round: number;
  readonly members: readonly Member[];
  /** The round in flight: what was asked, and how many of its members were told so far (a prefix). */
  readonly pending: { readonly xs: number[][]; readonly plans: TrialPlan[]; readonly told: number };
}

const DEFAULT_POPULATION = 16;
const MIN_AUTO = 8;
const MAX_AUTO = 64;

/**
 * The population when the user leaves it to the search: as many members as the epoch budget holds full trainings,
 * so that a lineage trains about as long as one trial of a full search would. A fixed 16 made a lineage train
 * budget / 16 epochs, several times a full training on the bundled tasks (spirals: 187 against at most 60), and
 * PBT then selected for a length nobody asked for. At least 8 (a quarter of fewer is one member), at most 64.
 */
export function autoPopulation(budgetEpochs: number, fullTraining: number): number {
  return Math.min(MAX_AUTO, Math.max(MIN_AUTO, Math.floor(budgetEpochs / fullTraining)));
}

/**
 * Population-based training (Jaderberg et al., arXiv 1711.09846): a population trains in rounds of `readyEpochs`;
 * after each round the bottom `quantile` copy the weights, optimizer state and hyperparameters of a member drawn
 * from the top `quantile` (exploit, truncation selection), then perturb the genes that may change mid-training
 * (explore: each such gene is redrawn uniformly with `resampleProbability`, otherwise moved by +-`perturb` in the
 * unit cube, i.e. a fixed factor for log-scale parameters). Architecture genes never change after the first round,
 * so a checkpoint always fits the member that loads it. The members' learning rates over the rounds are a schedule
 * discovered by evolution. Rounds are synchronous: the same seed gives the same lineage with any worker count.
 */
export const pbt = defineStrategy<Options, State>({
  name: 'pbt',
  summary: 'Population-based training: train in rounds, the worst copy the best (weights too) and perturb their hyperparameters.',
  continuesTraining: true,
  forBudget: (options, { epochs, fullTraining }) =>
    options.population !== null
      ? options
      : { ...options, population: epochs !== undefined && fullTraining !== undefined ? autoPopulation(epochs, fullTraining) : DEFAULT_POPULATION },
  options: {
    population: intOrAuto(
      `members trained side by side (null: as many full trainings as the epoch budget holds, ${MIN_AUTO}-${MAX_AUTO}; ${DEFAULT_POPULATION} without one)`,
      { min: 2 },
    ),
    readyEpochs: intOrAuto('epochs per round between exploit/explore steps (null: a tenth of the horizon, at least 1)', { min: 1 }),
    quantile: num('share of the population that is exploited (bottom) and exploited from (top)', 0.25, { min: 0, max: 0.5, minExclusive: true }),
    perturb: num('step of a perturbed gene in the unit cube (0.05 of a 3-decade log range is x1.41)', 0.05, { min: 0, max: 1 }),
    resampleProbability: num('probability that a perturbed gene is redrawn uniformly instead', 0.25, { min: 0, max: 1 }),
  },
  init({ dim, options, rng, initialPoints }) {
    const xs = startingPoints(dim, options.population ?? DEFAULT_POPULATION, initialPoints, rng);
    return {
      round: 0,
      members: xs.map((x) => ({ x: [...x], value: null })),
      pending: { xs: [], plans: [], told: 0 },
    };
  },
  ask(state, rng, setup) {
    // A round cut short (the study's budget ended inside it) is asked again from where the telling stopped.
    const { pending } = state;
    if (pending.told < pending.xs.length)
      return { xs: pending.xs.slice(pending.told).map((x) => [...x]), plans: pending.plans.slice(pending.told), state };
    const { ready, horizon } = rounds(setup);
    const from = state.round * ready;
    if (from >= horizon) return { xs: [], state };
    const to = Math.min(horizon, from + ready);
    const { members, parents } = state.round === 0 ? { members: [...state.members], parents: [] as number[] } : exploitExplore(state, setup, rng);
    const plans: TrialPlan[] = members.map((_, i) => ({ ...(parents[i] !== undefined ? { parent: parents[i] } : {}), segment: { from, to } }));
    const xs = members.map((m) => [...m.x]);
    return { xs: xs.map((x) => [...x]), plans, state: { ...state, members, round: state.round + 1, pending: { xs, plans, told: 0 } } };
  },
  tell(state, told) {
    const start = state.pending.told;
    const n = Math.min(told.length, state.pending.xs.length - start);
    const members = state.members.map((m, i) =>
      i >= start && i < start + n ? { x: m.x, value: Number.isFinite(told[i - start]!.value) ? told[i - start]!.value : null } : m,
    );
    return { ...state, members, pending: { ...state.pending, told: start + n } };
  },
});

/** Epochs per round, and the resource a lineage trains in all. A search always says how long a lineage trains
 *  (src/search/prepare.ts); alone, PBT runs ten rounds. */
function rounds({ options, resource }: Setup<Options>): { ready: number; horizon: number } {
  const ready = options.readyEpochs ?? (resource === undefined ? 1 : Math.max(1, Math.round(resource / 10)));
  return { ready, horizon: resource ?? 10 * ready };
}

/**
 * Exploit (bottom quantile copies a top-quantile member) then explore (perturb its mutable genes). If every member
 * failed there is nothing to continue from: the population starts afresh at new random points (no parents).
 */
function exploitExplore(state: State, setup: Setup<Options>, rng: Rng): { members: Member[]; parents: (number | undefined)[] } {
  const n = state.members.length;
  // Ranked best first; ties keep member order, so the ranking is a function of the values alone.
  const worth = (i: number) => state.members[i]!.value ?? Infinity;
  const order = state.members.map((_, i) => i).sort((a, b) => worth(a) - worth(b) || a - b);
  const cut = Math.max(1, Math.round(n * setup.options.quantile));
  const top = order.slice(0, cut).filter((i) => state.members[i]!.value !== null);
  if (top.length === 0) {
    return {
      members: state.members.map(() => ({ x: Array.from({ length: setup.dim }, () => rng()), value: null })),
      parents: state.members.map(() => undefined),
    };
  }
  const bottom = new Set(order.slice(n - cut));
  const members: Member[] = [];
  const parents: (number | undefined)[] = [];
  state.members.forEach((m, i) => {
    // A failed member has no checkpoint to continue from: it is always replaced.
    if (!bottom.has(i) && m.value !== null) {
      members.push(m);
      parents.push(i);
      return;
    }
    const p = top[randInt(rng, top.length)]!;
    members.push({ x: explore(setup, state.members[p]!.x, rng), value: null });
    parents.push(p);
  });
  return { members, parents };
}

function explore({ options, mutable }: Setup<Options>, x: readonly number[], rng: Rng): number[] {
  const { perturb, resampleProbability } = options;
  return x.map((g, d) => {
    if (mutable && !mutable[d]) return g;
    if (rng() < resampleProbability) return rng();
    const moved = g + (rng() < 0.5 ? -perturb : perturb);
    // Reflect at the bounds, so that a member at a bound can still move off it.
    return moved < 0 ? Math.min(1, -moved) : moved > 1 ? Math.max(0, 2 - moved) : moved;
  });
}
