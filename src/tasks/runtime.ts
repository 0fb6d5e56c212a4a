import type { Params } from '../space/spec.js';
import { loadTf, type BackendChoice } from '../tf/backend.js';
import { resolveTask } from './registry.js';
import type { Checkpoint } from './checkpoint.js';
import { taskData, trainAndEvaluate, type Segment } from './train.js';
import { groupKeys, groups as everGroups, taskGroups, type TaskGroups } from './group-fitness.js';
import type { Task, TaskContext, TaskMetrics, TaskResult } from './types.js';

export type { TaskMetrics, TaskResult } from './types.js';

export interface TaskFitnessSpec {
  readonly task: string;
  readonly backend: BackendChoice;
  readonly threads?: number;
  /** Seed of the train/validation split, the same for every trial (default 0). */
  readonly dataSeed?: number;
  /** Training steps run once, before the first trial, to warm V8's JIT (default WARMUP_STEPS; 0: none). */
  readonly warmupSteps?: number;
}

/**
 * About how many steps V8 needs to finish optimising tfjs's code paths. Until then each worker's JIT compiles
 * on V8's helper threads, costing 0.6-1x the training's own CPU (measured: helper-thread CPU per 310-step trial
 * fell 33, 14, 8, 5, 1, 0 ticks against 11 for the training thread), so two workers on two cores would need
 * three: the pool would scale 1.2x instead of 2x for its first seconds.
 */
export const WARMUP_STEPS = 1500;

/**
 * The JIT warm-up: default evaluations of the task (seeds 0, 1, ...) until `steps` training steps are done or
 * `budgetMs` has passed.
 */
export async function warmUp(task: Task, ctx: Omit<TaskContext, 'seed'>, steps: number, budgetMs = Infinity): Promise<void> {
  const start = performance.now();
  for (let done = 0, seed = 0; done < steps && performance.now() - start < budgetMs; seed++) {
    done += (await trainAndEvaluate(task, {}, { ...ctx, seed })).steps;
  }
}

/** What a task trial is given: the fitness context (report is optional so that older callers still work), plus the
 *  checkpoint fields of its request (population-based training). */
export interface TaskFitnessContext {
  readonly seed: number;
  readonly trial: number;
  readonly signal: AbortSignal;
  /** The validation loss after every epoch; false stops training (the trial is then pruned). */
  readonly report?: (step: number, value: number) => boolean;
  readonly restore?: Checkpoint;
  readonly segment?: Segment;
  readonly wantCheckpoint?: boolean;
}

export type TaskFitness = (params: Params, ctx: TaskFitnessContext) => Promise<TaskResult>;

/**
 * What a worker sets up once: tfjs with the backend, the task, its data split (cached), and a JIT warm-up on the
 * task's default model. The fitness trains one model per trial, seeded by the trial's seed, and reports the
 * backend beside the scores.
 */
export async function loadTaskFitness(spec: TaskFitnessSpec): Promise<{ fitness: TaskFitness; backend: string; groups?: TaskGroups }> {
  const { tf, backend } = await loadTf({ backend: spec.backend, threads: spec.threads });
  const task = await resolveTask(spec.task);
  const dataSeed = spec.dataSeed ?? 0;
  await taskData(task, dataSeed);
  await warmUp(task, { tf, backend, dataSeed }, spec.warmupSteps ?? WARMUP_STEPS);
  const fitness: TaskFitness = async (params, ctx) => {
    const { report, restore, segment, wantCheckpoint } = ctx;
    const taskCtx = { tf, backend, seed: ctx.seed, signal: ctx.signal, dataSeed };
    const r = await trainAndEvaluate(task, params, taskCtx, { report, restore, segment, wantCheckpoint });
    const metrics: TaskMetrics = {
      loss: r.loss,
      backend,
      steps: r.steps,
      trainMs: Math.round(r.trainMs),
      stepsPerSec: Math.round(r.stepsPerSec),
      params: r.params,
    };
    if (r.accuracy !== undefined) metrics.accuracy = r.accuracy;
    if (r.diverged) metrics.diverged = true;
    return r.checkpoint ? Object.assign(metrics, { checkpoint: r.checkpoint }) : metrics;
  };
  // Trials of an MLP task can also be trained K at a time (group-fitness.ts): same scores, a fraction of the time.
  const groups = taskGroups(task, { tf, backend, dataSeed });
  return { fitness, backend, ...(everGroups(task, groups.key) ? { groups } : {}) };
}

/**
 * For a study that forms groups itself (eval/queue/evaluator.ts): the group key of the task's trials, as its
 * workers' loadTaskFitness computes it, or undefined when its trials never group. Loads tfjs only for a task
 * without `layout`.
 */
export async function taskGroupKey(spec: Pick<TaskFitnessSpec, 'task' | 'backend'>): Promise<((params: Params) => string | undefined) | undefined> {
  const task = await resolveTask(spec.task);
  const key = groupKeys(task, task.layout ? undefined : await loadTf({ backend: spec.backend }));
  return everGroups(task, key) ? key : undefined;
}
