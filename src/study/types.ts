import type { Params } from '../space/spec.js';
import type { Checkpoint, FailureKind, Metrics, TrialOutcome } from '../eval/types.js';
import type { FrontMember } from './objectives.js';

/** One trial as the study records it: what was asked, and how it ended. */
export interface TrialRecord {
  readonly number: number;
  readonly generation: number;
  /** The point in the unit cube the strategy asked for. */
  readonly x: readonly number[];
  readonly params: Params;
  readonly seed: number;
  readonly outcome: TrialOutcome;
  /** True when the outcome came from the journal of an earlier run (resume), not from running it now. */
  readonly replayed: boolean;
  /** PBT: the resource segment it trained, and the trial whose checkpoint it started from. */
  readonly segment?: { readonly from: number; readonly to: number };
  readonly parent?: number;
}

export interface Best {
  readonly value: number;
  readonly params: Params;
  readonly trial: number;
  /** What the best trial returned beside its value (accuracy, training time, ...). */
  readonly metrics?: Metrics;
  /** Set (> 0) when no trial met the constraints and this one breaks them least (see objectives.ts). */
  readonly violation?: number;
}

export type StopReason = 'budget' | 'time' | 'target' | 'exhausted' | 'stopped';

export type StudyEvent =
  | {
      readonly type: 'asked';
      readonly trial: number;
      readonly generation: number;
      readonly x: readonly number[];
      readonly params: Params;
      readonly seed: number;
      readonly segment?: { readonly from: number; readonly to: number };
      readonly parent?: number;
    }
  | {
      readonly type: 'finished';
      readonly record: TrialRecord;
      readonly best: Best | undefined;
      readonly done: number;
      readonly failed: number;
      readonly pruned: number;
      readonly budget: number;
      /** Resource spent so far (epochs for tasks), and the resource budget if there is one. */
      readonly resourceSpent: number;
      readonly resourceBudget?: number;
      /** Several objectives: how many trials are on the Pareto front so far (`best` is then one objective's). */
      readonly front?: number;
    };

export interface StudySummary {
  readonly best: Best | undefined;
  readonly trials: readonly TrialRecord[];
  readonly complete: number;
  readonly failed: number;
  readonly failuresByKind: Partial<Record<FailureKind, number>>;
  /** Trials a scheduler stopped early, and how many at each step. */
  readonly pruned: number;
  readonly prunedByStep: Record<string, number>;
  /** Resource the trials used (epochs for tasks; see StudyConfig.trialResource), replayed ones included. */
  readonly resourceSpent: number;
  readonly generations: number;
  readonly stoppedBy: StopReason;
  readonly elapsedMs: number;
  /** Busy worker time over (wall time x workers) while trials ran in this process; replayed trials excluded. */
  readonly utilisation: number;
  /** The best trial's training state, when trials returned one (the model a user takes away). */
  readonly bestCheckpoint?: Checkpoint;
  /** Several objectives: the feasible non-dominated trials (objectives.ts). */
  readonly front?: readonly FrontMember[];
}

/** A finished trial from an earlier run of the same study, by trial number (used to resume). */
export interface ReplayedTrial {
  readonly x: readonly number[];
  readonly outcome: TrialOutcome;
}
