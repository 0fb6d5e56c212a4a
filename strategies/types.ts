import type { Rng } from '../src/util/rng.js';
import type { Schema } from './options.js';

/** One evaluated point as a strategy sees it. Failed trials arrive with value = +Infinity (the worst). */
export interface Told {
  readonly x: readonly number[];
  /** The objective, minimised (for several objectives: the first). */
  readonly value: number;
  /** Every objective, each minimised; given to strategies with `objectives: 'multi'` (absent: [value]). */
  readonly values?: readonly number[];
  /** How far the trial is from meeting its constraints (sum of their positive parts): 0 or absent = feasible. */
  readonly violation?: number;
}

/** What a strategy can search for: one value, or the Pareto front of several. */
export type ObjectiveKind = 'single' | 'multi';

/**
 * What a strategy is set up with, fixed for a whole search: its validated options (read-only) and the facts of the
 * problem. It is handed to init, ask and tell alike and never copied into the state, so the state holds only what
 * evolves (as in evosax, where params travel beside the state) and a saved state cannot disagree with the options.
 */
export interface Setup<O> {
  /** Number of genes; every gene lives in [0, 1]. */
  readonly dim: number;
  readonly options: Readonly<O>;
  /**
   * Per gene, the sorted interior boundaries between the bins an int or categorical gene decodes to (empty for a
   * float gene, and for a gene of MAX_BIN_EDGES (src/space/codec.ts) edges or more); e.g. [0.5] for a boolean.
   * Strategies that would stall on the plateaus of bins use it (CMA-ES margin).
   */
  readonly binEdges?: readonly (readonly number[])[];
  /** Per gene, whether it may change while a model trains (PBT explores only those; architecture genes may not). */
  readonly mutable?: readonly boolean[];
  /** The resource one lineage of training may use in all (PBT's horizon, in epochs for tasks). */
  readonly resource?: number;
}

/** The setup, plus what only the first population uses. */
export interface InitContext<O> extends Setup<O> {
  readonly rng: Rng;
  /** Initial points (in the unit cube) to place in the first population, e.g. around the LR range test's suggestion.
   *  (Not RNG seeds: in evotune a seed is only ever a random generator's seed.) */
  readonly initialPoints?: readonly (readonly number[])[];
}

/**
 * How a trial continues training instead of starting afresh (population-based training): it trains the resource
 * segment [from, to), starting from the checkpoint of trial `parent` of the previous batch (an index into it).
 */
export interface TrialPlan {
  readonly parent?: number;
  readonly segment: { readonly from: number; readonly to: number };
}

/**
 * A search strategy in ask/tell form, on the unit cube, with explicit state and explicit randomness.
 * - `ask` returns the next batch (a generation, or the strategy's natural batch) and the new state.
 * - `tell` receives results for a prefix of the last asked batch, in the same order (the study may cut the
 *   last batch short when the budget ends), and returns the new state.
 * State must be plain data: JSON.parse(JSON.stringify(state)) must behave identically (used to resume). It holds
 * only what evolves: options and problem facts arrive with every call as `setup` (the same object for a whole search).
 * Strategies must never mutate the state they are given, nor use any randomness but `rng`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds strategies whose options and state types differ
export interface Strategy<O = any, S = any> {
  readonly name: string;
  readonly summary: string;
  /** 'multi' strategies read Told.values and Told.violation; others (the default) are told one value. */
  readonly objectives?: ObjectiveKind;
  readonly options: Schema<O>;
  /**
   * Options left to the search (null) chosen from the budget, for a strategy whose best settings depend on it (GA's
   * population on the trials, PBT's on the epochs). Called once before the first init of a new search
   * (prepareSearch, the benchmark driver); what it returns is what the run records and a resume replays. A strategy
   * with it is not budget-blind: the best after n trials of a longer run is not the best of a run of n.
   */
  forBudget?(options: O, budget: Budget): O;
  init(ctx: InitContext<O>): S;
  ask(state: S, rng: Rng, setup: Setup<O>): { xs: number[][]; state: S; plans?: TrialPlan[] };
  /** True for strategies that train their trials in segments from checkpoints (PBT): they cannot take a scheduler. */
  readonly continuesTraining?: boolean;
  tell(state: S, told: readonly Told[], rng: Rng, setup: Setup<O>): S;
}

/** What a search knows of its budget when it starts; each field only when the search has it. */
export interface Budget {
  /** Trials the search may run. */
  readonly trials?: number;
  /** Resource in all (`--budget-epochs`). */
  readonly epochs?: number;
  /** The resource of one full training of the task. */
  readonly fullTraining?: number;
}

export const defineStrategy = <O, S>(s: Strategy<O, S>): Strategy<O, S> => s;
