import { errors, show } from '../errors.js';
import type { Params, ParamValue } from '../space/spec.js';

export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;
export const SCHEDULES = ['constant', 'cosine', 'triangular', 'onecycle'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];
export type ScheduleName = (typeof SCHEDULES)[number];

/** Each optimizer with only the knobs it has. */
export type OptimizerConfig =
  | { readonly kind: 'adam'; readonly beta1: number }
  | { readonly kind: 'sgd'; readonly momentum: number }
  | { readonly kind: 'rmsprop'; readonly momentum: number };

/** Each schedule with only the bounds it uses. */
export type ScheduleConfig =
  | { readonly kind: 'constant'; readonly lr: number }
  | { readonly kind: 'cosine'; readonly lr: number; readonly warmupFraction: number }
  | { readonly kind: 'triangular' | 'onecycle'; readonly lrMin: number; readonly lrMax: number };

/** What the shared trainer reads from a trial's params (merged over the task's defaults). */
export interface TrainConfig {
  readonly lr: number;
  readonly batchSize: number;
  readonly epochs: number;
  /** L2 penalty on kernels (not biases), added to the gradient. */
  readonly weightDecay: number;
  readonly optimizer: OptimizerConfig;
  readonly schedule: ScheduleConfig;
}

/** Used when neither the params nor the task's defaults say. */
export const TRAINER_DEFAULTS = {
  lr: 1e-3,
  batchSize: 32,
  epochs: 10,
  weightDecay: 0,
  optimizer: 'adam',
  schedule: 'constant',
} as const satisfies Params;

/** Cyclical bounds derived from lr when lrMin/lrMax are not given: [lr / 10, lr]. */
const DERIVED_LR_RATIO = 10;
const WARMUP_FRACTION = 0.1;

/** Reads and checks the trainer's hyperparameters; a bad value is a task error naming the parameter. */
export function trainConfig(task: string, params: Params): TrainConfig {
  const p: Params = { ...TRAINER_DEFAULTS, ...params };
  const num = (name: string, ok: (v: number) => boolean, expected: string): number => {
    const v: ParamValue | undefined = p[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw errors.task(task, `param "${name}": expected ${expected}, got ${show(v)}`);
    return v;
  };
  const optional = (name: string, ok: (v: number) => boolean, expected: string): number | undefined =>
    p[name] === undefined ? undefined : num(name, ok, expected);
  const oneOf = <T extends string>(name: string, choices: readonly T[]): T => {
    const v = p[name];
    if (!choices.includes(v as T)) throw errors.task(task, `param "${name}": expected one of ${choices.join(', ')}, got ${show(v)}`);
    return v as T;
  };
  const positive = (v: number) => v > 0;
  const fraction = (v: number) => v >= 0 && v < 1;

  const lr = num('lr', positive, 'a number > 0');
  const batchSize = num('batchSize', (v) => Number.isInteger(v) && v >= 1, 'a whole number >= 1');
  const epochs = num('epochs', (v) => Number.isInteger(v) && v >= 1, 'a whole number >= 1');
  const weightDecay = num('weightDecay', (v) => v >= 0, 'a number >= 0');
  const momentum = optional('momentum', fraction, 'a number in [0, 1)');
  const beta1 = optional('beta1', fraction, 'a number in [0, 1)');

  const optimizerName = oneOf('optimizer', OPTIMIZERS);
  // One "momentum" gene can serve every optimizer: Adam reads it as beta1 unless beta1 itself is given.
  const optimizer: OptimizerConfig =
    optimizerName === 'adam'
      ? { kind: 'adam', beta1: beta1 ?? momentum ?? 0.9 }
      : optimizerName === 'sgd'
        ? { kind: 'sgd', momentum: momentum ?? 0.9 }
        : { kind: 'rmsprop', momentum: momentum ?? 0 };

  const scheduleName = oneOf('schedule', SCHEDULES);
  let schedule: ScheduleConfig;
  if (scheduleName === 'constant') schedule = { kind: 'constant', lr };
  else if (scheduleName === 'cosine') schedule = { kind: 'cosine', lr, warmupFraction: WARMUP_FRACTION };
  else {
    const lrMax = optional('lrMax', positive, 'a number > 0') ?? lr;
    const lrMin = optional('lrMin', positive, 'a number > 0') ?? lrMax / DERIVED_LR_RATIO;
    if (lrMin >= lrMax) throw errors.task(task, `params "lrMin" and "lrMax": expected lrMin < lrMax, got ${lrMin} and ${lrMax}`);
    schedule = { kind: scheduleName, lrMin, lrMax };
  }
  return { lr, batchSize, epochs, weightDecay, optimizer, schedule };
}

/**
 * The resource of a full training of this task: its epochs, or the largest the space allows when epochs are
 * searched (schedulers place their rungs below it).
 */
/** Trainer hyperparameters that may change between epochs of one training (PBT explores only these): none of
 *  them changes the shape of the weights or of the optimizer's slots. */
export const MUTABLE_MID_TRAINING: ReadonlySet<string> = new Set(['lr', 'momentum', 'beta1', 'weightDecay', 'dropout', 'lrMin', 'lrMax']);

export function taskEpochs(task: { readonly name: string; readonly defaults: Params }, space: Readonly<Record<string, unknown>>): number {
  const searched = space.epochs as { type?: unknown; high?: unknown; choices?: unknown } | undefined;
  if (searched && (searched.type === 'int' || searched.type === 'float') && typeof searched.high === 'number') return searched.high;
  if (searched && Array.isArray(searched.choices) && searched.choices.every((c) => typeof c === 'number'))
    return Math.max(...(searched.choices as number[]));
  return trainConfig(task.name, task.defaults).epochs;
}
