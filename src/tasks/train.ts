/**
 * The shared trainer: builds a task's model, trains it for the task's budget, scores it on the validation split.
 *
 * Fast because per-step overhead is what dominates small models in tfjs: the data lives on the backend once per
 * session (one gather per epoch reshuffles it, one slice per step cuts a batch), gradients come from the direct
 * program for MLPs (see tf/gradients.ts), the optimizer updates one flat vector (tf/optimizer.ts), and nothing is
 * read back during an epoch: one read per epoch checks for divergence, one at the end gives the scores.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Params } from '../space/spec.js';
import { rngFor, shuffleInPlace } from '../util/rng.js';
import { gradientProgram, type GradientProgram } from '../tf/gradients.js';
import { accuracy, lossValue } from '../tf/loss.js';
import { FlatOptimizer } from '../tf/optimizer.js';
import { sliceRows } from '../tf/flat-kernels.js';
import { trainConfig, type TrainConfig } from './config.js';
import { lrAt } from './schedule.js';
import type { LayersModel, Task, TaskContext, TaskData } from './types.js';

type Tensor = tfjs.Tensor;

export interface Scores {
  readonly loss: number;
  /** Classification tasks only. */
  readonly accuracy?: number;
}

export interface TrainResult extends Scores {
  readonly steps: number;
  readonly epochs: number;
  /** Wall time of the training steps alone (model building and scoring excluded). */
  readonly trainMs: number;
  readonly stepsPerSec: number;
  /** How gradients were computed: the direct MLP program or tfjs's tape. */
  readonly gradients: GradientProgram['kind'];
  /** True if the weights stopped being finite and training stopped early. */
  readonly diverged: boolean;
  /** Trainable and other weights of the model: its size, an objective or constraint users often want. */
  readonly params: number;
}

/** A model in training at a learning rate the caller sets: what the LR range test drives. */
export interface Session {
  readonly stepsPerEpoch: number;
  setLearningRate(lr: number): void;
  /** Trains n steps and returns the training loss of each. */
  trainSteps(n: number): Promise<Float32Array>;
  evaluate(): Promise<Scores>;
  dispose(): void;
}

const dataCache = new WeakMap<Task, Map<number, Promise<TaskData>>>();

/** The task's split for this seed, made once per thread. */
export function taskData(task: Task, seed: number): Promise<TaskData> {
  let bySeed = dataCache.get(task);
  if (!bySeed) dataCache.set(task, (bySeed = new Map()));
  let data = bySeed.get(seed);
  if (!data) {
    data = Promise.resolve(task.data(seed));
    bySeed.set(seed, data);
    data.catch(() => bySeed.delete(seed));
  }
  return data;
}

/** The params the LR range test trains with: the task's defaults, its rangeTest overrides, then the caller's. */
export function rangeTestParams(task: Task, params: Params = {}): Params {
  return { ...task.defaults, ...task.rangeTest, ...params };
}

/** Everything one run holds on the backend, and the step that advances it. */
class Run {
  readonly stepsPerEpoch: number;
  readonly batchSize: number;
  private readonly x: Tensor;
  private readonly y: Tensor;
  private readonly xVal: Tensor;
  private readonly yVal: Tensor;
  private epochX: Tensor | undefined;
  private epochY: Tensor | undefined;
  private step = 0;

  /** The model's parameter count (weights of every layer). */
  get size(): number {
    return this.model.countParams();
  }

  private constructor(
    private readonly tf: TaskContext['tf'],
    private readonly task: Task,
    private readonly seed: number,
    readonly cfg: TrainConfig,
    private readonly model: LayersModel,
    readonly program: GradientProgram,
    private readonly optimizer: FlatOptimizer,
    data: TaskData,
  ) {
    // A batch larger than the split is the whole split; the last partial batch of an epoch is dropped (every
    // epoch reshuffles, so no row is left out for long), which keeps every step the same shape.
    this.batchSize = Math.min(cfg.batchSize, data.nTrain);
    this.stepsPerEpoch = Math.floor(data.nTrain / this.batchSize);
    // One tidy: if a split does not fit its declared shapes, the tensors already made are freed with the error.
    [this.x, this.y, this.xVal, this.yVal] = tf.tidy(() => [
      tf.tensor(data.xTrain, [data.nTrain, ...data.inputShape]),
      tf.tensor2d(data.yTrain, [data.nTrain, data.targetSize]),
      tf.tensor(data.xVal, [data.nVal, ...data.inputShape]),
      tf.tensor2d(data.yVal, [data.nVal, data.targetSize]),
    ]);
  }

  static async open(task: Task, params: Params, ctx: TaskContext): Promise<Run> {
    const { tf } = ctx;
    const cfg = trainConfig(task.name, { ...task.defaults, ...params });
    const data = await taskData(task, ctx.dataSeed ?? 0);
    const model = task.build({ ...task.defaults, ...params }, ctx);
    let optimizer: FlatOptimizer | undefined;
    try {
      const program = gradientProgram(tf, task.kind, model);
      optimizer = new FlatOptimizer(tf, program.vars, cfg.optimizer, cfg.weightDecay);
      return new Run(tf, task, ctx.seed, cfg, model, program, optimizer, data);
    } catch (e) {
      // e.g. a user task whose data do not match its declared shapes: free what was made before rethrowing.
      optimizer?.dispose();
      model.dispose();
      throw e;
    }
  }

