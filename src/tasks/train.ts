/**
 * The shared trainer: builds a task's model, trains it for the task's budget, scores it on the validation split.
 *
 * Fast because per-step overhead is what dominates small models in tfjs: the data lives on the backend once per
 * session (one gather per epoch reshuffles it, one slice per step cuts a batch), gradients come from the direct
 * program for MLPs (see tf/gradients.ts), the optimizer updates one flat vector (tf/optimizer.ts), and nothing is
 * read back during an epoch: one read per epoch checks for divergence (and, when progress is reported, reads the
 * validation loss with it), one at the end gives the scores.
 *
 * A run can be cut into segments of epochs: a checkpoint (weights, optimizer slots, step count) taken at the end of
 * one restores into a fresh session, and training on from it equals training straight through, because every
 * random draw (shuffle, dropout masks) and the LR schedule depend on the absolute step, not on the session.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Params } from '../space/spec.js';
import { rngFor, shuffleInPlace } from '../util/rng.js';
import { gradientProgram, inference, type GradientProgram } from '../tf/gradients.js';
import { accuracy, lossValue } from '../tf/loss.js';
import { FlatOptimizer } from '../tf/optimizer.js';
import { gatherRows, sliceRows } from '../tf/flat-kernels.js';
import { errors } from '../errors.js';
import { shapeKey, shapeKeyDiff, type Checkpoint } from './checkpoint.js';
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
  /** The epoch after which `report` said stop (absent when training ran to its end). */
  readonly stoppedAt?: number;
  /** The state at the end, when asked for with `wantCheckpoint` (absent if training diverged). */
  readonly checkpoint?: Checkpoint;
}

/** Epochs as the unit of training segments; `from` epochs are done already (0, or the restored checkpoint's). */
export interface Segment {
  readonly from: number;
  readonly to: number;
}

