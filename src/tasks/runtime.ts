import type { Params } from '../space/spec.js';
import { loadTf, type BackendChoice } from '../tf/backend.js';
import { resolveTask } from './registry.js';
import { taskData, trainAndEvaluate } from './train.js';

export interface TaskFitnessSpec {
  readonly task: string;
  readonly backend: BackendChoice;
  readonly threads?: number;
  /** Seed of the train/validation split, the same for every trial (default 0). */
  readonly dataSeed?: number;
}

export type TaskMetrics = { loss: number } & Record<string, number | string | boolean>;
export type TaskFitness = (params: Params, ctx: { seed: number; trial: number; signal: AbortSignal }) => Promise<TaskMetrics>;

/**
 * What a worker sets up once: tfjs with the backend, the task, its data split (cached). The fitness trains one
 * model per trial, seeded by the trial's seed, and reports the backend beside the scores.
 */
export async function loadTaskFitness(spec: TaskFitnessSpec): Promise<{ fitness: TaskFitness; backend: string }> {
  const { tf, backend } = await loadTf({ backend: spec.backend, threads: spec.threads });
  const task = await resolveTask(spec.task);
  const dataSeed = spec.dataSeed ?? 0;
  await taskData(task, dataSeed);
  const fitness: TaskFitness = async (params, ctx) => {
    const r = await trainAndEvaluate(task, params, { tf, backend, seed: ctx.seed, signal: ctx.signal, dataSeed });
    const metrics: TaskMetrics = { loss: r.loss, backend, steps: r.steps, trainMs: Math.round(r.trainMs), stepsPerSec: Math.round(r.stepsPerSec) };
    if (r.accuracy !== undefined) metrics.accuracy = r.accuracy;
    if (r.diverged) metrics.diverged = true;
    return metrics;
  };
  return { fitness, backend };
}
