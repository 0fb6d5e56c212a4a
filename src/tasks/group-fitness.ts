/**
 * Trials of a task trained in groups (group-train.ts), for a worker that holds several trials at once: which trials
 * can share a program, and each one's metrics, shaped as the one-trial task fitness (runtime.ts) shapes them. A
 * member's scores are bit-for-bit its solo run's, so grouping changes only the time metrics.
 */
import type { Params } from '../space/spec.js';
import { groupKey, trainGroup, type GroupMember, type GroupResult, type MemberResult } from './group-train.js';
import type { Task, TaskContext, TaskMetrics, TaskResult } from './types.js';

/**
 * Members per group when the worker has that many groupable trials. Measured (benchmarks/vectorised.ts, results
 * of 2026-12-07): K = 16 reaches 79-100% of the best K's member-steps/s on every bundled MLP task, and 100% on the
 * two with 64-wide layers; larger groups gain little more and put more trials behind one timeout or crash.
 */
export const GROUP_SIZE = 16;

export type GroupTrial = GroupMember;

export interface TaskGroups {
  /** The trials' shared-program key, or undefined for one that trains alone (not an MLP, or bad params). */
  key(params: Params): string | undefined;
  /** Trains trials that share a key; one result per trial, in order, as the one-trial fitness returns it (loss NaN
   *  for a diverged one; the checkpoint when asked for). */
  train(trials: readonly GroupTrial[], signal: AbortSignal): Promise<TaskResult[]>;
}

/** A task's group key for a trial's params, or undefined for one that trains alone (not an MLP, or bad params).
 *  `ctx` (tfjs) is needed only for a task without `layout` (group-train.ts groupKey). */
export function groupKeys(task: Task, ctx?: Omit<TaskContext, 'seed' | 'signal'>): (params: Params) => string | undefined {
  return (params) => {
    try {
      return groupKey(task, params, ctx);
    } catch {
      return undefined; // bad params: the trial fails alone, with the one-trial fitness's own message
    }
  };
}

/** Whether a task's trials ever group: its default model does. */
export const groups = (task: Task, key: (params: Params) => string | undefined) => key(task.defaults) !== undefined;

export function taskGroups(task: Task, ctx: Omit<TaskContext, 'seed' | 'signal'>): TaskGroups {
  return {
    key: groupKeys(task, ctx),
    async train(trials, signal) {
      const r = await trainGroup(task, trials, { ...ctx, signal });
      return r.members.map((m) => memberMetrics(m, ctx.backend, trials.length, r));
    },
  };
}

function memberMetrics(m: MemberResult, backend: string, size: number, group: GroupResult): TaskResult {
  const { trainMs, memberStepsPerSec } = group;
  // A diverged member scores NaN like trainAndEvaluate's; a pruned one its last validation loss (its report).
  const loss = m.state === 'diverged' ? NaN : m.loss;
  const metrics: TaskMetrics = {
    loss,
    backend,
    steps: m.steps,
    trainMs: Math.round(trainMs),
    stepsPerSec: Math.round(memberStepsPerSec / size),
    groupSize: size,
    groupMemberStepsPerSec: Math.round(memberStepsPerSec),
    params: group.weightsPerMember,
  };
  if (m.state !== 'diverged' && m.accuracy !== undefined) metrics.accuracy = m.accuracy;
  if (m.state === 'diverged') metrics.diverged = true;
  return m.state === 'complete' && m.checkpoint ? Object.assign(metrics, { checkpoint: m.checkpoint }) : metrics;
}