export interface TrainOptions {
  /** Called after every epoch with its validation loss (epochs counted from 1 and absolute: a restored run goes on
   *  counting); returning false stops training. Costs one forward pass on the validation split per epoch. */
  readonly report?: (epoch: number, value: number) => boolean;
  /** Start from this state instead of fresh weights; it must come from the same task, model shape, optimizer and
   *  batch size (other hyperparameters may differ). */
  readonly restore?: Checkpoint;
  /** Train epochs from+1..to (default: from the restored epoch, or 0, to the params' `epochs`). The LR schedule
   *  spans max(epochs, to) epochs and is read at the absolute step. */
  readonly segment?: Segment;
  /** Return the final state as `checkpoint`. */
  readonly wantCheckpoint?: boolean;
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
  /** What a checkpoint must match to restore here (see checkpoint.ts). */
  readonly shapeKey: string;
  private readonly predict: (x: Tensor) => Tensor;

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
    this.predict = inference(tf, model);
    this.shapeKey = shapeKey({ task: task.name, optimizer: cfg.optimizer.kind, batchSize: this.batchSize, shapes: program.vars.map((v) => v.shape) });
    // One tidy: if a split does not fit its declared shapes, the tensors already made are freed with the error.
    [this.x, this.y, this.xVal, this.yVal] = tf.tidy(() => [
      tf.tensor(data.xTrain, [data.nTrain, ...data.inputShape]),
      tf.tensor2d(data.yTrain, [data.nTrain, data.targetSize]),
      tf.tensor(data.xVal, [data.nVal, ...data.inputShape]),
      tf.tensor2d(data.yVal, [data.nVal, data.targetSize]),
    ]);
  }

  static async open(task: Task, params: Params, ctx: TaskContext, checkpoints = false): Promise<Run> {
    const { tf } = ctx;
    const cfg = trainConfig(task.name, { ...task.defaults, ...params });
    const data = await taskData(task, ctx.dataSeed ?? 0);
    const model = task.build({ ...task.defaults, ...params }, ctx);
    let optimizer: FlatOptimizer | undefined;
    try {
      // A checkpoint holds the trainable weights only: moving statistics (batch norm) would be lost.
      if (checkpoints && model.nonTrainableWeights.length > 0) {
        const names = model.nonTrainableWeights.map((w) => w.name).join(', ');
        throw errors.task(task.name, `checkpoints hold trainable weights only; this model has non-trainable weights (${names})`);
      }
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

  /** Optimizer steps taken, counting those of a restored checkpoint. */
  get stepsTaken(): number {
    return this.step;
  }

  /** False once any weight is NaN or infinite (one read). */
  finite(): boolean {
    const sum = this.tf.tidy(() => this.optimizer.checksum());
    const ok = Number.isFinite(sum.dataSync()[0]);
    sum.dispose();
    return ok;
  }

  scores(): Scores {
    return this.read(false, true).scores;
  }

  /** The validation scores (accuracy only if asked: it costs as much again) and whether the weights are finite, in
   *  one read. */
  read(withChecksum: boolean, withAccuracy: boolean): { scores: Scores; finite: boolean } {
    const tf = this.tf;
    const classification = this.task.kind === 'classification' && withAccuracy;
    const values = tf.tidy(() => {
      const out = this.predict(this.xVal);
      const parts: Tensor[] = [lossValue(tf, this.task.kind, out, this.yVal)];
      if (classification) parts.push(accuracy(tf, out, this.yVal));
      if (withChecksum) parts.push(this.optimizer.checksum());
      return tf.stack(parts);
    });
    const v = values.dataSync();
    values.dispose();
    const scores = classification ? { loss: v[0]!, accuracy: v[1]! } : { loss: v[0]! };
    return { scores, finite: !withChecksum || Number.isFinite(v[v.length - 1]) };
  }

  /** The whole training state after `epoch` epochs (one read). */
  checkpoint(epoch: number): Checkpoint {
    const s = this.optimizer.exportState();
    return { shapeKey: this.shapeKey, step: this.step, epoch, weights: s.theta, slots: s.slots, counters: { t: s.t } };
  }

  /** Continues from a checkpoint, refusing one of another shape (the error says which part differs). */
  restore(c: Checkpoint): void {
    const weights = this.program.vars.reduce((k, v) => k + v.size, 0);
    const fit = {
      shapeKey: this.shapeKey,
      weights,
      slots: this.optimizer.slotCount,
      kind: this.cfg.optimizer.kind,
      stepsPerEpoch: this.stepsPerEpoch,
    };
    checkRestore(this.task, c, fit);
    this.optimizer.importState({ theta: c.weights, slots: c.slots, t: c.counters.t ?? c.step });
    this.step = c.step;
  }

  private reshuffle(epoch: number): void {
    const tf = this.tf;
    const n = this.x.shape[0]!;
    const order = Int32Array.from(
      shuffleInPlace(
        Array.from({ length: n }, (_, i) => i),
        rngFor(this.seed, 'shuffle', epoch),
      ),
    );
    tf.dispose([this.epochX!, this.epochY!].filter(Boolean));
    // gatherRows, not tf.gather: tfjs-wasm's Gather took 11-16% of an epoch of digits or the reference MLP.
    [this.epochX, this.epochY] = [gatherRows(tf, this.x, order), gatherRows(tf, this.y, order)];
  }

  dispose(): void {
    this.tf.dispose([this.x, this.y, this.xVal, this.yVal, ...[this.epochX, this.epochY].filter((t): t is Tensor => !!t)]);
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/** Lets an abort from another thread arrive (its message needs the event loop), then honours it. */
async function letAbortArrive(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  signal?.throwIfAborted();
}

/**
 * The epochs to train, [from, to), checked against the checkpoint: from its epoch (or 0) to the segment's end, or
 * to the params' epochs. A group (group-train.ts) applies the same rule to each of its members.
 */
export function epochSpan(task: Task, epochs: number, o: Pick<TrainOptions, 'restore' | 'segment'>): Segment {
  const bad = (problem: string) => errors.task(task.name, `segment: ${problem}`);
  const done = o.restore?.epoch ?? 0;
  const { from, to } = o.segment ?? { from: done, to: Math.max(done, epochs) };
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from) {
    throw bad(`expected whole numbers 0 <= from <= to, got from ${from}, to ${to}`);
  }
  if (from !== done) {
    throw bad(o.restore ? `from ${from} must be the checkpoint's epoch ${done}` : `from ${from} needs a checkpoint to restore (or from 0)`);
  }
  return { from, to };
}

/** Refuses a checkpoint that does not fit a model of this shape key, size, optimizer and epoch length (the error
 *  says which part differs); the solo run and every member of a group check theirs here. */
export function checkRestore(
  task: Task,
  c: Checkpoint,
  fit: { shapeKey: string; weights: number; slots: number; kind: string; stepsPerEpoch: number },
): void {
  const refuse = (problem: string) => errors.task(task.name, `restore: ${problem}`);
  const diff = shapeKeyDiff(c.shapeKey, fit.shapeKey);
  if (diff) throw refuse(`the checkpoint does not fit this model: ${diff}`);
  const n = fit.weights;
  if (c.weights.length !== n) throw refuse(`the checkpoint holds ${c.weights.length} weights, this model has ${n}`);
  if (c.slots.length !== fit.slots || c.slots.some((a) => a.length !== n)) {
    const lengths = c.slots.map((a) => a.length).join(', ') || 0;
    throw refuse(`the checkpoint holds ${c.slots.length} optimizer slots of ${lengths} values, ${fit.kind} needs ${fit.slots} of ${n}`);
  }
  if (c.step !== c.epoch * fit.stepsPerEpoch) {
    throw refuse(`the checkpoint's step ${c.step} is not its epoch ${c.epoch} x ${fit.stepsPerEpoch} steps per epoch`);
  }
}

/**
 * Builds the task's model with these params and seed, trains it for `epochs` epochs under the LR schedule (or the
 * segment asked for, from a checkpoint), and returns the validation loss (NaN if training diverged, so that the
 * study records a failed trial).
 */
export async function trainAndEvaluate(task: Task, params: Params, ctx: TaskContext, opts: TrainOptions = {}): Promise<TrainResult> {
  const run = await Run.open(task, params, ctx, !!(opts.restore || opts.wantCheckpoint));
  try {
    const { from, to } = epochSpan(task, run.cfg.epochs, opts);
    if (opts.restore) run.restore(opts.restore);
    const { schedule } = run.cfg;
    const total = Math.max(run.cfg.epochs, to) * run.stepsPerEpoch;
    let steps = 0;
    let diverged = false;
    let stoppedAt: number | undefined;
    let epoch = from;
    // The last epoch's scores, read with its report (the final ones then cost no second pass).
    let last: Scores | undefined;
    const start = performance.now();
    while (epoch < to && !diverged && stoppedAt === undefined) {
      for (let i = 0; i < run.stepsPerEpoch; i++, steps++) run.trainStep(lrAt(schedule, run.stepsTaken, total), false);
      epoch++;
      if (opts.report) {
        const final = epoch === to;
        const r = run.read(true, final);
        diverged = !r.finite;
        if (final) last = r.scores;
        if (!diverged && !opts.report(epoch, r.scores.loss)) stoppedAt = epoch;
      } else diverged = !run.finite();
      await letAbortArrive(ctx.signal);
    }
    const trainMs = performance.now() - start;
    const scores = diverged ? { loss: NaN } : (last ?? run.scores());
    const checkpoint = opts.wantCheckpoint && !diverged ? run.checkpoint(epoch) : undefined;
    return {
      ...scores,
      loss: Number.isFinite(scores.loss) ? scores.loss : NaN,
      steps,
      epochs: epoch - from,
      trainMs,
      stepsPerSec: (steps / trainMs) * 1000,
      gradients: run.program.kind,
      diverged,
      params: run.size,
      ...(stoppedAt !== undefined ? { stoppedAt } : {}),
      ...(checkpoint ? { checkpoint } : {}),
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
