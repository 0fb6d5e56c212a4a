import type { Schema } from '../../../strategies/options.js';
import type { PruneRule, Report, TrialState } from '../../eval/types.js';

/** A finished trial as a scheduler sees it: how it ended and what it reported on the way. */
export interface FinishedTrial {
  readonly number: number;
  readonly state: TrialState;
  readonly reports: readonly Report[];
}

/** Facts about the run a scheduler needs beside its options. */
export interface SchedulerContext {
  /** The resource of a full trial (epochs for tasks), when known. */
  readonly maxResource?: number;
}

/**
 * A scheduler decides how far each trial trains. Like strategies, it has plain-JSON state and no randomness of
 * its own, and it sees trials in trial order only: `plan` gives each trial of a generation the rule its worker
 * applies to its reports, from what earlier generations reported (`tell`). So prunings depend on the root seed
 * alone, never on how many workers ran or which finished first.
 */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds schedulers whose options and state types differ
export interface Scheduler<O = any, S = any> {
  readonly name: string;
  readonly summary: string;
  readonly options: Schema<O>;
  /** Checks the options against the run (throws a usage error naming the option) and returns the first state. */
  init(options: O, ctx: SchedulerContext): S;
  /** One rule per trial number (undefined: the trial runs to its end). */
  plan(state: S, trials: readonly number[]): (PruneRule | undefined)[];
  /** Trials of one generation, in trial order. */
  tell(state: S, finished: readonly FinishedTrial[]): S;
  /**
   * Rung-based schedulers: the bracket trial n belongs to and the resource steps of that bracket's rungs (below the
   * full resource), as the scheduler's state set them up. What the report draws successive halving from.
   */
  rungsOf?(state: S, trial: number): { readonly bracket: number; readonly steps: readonly number[] };
}

export const defineScheduler = <O, S>(s: Scheduler<O, S>): Scheduler<O, S> => s;
