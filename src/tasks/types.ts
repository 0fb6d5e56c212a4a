import type * as tfjs from '@tensorflow/tfjs';
import type { Params, SpaceSpec } from '../space/spec.js';
import type { Checkpoint } from './checkpoint.js';

/** One stage of a model as the group program runs it (tf/vectorised.ts's Layout; here so that tasks name it). */
export type Layout =
  | {
      readonly type: 'dense';
      readonly kernelShape: readonly [number, number];
      readonly bias: boolean;
      readonly activation: 'relu' | 'linear' | 'tanh' | 'sigmoid';
    }
  | { readonly type: 'dropout' }
  | { readonly type: 'flatten' };

/** The TensorFlow.js namespace a task must use: given to it, never imported by it, so that the backend chosen
 *  by evotune (tfjs-node, wasm or cpu) is the one that runs. */
export type TF = typeof tfjs;
export type LayersModel = tfjs.LayersModel;

export interface TaskContext {
  readonly tf: TF;
  /** Seed for every initialiser, dropout layer and shuffle of this run. */
  readonly seed: number;
  /** Which backend runs: 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  readonly backend: string;
  readonly signal?: AbortSignal;
  /** Seed of the train/validation split (default 0): fixed across a study's trials so that they all score on the
   *  same validation rows, while `seed` varies per trial. */
  readonly dataSeed?: number;
}

/** A seeded train/validation split, as flat typed arrays (rows x features), built once per worker. */
export interface TaskData {
  readonly xTrain: Float32Array;
  readonly yTrain: Float32Array;
  readonly xVal: Float32Array;
  readonly yVal: Float32Array;
  /** Shape of one example, e.g. [64] or [8, 8, 1]. */
  readonly inputShape: readonly number[];
  /** Width of one target row: number of classes (one-hot) or regression outputs. */
  readonly targetSize: number;
  readonly nTrain: number;
  readonly nVal: number;
}

/**
 * A bundled task, or a user's task module (its default export has this shape).
 * Hyperparameters the shared trainer understands (all optional in `space`/`defaults`): lr, batchSize, optimizer
 * ('adam' | 'sgd' | 'rmsprop'), momentum, beta1, weightDecay, epochs, schedule ('constant' | 'cosine' |
 * 'triangular' | 'onecycle'), lrMin and lrMax (bounds of the cyclical schedules). Anything else (units, dropout,
 * ...) is the task's own business in `build`. The training budget is `epochs` (from params, else `defaults`).
 */
export interface Task {
  readonly name: string;
  readonly description: string;
  /** The default search space. */
  readonly space: SpaceSpec;
  /** One sensible set of hyperparameters: what a single default evaluation and the LR range test use. */
  readonly defaults: Params;
  /** What the LR range test trains, on top of `defaults`: the model and optimizer whose LR it probes (e.g.
   *  `{ optimizer: 'sgd', momentum: 0.9 }`). Absent: `defaults` as they are. The test drives the LR itself. */
  readonly rangeTest?: Params;
  /** 'classification': softmax cross-entropy on one-hot targets (accuracy reported); 'regression': MSE. */
  readonly kind: 'classification' | 'regression';
  /** Seeded data split. Called once per worker and cached by (task, seed). */
  data(seed: number): TaskData | Promise<TaskData>;
  /** A fresh, compiled-or-not model for these hyperparameters, every initialiser seeded from ctx.seed. The output
   *  layer gives logits (classification) or values (regression): the trainer applies the loss. */
  build(params: Params, ctx: TaskContext): LayersModel;
  /**
   * Optional, for speed: the layout of build(params)'s model as tf/vectorised.ts's layoutOf reads it, or undefined
   * for a model that cannot train in a group; it decides which trials train together (tasks/group-train.ts
   * groupKey) without building a model. Absent: evotune builds one model per distinct set of the params that are not
   * the trainer's (lr, batchSize, ...: those must not change the architecture) and remembers its layout.
   */
  readonly layout?: (params: Params) => readonly Layout[] | undefined;
}

/** A task trial's scores: the loss and whatever else the task measures. */
export type TaskMetrics = { loss: number } & Record<string, number | string | boolean>;

/**
 * A task trial's result: the scores as metrics, and the final state when the request asked for it. `checkpoint` is
 * not a metric (the outcome's scorer keeps only numbers, strings and booleans): the worker moves it into the outcome,
 * and its arrays own their buffers, so `transferList(checkpoint)` (checkpoint.ts) hands them back without a copy.
 */
export type TaskResult = TaskMetrics & { checkpoint?: Checkpoint };