  /** One optimizer step at this LR; returns the batch's loss as a tensor if asked (the caller disposes it). */
  trainStep(lr: number, wantLoss: boolean): tfjs.Scalar | undefined {
    const tf = this.tf;
    const within = this.step % this.stepsPerEpoch;
    if (within === 0) this.reshuffle(this.step / this.stepsPerEpoch);
    const loss = tf.tidy(() => {
      const at = within * this.batchSize;
      const xb = sliceRows(tf, this.epochX!, at, this.batchSize);
      const yb = sliceRows(tf, this.epochY!, at, this.batchSize);
      const { grads, loss } = this.program.gradients(xb, yb, this.seed, this.step, wantLoss);
      this.optimizer.step(grads, lr);
      return loss;
    });
    this.step++;
    return loss;
  }

  /** False once any weight is NaN or infinite (one read). */
  finite(): boolean {
    const sum = this.tf.tidy(() => this.optimizer.checksum());
    const ok = Number.isFinite(sum.dataSync()[0]);
    sum.dispose();
    return ok;
  }

  scores(): Scores {
    const tf = this.tf;
    const values = tf.tidy(() => {
      const out = this.model.apply(this.xVal, { training: false }) as Tensor;
      const loss = lossValue(tf, this.task.kind, out, this.yVal);
      return this.task.kind === 'classification' ? tf.stack([loss, accuracy(tf, out, this.yVal)]) : tf.stack([loss]);
    });
    const [loss, acc] = values.dataSync();
    values.dispose();
    return acc === undefined ? { loss: loss! } : { loss: loss!, accuracy: acc };
  }

  private reshuffle(epoch: number): void {
    const tf = this.tf;
    const n = this.x.shape[0]!;
    const order = shuffleInPlace(Array.from({ length: n }, (_, i) => i), rngFor(this.seed, 'shuffle', epoch));
    tf.dispose([this.epochX!, this.epochY!].filter(Boolean));
    [this.epochX, this.epochY] = tf.tidy(() => {
      const idx = tf.tensor1d(order, 'int32');
      return [tf.gather(this.x, idx), tf.gather(this.y, idx)];
    });
  }

  dispose(): void {
    this.tf.dispose([this.x, this.y, this.xVal, this.yVal, ...[this.epochX, this.epochY].filter((t): t is Tensor => !!t)]);
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/** Lets an abort from another thread arrive (its message needs the event loop), then honours it. */
async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  signal?.throwIfAborted();
}

/**
 * Builds the task's model with these params and seed, trains it for `epochs` epochs under the LR schedule, and
 * returns the validation loss (NaN if training diverged, so that the study records a failed trial).
 */
export async function trainAndEvaluate(task: Task, params: Params, ctx: TaskContext): Promise<TrainResult> {
  const run = await Run.open(task, params, ctx);
  try {
    const { epochs, schedule } = run.cfg;
    const total = epochs * run.stepsPerEpoch;
    let steps = 0;
    let diverged = false;
    const start = performance.now();
    for (let epoch = 0; epoch < epochs && !diverged; epoch++) {
      for (let i = 0; i < run.stepsPerEpoch; i++, steps++) run.trainStep(lrAt(schedule, steps, total), false);
      diverged = !run.finite();
      await checkpoint(ctx.signal);
    }
    const trainMs = performance.now() - start;
    const scores = diverged ? { loss: NaN } : run.scores();
    return {
      ...scores,
      loss: Number.isFinite(scores.loss) ? scores.loss : NaN,
      steps,
      epochs,
      trainMs,
      stepsPerSec: (steps / trainMs) * 1000,
      gradients: run.program.kind,
      diverged,
      params: run.size,
    };
  } finally {
    run.dispose();
  }
}

/** A model ready to train at a learning rate set from outside (the schedule in params is not used). */
export async function openSession(task: Task, params: Params, ctx: TaskContext): Promise<Session> {
  const run = await Run.open(task, params, ctx);
  const tf = ctx.tf;
  let lr = run.cfg.lr;
  let disposed = false;
  return {
    stepsPerEpoch: run.stepsPerEpoch,
    setLearningRate(next: number) {
      lr = next;
    },
    async trainSteps(n: number) {
      if (disposed) throw new Error('trainSteps on a disposed session');
      if (n <= 0) return new Float32Array(0);
      const losses: tfjs.Scalar[] = [];
      for (let i = 0; i < n; i++) losses.push(run.trainStep(lr, true)!);
      const stacked = tf.stack(losses);
      const out = stacked.dataSync() as Float32Array;
      tf.dispose([stacked, ...losses]);
      return Float32Array.from(out);
    },
    async evaluate() {
      return run.scores();
    },
    dispose() {
      if (!disposed) run.dispose();
      disposed = true;
    },
  };
}
