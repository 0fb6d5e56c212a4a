/**
 * A PBT lineage as a recipe: the best member's hyperparameters per segment of epochs (an evolved schedule of the
 * learning rate and the other mutable knobs), trained again from scratch with any seed. Each segment continues the
 * previous one's weights and optimizer state, as the members did during the search; only the seed differs.
 */
import type { Params } from '../space/spec.js';
import type { Checkpoint } from './checkpoint.js';
import { trainAndEvaluate, type Segment, type TrainResult } from './train.js';
import type { Task, TaskContext } from './types.js';

/** One piece of the recipe: what `result.lineage.steps` of a PBT search holds (extra fields are ignored). */
export interface ScheduleStep {
  readonly segment: Segment;
  readonly params: Params;
}

/**
 * Trains `steps` in order from fresh weights (seeded by ctx.seed) and returns the last segment's result: its
 * validation loss is the schedule's. Stops early, with that result, if a segment diverges.
 */
export async function trainSchedule(task: Task, steps: readonly ScheduleStep[], ctx: TaskContext): Promise<TrainResult> {
  if (steps.length === 0) throw new Error('trainSchedule: a schedule of no steps');
  let state: Checkpoint | undefined;
  let last: TrainResult | undefined;
  for (const step of steps) {
    last = await trainAndEvaluate(task, step.params, ctx, { segment: step.segment, wantCheckpoint: true, ...(state ? { restore: state } : {}) });
    if (last.diverged || !last.checkpoint) break;
    state = last.checkpoint;
  }
  return last!;
}
