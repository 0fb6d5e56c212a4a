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

/** What an evaluator is asked to run: everything a worker needs, and nothing that depends on timing. */
export interface TrialRequest {
  readonly number: number;
  readonly params: Params;
  /** The trial's own seed, derived from the root seed and the trial number. */
  readonly seed: number;
}

export type TrialOutcome =
  | { readonly state: 'complete'; readonly value: number; readonly metrics: Metrics; readonly durationMs: number; readonly worker: string }
  | { readonly state: 'failed'; readonly kind: FailureKind; readonly message: string; readonly durationMs: number; readonly worker: string };

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
}

export type FitnessValue = number | ({ loss: number } & Record<string, unknown>);
export type FitnessFn = (params: Params, ctx: FitnessContext) => FitnessValue | Promise<FitnessValue>;
