import type { Params } from '../space/spec.js';

/** Why a trial failed; the summary counts failures by kind. */
export type FailureKind =
  | 'error' // the fitness threw or rejected
  | 'nan' // it returned NaN
  | 'infinite' // it returned +/-Infinity
  | 'invalid' // it returned something that is not a number or { loss: number }
  | 'timeout' // it ran past the per-trial timeout; its worker was replaced
  | 'crash' // its worker died (process.exit, an uncaught error outside the trial, a native crash)
  | 'oom' // its worker hit the memory limit
  | 'aborted'; // the search was stopped while it ran

export type MetricValue = number | string | boolean;
export type Metrics = Record<string, MetricValue>;

/** An intermediate value a trial reported: its value after `step` units of resource (epochs, for tasks). */
export interface Report {
  readonly step: number;
  readonly value: number;
}

/**
 * When a running trial stops, as plain data fixed before the trial starts (so it crosses threads and Redis, and a
 * worker applies it without a round trip): at the first report whose step is >= a check's step, a value above
 * that check's threshold stops the trial. Schedulers derive it from earlier generations only (src/study/schedulers).
 */
export interface PruneRule {
  readonly checks: readonly { readonly step: number; readonly threshold: number }[];
}

/** What an evaluator is asked to run: everything a worker needs, and nothing that depends on timing. */
export interface TrialRequest {
  readonly number: number;
  readonly params: Params;
  /** The trial's own seed, derived from the root seed and the trial number. */
  readonly seed: number;
  /** Stop the trial early on its reports (a scheduler's decision); absent: it runs to its end. */
  readonly prune?: PruneRule;
  /** Train only this resource segment [from, to) (PBT rounds), starting from `restore` when given. */
  readonly segment?: { readonly from: number; readonly to: number };
  readonly restore?: Checkpoint;
  /** Return the training state at the end (outcome.checkpoint), so that another trial can continue from it. */
  readonly wantCheckpoint?: boolean;
}

/**
 * A training state as the fitness returned it: opaque to the study, which only stores and hands it on (the task
 * trainer's is src/tasks/checkpoint.ts: flat typed arrays of weights and optimizer slots, plus counters).
 */
export type Checkpoint = { readonly [key: string]: unknown };

interface Ended {
  readonly durationMs: number;
  readonly worker: string;
  /** Every intermediate value the trial reported, in order (absent when it reported none). */
  readonly reports?: readonly Report[];
}

export type TrialOutcome =
  | ({ readonly state: 'complete'; readonly value: number; readonly metrics: Metrics; readonly checkpoint?: Checkpoint } & Ended)
  /** Stopped by its prune rule: `value` is the value it reported at `step`, the step it reached. */
  | ({
      readonly state: 'pruned';
      readonly value: number;
      readonly step: number;
      readonly metrics: Metrics;
      readonly reports: readonly Report[];
    } & Ended)
  | ({ readonly state: 'failed'; readonly kind: FailureKind; readonly message: string } & Ended);

/** How a trial ended: the three states a study records (aborted trials are failed ones that a resume runs again). */
export type TrialState = TrialOutcome['state'];

/**
 * Runs trials. Implementations: in-process (functions), a Piscina thread pool (modules and tasks), and later
 * remote executors. `run` never rejects for a trial's own fault: it resolves to a failed outcome.
 * It may reject only if the evaluator itself is broken or closed.
 */
export interface Evaluator {
  /** How many trials it runs at once. */
  readonly concurrency: number;
  /** A short human description, e.g. "piscina pool, 2 worker threads". */
  readonly description: string;
  /**
   * How many trials to hand it at once (default: `concurrency`). More than `concurrency` lets it send several
   * very short trials to a worker together; a caller that may stop early hands over no more than this.
   */
  capacity?(): number;
  /** Resolves once it can run trials at full speed (e.g. every pool worker has loaded the source); rejects with a
   *  usage error when the source cannot load. A search awaits it before its first trial, so that start-up is
   *  reported as a stage of its own and a broken module fails before any trial. */
  warm?(): Promise<void>;
  run(request: TrialRequest, signal?: AbortSignal): Promise<TrialOutcome>;
  close(): Promise<void>;
  /** Extra facts for the result (backend that ran, worker restarts, ...). */
  info?(): Record<string, unknown>;
}

/** The context a fitness function receives with its params. */
export interface FitnessContext {
  readonly seed: number;
  readonly trial: number;
  readonly signal: AbortSignal;
  /**
   * Records an intermediate value (e.g. the validation loss after epoch `step`; steps must not decrease) and says
   * whether to go on: false means the scheduler stopped the trial, and the fitness should return now (whatever it
   * returns, the trial is recorded as pruned at that step with that value).
   */
  readonly report: (step: number, value: number) => boolean;
  /** True once a report was answered with false. */
  readonly shouldStop: () => boolean;
  /** PBT (fitness modules that export `checkpoints = true`): train [from, to) from `restore` when given, and
   *  return `{ loss, checkpoint }` when `wantCheckpoint` is set. */
  readonly segment?: { readonly from: number; readonly to: number };
  readonly restore?: Checkpoint;
  readonly wantCheckpoint?: boolean;
}

export type FitnessValue = number | ({ loss: number } & Record<string, unknown>);
export type FitnessFn = (params: Params, ctx: FitnessContext) => FitnessValue | Promise<FitnessValue>;
