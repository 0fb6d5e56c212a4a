/** The shapes of a search: what a caller passes, what preparing it resolves, and what it returns. */
import type { SearchOptions, SearchOptionsInput } from '../options.js';
import type { SpaceInput, SpaceSpec } from '../space/spec.js';
import type { resolveStrategy, StrategyName } from '../../strategies/index.js';
import type { FrontMember, Objective, ObjectiveSpec } from '../study/objectives.js';
import type { TrialSource } from '../eval/create.js';
import type { FailureKind, FitnessFn } from '../eval/types.js';
import type { ScheduledBy } from '../study/study.js';
import type { Best, StopReason, StudyEvent, TrialRecord } from '../study/types.js';
import type { LineageStep, SchedulePiece } from '../study/lineage.js';
import type { LrRangeResult } from '../lr-range/index.js';
import type { Task } from '../tasks/types.js';

/** Library input: the serialisable options, plus what only code can pass (a function, a space object, hooks). */
export type SearchInput = Omit<SearchOptionsInput, 'fitness' | 'space' | 'strategy'> & {
  /** A fitness function (run in-process), or a path / file URL of a fitness module (run in the worker pool). */
  fitness?: FitnessFn | string | URL;
  /** A space object (`log` optional), or the path of a space JSON file. */
  space?: SpaceInput | string;
  /** One of STRATEGIES (default cmaes). */
  strategy?: StrategyName;
  onEvent?: (event: StudyEvent) => void;
  /** Stop asking for trials; running ones finish. */
  stopSignal?: AbortSignal;
  /** Abort running trials too. */
  abortSignal?: AbortSignal;
  /** Continue the run in this folder (written with `out`): its config gives the options, its journal the trials
   *  already finished. Options given here must match the run's, except those in RESUMABLE_CHANGES (budget, ...). */
  resume?: string;
  /** Told before the silent stretches at the start: the LR range test, then the workers' start (and warm-up). */
  onStage?: (stage: SearchStage) => void;
  /** Problems that do not stop the search, e.g. a truncated last journal line. */
  onWarning?: (message: string) => void;
  /** With lrBounds "auto": a finished LR range test to use instead of running one (a resumed run reuses its own). */
  lrRange?: LrRangeResult;
};

export type SearchStage = 'lr-range-test' | 'workers';

export interface SearchResult {
  readonly best: Best | undefined;
  /** Trials recorded (complete + failed). */
  readonly trials: number;
  readonly failed: number;
  readonly failuresByKind: Partial<Record<FailureKind, number>>;
  readonly strategy: string;
  readonly strategyOptions: Record<string, unknown>;
  readonly seed: number;
  readonly budget: number;
  readonly elapsedMs: number;
  readonly workers: number;
  readonly evaluator: string;
  /** The tfjs backend that ran the trials, for tasks. */
  readonly backend?: string;
  /** What the evaluator counted: worker restarts, trials retaken from the queue, ... */
  readonly evaluatorStats: Record<string, unknown>;
  readonly utilisation: number;
  /** Trials stopped early by the scheduler, and at which step. */
  readonly pruned: number;
  readonly prunedByStep: Record<string, number>;
  /** Resource the trials used (epochs for tasks), and the resource budget if one was set. */
  readonly resourceSpent: number;
  readonly budgetEpochs?: number;
  readonly scheduler?: string;
  readonly schedulerOptions?: Record<string, unknown>;
  /** PBT: the best trial's lineage (the chain of checkpoints it continued from) and its learning rate over epochs,
   *  a schedule discovered by evolution that a user can reuse. */
  readonly lineage?: { readonly steps: readonly LineageStep[]; readonly lrSchedule?: readonly SchedulePiece[] };
  /** What was optimised, when not simply the loss; with several objectives, the Pareto front of feasible trials. */
  readonly objectives?: readonly Objective[];
  readonly constraints?: readonly string[];
  /** Trials that broke a constraint. */
  readonly infeasible?: number;
  readonly front?: readonly FrontMember[];
  readonly stoppedBy: StopReason;
  readonly generations: number;
  readonly space: SpaceSpec;
  readonly history: readonly TrialRecord[];
  /** The run folder holding config.json and journal.jsonl, when there is one. */
  readonly out?: string;
  /** The LR range test run for `lrBounds: 'auto'`: its curve, suggestion and the bounds the space got. */
  readonly lrRange?: LrRangeResult;
}

/** Everything a search needs, resolved and validated, before any worker starts. */
export interface PreparedSearch {
  readonly options: SearchOptions;
  readonly space: SpaceSpec;
  readonly strategy: ReturnType<typeof resolveStrategy>;
  readonly strategyName: string;
  /** What is optimised: objectives with directions, and constraints (study/objectives.ts). */
  readonly objectives: ObjectiveSpec;
  readonly source: TrialSource;
  readonly initialPoints: number[][];
  readonly lrRange?: LrRangeResult;
  /** The scheduler, validated against the run; absent: every trial runs to its end. */
  readonly scheduler?: ScheduledBy;
  /** Resource of a full trial (a task's epochs), when known. */
  readonly fullResource?: number;
  /** The task, when trials train one: its best trained model is kept. */
  readonly task?: Task;
  /** For strategies that continue trainings (PBT): the genes that may change mid-training, and the horizon. */
  readonly lineage?: { readonly mutable: readonly boolean[]; readonly resource: number };
}
