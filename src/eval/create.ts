/** Picks the evaluator a search runs its trials on: in this process, a local worker pool, or a Redis queue. */
import type { SearchOptions } from '../options.js';
import { InlineEvaluator } from './inline.js';
import { PoolEvaluator } from './pool.js';
import { QueueEvaluator } from './queue/evaluator.js';
import { LOCAL_EXECUTOR, redisTarget } from './queue/url.js';
import type { FitnessSource } from './source.js';
import type { Evaluator, FitnessFn } from './types.js';

/** What scores a search's trials: a module or task a worker loads, or a function that runs in this process. */
export type TrialSource = FitnessSource | { readonly kind: 'function'; readonly fn: FitnessFn };

export type EvaluatorOptions = Pick<SearchOptions, 'executor' | 'workers' | 'trialTimeout' | 'workerWait' | 'maxHeapMb'> & {
  /** Train a task's trials that share a group key as one program, locally or as one Redis job; default true. Same results. */
  readonly groupTrials?: boolean;
};

/**
 * A function runs inline; modules and tasks run in the worker pool, or on Redis workers with a redis executor.
 * `journaled`: a run folder records the trials (pool workers then format the reports' journal text).
 */
export function createEvaluator(source: TrialSource, options: EvaluatorOptions, notify?: (message: string) => void, journaled = false): Evaluator {
  const trialTimeoutMs = options.trialTimeout === undefined ? undefined : options.trialTimeout * 1000;
  if (source.kind === 'function') return new InlineEvaluator(source.fn, trialTimeoutMs);
  if (options.executor !== LOCAL_EXECUTOR) {
    const target = redisTarget(options.executor, 'executor');
    const workerWaitMs = options.workerWait === undefined ? undefined : options.workerWait * 1000;
    // A task's trials group as in the local pool; the key is computed here, so that a group travels as one job.
    const groupKey =
      source.kind === 'task'
        ? async () => (await import('../tasks/runtime.js')).taskGroupKey({ task: source.task, backend: source.backend })
        : undefined;
    return new QueueEvaluator({
      target,
      source,
      trialTimeoutMs,
      maxHeapMb: options.maxHeapMb,
      workerWaitMs,
      notify,
      ...(groupKey ? { groupKey } : {}),
      groupTrials: options.groupTrials,
    });
  }
  return new PoolEvaluator({
    source,
    workers: options.workers,
    trialTimeoutMs,
    maxHeapMb: options.maxHeapMb,
    reportsJson: journaled,
    groupTrials: options.groupTrials,
  });
}
