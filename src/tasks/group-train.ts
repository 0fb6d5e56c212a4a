/**
 * Trains a group of trials that share one architecture as one program (tf/vectorised.ts): K members, each with its
 * own params (learning rate and schedule, optimizer settings, weight decay, dropout rate) and its own seed, which
 * decides its initial weights, batch order and dropout masks exactly as trainAndEvaluate draws them. So a member's
 * result is the one it gets trained alone; only the cost is shared.
 *
 * Per member, after each epoch: a divergence check (a member whose weights are no longer finite stops, diverged,
 * and the others go on), then, if it has a `report`, its validation loss is reported; `false` stops it (pruned).
 * A member that stops leaves the stacked tensors, so it costs nothing afterwards.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { errors } from '../errors.js';
import type { Params } from '../space/spec.js';
import { rngFor, shuffleInPlace } from '../util/rng.js';
import { stagesOf } from '../tf/gradients.js';
import { gatherRows, sliceRows } from '../tf/flat-kernels.js';
import { memberLoss } from '../tf/loss.js';
import { layoutOf, StackedOptimizer, variableShapes, VectorisedProgram, type Layout } from '../tf/vectorised.js';
import { SLOT_COUNT } from '../tf/optimizer.js';
import { trainConfig, type TrainConfig } from './config.js';
import { lrAt } from './schedule.js';
import { checkRestore, epochSpan, taskData, type Scores, type Segment } from './train.js';
import { shapeKey, type Checkpoint } from './checkpoint.js';
import type { Task, TaskContext, TaskData, TF } from './types.js';
import { sizeOf } from '../util/linalg.js';

type Tensor = tfjs.Tensor;

export interface GroupMember {
  readonly params: Params;
  /** The trial's seed: what TaskContext.seed would be for trainAndEvaluate. */
  readonly seed: number;
  /** Called after each epoch (1-based) with the validation loss; `false` stops this member, pruned. */
  readonly report?: (epoch: number, loss: number) => boolean;
  /** Return the final state as trainAndEvaluate's `wantCheckpoint` does (a member that completes). */
  readonly wantCheckpoint?: boolean;
  /** Start from this state, as trainAndEvaluate's `restore` (a PBT segment). All members of a group restore, or none. */
  readonly restore?: Checkpoint;
  /** Train epochs from+1..to, as trainAndEvaluate's `segment`; every member of a group trains the same span. */
  readonly segment?: Segment;
}

export type MemberResult =
  | ({ readonly state: 'complete'; readonly steps: number; readonly epochs: number; readonly checkpoint?: Checkpoint } & Scores)
  /** Stopped by its report: `loss` is the last value reported, after `epoch` epochs. */
  | ({ readonly state: 'pruned'; readonly epoch: number; readonly steps: number } & Scores)
  /** Its weights stopped being finite during `epoch` (1-based); trainAndEvaluate gives loss NaN for it. */
  | { readonly state: 'diverged'; readonly epoch: number; readonly steps: number };

export interface GroupResult {
  /** In the order of the members given. */
  readonly members: readonly MemberResult[];
  /** Training steps summed over members. */
  readonly memberSteps: number;
  /** Wall time of the training steps (model building and data upload excluded). */
  readonly trainMs: number;
  readonly memberStepsPerSec: number;
  /** Trainable weights of one member (the `params` metric of a solo run). */
  readonly weightsPerMember: number;
}

/**
 * What must agree for trials to train in one group: task, architecture, batch size, epochs, optimizer kind. Builds no
 * model when the task gives its layout; otherwise builds one per distinct architecture (see architectureOf), so `ctx`
 * is needed only for a task without `layout`.
 */
export function groupKey(task: Task, params: Params, ctx?: Omit<TaskContext, 'seed'>): string | undefined {
  const merged = { ...task.defaults, ...params };
  const cfg = trainConfig(task.name, merged);
  const layout = architectureOf(task, merged, ctx);
  return layout && keyOf(task, cfg, layout);
}

const keyOf = (task: Task, cfg: TrainConfig, layout: readonly Layout[]) =>
  JSON.stringify([task.name, layout, cfg.batchSize, cfg.epochs, cfg.optimizer.kind]);

/** The trainer's hyperparameters: they never change a model's architecture, so the layouts remembered ignore them. */
const TRAINER_PARAMS: ReadonlySet<string> = new Set([
  'lr',
  'batchSize',
  'optimizer',
  'momentum',
  'beta1',
  'weightDecay',
  'epochs',
  'schedule',
  'lrMin',
  'lrMax',
]);
/** Layouts of built models by task and architecture params (null: cannot group); bounded, oldest dropped first. */
const builtLayouts = new WeakMap<Task, Map<string, readonly Layout[] | null>>();
const REMEMBERED = 256;

/** The layout of build(params)'s model (params merged over the defaults): the task's own `layout`, else built once. */
function architectureOf(task: Task, params: Params, ctx: Omit<TaskContext, 'seed'> | undefined): readonly Layout[] | undefined {
  if (task.layout) return task.layout(params);
  const cache = builtLayouts.get(task) ?? new Map<string, readonly Layout[] | null>();
  builtLayouts.set(task, cache);
  const id = JSON.stringify(
    Object.entries(params)
      .filter(([k]) => !TRAINER_PARAMS.has(k))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const known = cache.get(id);
  if (known !== undefined) return known ?? undefined;
  if (!ctx) throw errors.internal(`the group key of task ${task.name} needs tfjs: it has no layout(params)`);
  const model = task.build(params, { ...ctx, seed: 0 });
  try {
    const stages = stagesOf(model);
    const layout = stages ? layoutOf(stages).layout : null;
    if (cache.size >= REMEMBERED) cache.delete(cache.keys().next().value!);
    cache.set(id, layout);
    return layout ?? undefined;
  } finally {
    model.dispose();
  }
}

interface Built {
  readonly cfg: TrainConfig;
  readonly layout: Layout[];
  readonly rates: number[];
  /** The member's initial variables, in program order (copies: its model is already disposed). */
  readonly vars: Tensor[];
}

/** Builds each member's model as trainAndEvaluate would, keeps its initial weights, checks the group agrees. */
function buildMembers(tf: TF, task: Task, members: readonly GroupMember[], ctx: Omit<TaskContext, 'seed'>): Built[] {
  const built: Built[] = [];
  try {
    for (const m of members) {
      const params = { ...task.defaults, ...m.params };
      const cfg = trainConfig(task.name, params);
      const model = task.build(params, { ...ctx, seed: m.seed });
      try {
        const stages = stagesOf(model);
        if (!stages)
          throw errors.task(task.name, 'a group trains Sequential stacks of Dense, Dropout and Flatten layers only: train this model alone');
        const { layout, rates } = layoutOf(stages);
        const vars = stages.flatMap((s) => (s.type === 'dense' ? (s.bias ? [s.kernel, s.bias] : [s.kernel]) : [])).map((v) => tf.clone(v));
        built.push({ cfg, layout, rates, vars });
      } finally {
        model.dispose();
      }
      const first = built[0]!;
      const last = built[built.length - 1]!;
      if (keyOf(task, last.cfg, last.layout) !== keyOf(task, first.cfg, first.layout)) {
        throw errors.task(
          task.name,
          `group member ${built.length - 1} differs from member 0 in architecture, batchSize, epochs or optimizer: group only trials whose groupKey agrees`,
        );
      }
    }
  } catch (e) {
    for (const b of built) tf.dispose(b.vars);
    throw e;
  }
  return built;
}

/** The data on the backend, each member's epoch order laid out so that one step's K batches are one slice. */
export class GroupData {
  readonly stepsPerEpoch: number;
  readonly batchSize: number;
  private readonly x: Tensor;
  private readonly y: Tensor;
  readonly xVal: Tensor;
  readonly yVal: Tensor;
  private epochX: Tensor | undefined;
  private epochY: Tensor | undefined;

  constructor(
    private readonly tf: TF,
    private readonly data: TaskData,
    batchSize: number,
  ) {
    // As trainAndEvaluate: a batch larger than the split is the split; an epoch's last partial batch is dropped.
    this.batchSize = Math.min(batchSize, data.nTrain);
    this.stepsPerEpoch = Math.floor(data.nTrain / this.batchSize);
    [this.x, this.y, this.xVal, this.yVal] = tf.tidy(() => [
      tf.tensor(data.xTrain, [data.nTrain, ...data.inputShape]),
      tf.tensor2d(data.yTrain, [data.nTrain, data.targetSize]),
      tf.tensor(data.xVal, [1, data.nVal, ...data.inputShape]),
      tf.tensor2d(data.yVal, [data.nVal, data.targetSize]),
    ]);
  }

  /** Each member's shuffle of this epoch, drawn as trainAndEvaluate draws it, arranged step-major. */
  reshuffle(seeds: readonly number[], epoch: number): void {
    const { tf, data, batchSize: b } = this;
    const k = seeds.length;
    const idx = new Int32Array(this.stepsPerEpoch * k * b);
    seeds.forEach((seed, j) => {
      const order = shuffleInPlace(
        Array.from({ length: data.nTrain }, (_, i) => i),
        rngFor(seed, 'shuffle', epoch),
      );
      for (let s = 0; s < this.stepsPerEpoch; s++) idx.set(order.slice(s * b, (s + 1) * b), (s * k + j) * b);
    });
    tf.dispose([this.epochX, this.epochY].filter((t): t is Tensor => !!t));
    [this.epochX, this.epochY] = [gatherRows(tf, this.x, idx), gatherRows(tf, this.y, idx)];
  }

  /** Step `within` of the epoch: x [K, batch, ...], y [K, batch, targets]. Call inside tf.tidy. */
  batch(within: number, k: number): { x: Tensor; y: Tensor } {
    const rows = k * this.batchSize;
    const cut = (t: Tensor) => this.tf.reshape(sliceRows(this.tf, t, within * rows, rows), [k, this.batchSize, ...t.shape.slice(1)]);
    return { x: cut(this.epochX!), y: cut(this.epochY!) };
  }

  dispose(): void {
    this.tf.dispose([this.x, this.y, this.xVal, this.yVal, ...[this.epochX, this.epochY].filter((t): t is Tensor => !!t)]);
  }
}

/** Validation loss (and accuracy) of every member, as train.ts's scores() computes them for one model. [K] each. */
function memberScores(tf: TF, kind: Task['kind'], out: Tensor, y: Tensor): Tensor[] {
  const loss = memberLoss(tf, kind, out, y);
  if (kind === 'regression') return [loss];
  const acc = tf.mean(tf.cast(tf.equal(tf.argMax(out, 2), tf.argMax(y, 1)), 'float32'), 1);
  return [loss, acc];
}

/** Lets an abort from another thread arrive (its message needs the event loop), then honours it. */
async function yieldTo(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  signal?.throwIfAborted();
}

/** The epochs the group trains, [from, to): each member's span by trainAndEvaluate's rule, which all must share. */
function groupSpan(task: Task, members: readonly GroupMember[], epochs: number): Segment {
  const spans = members.map((m) => epochSpan(task, epochs, m));
  const { from, to } = spans[0]!;
  if (spans.some((s) => s.from !== from || s.to !== to) || members.some((m) => !m.restore !== !members[0]!.restore)) {
    throw errors.task(
      task.name,
      'segment: a group trains one span of epochs, from checkpoints for all its members or for none: group trials whose segments agree',
    );
  }
  return { from, to };
}

/** Each member's checkpoint, checked as a solo run checks one (train.ts checkRestore), as optimizer rows. */
function restoredRows(task: Task, members: readonly GroupMember[], fit: Parameters<typeof checkRestore>[2]) {
  return members.map((m) => {
    const c = m.restore!;
    checkRestore(task, c, fit);
    return { theta: c.weights, slots: c.slots, t: c.counters.t ?? c.step };
  });
}

/** A group's program, ready to train: the members' data, program, optimizer and stacked initial weights. */
export interface GroupParts {
  /** Each member's config and dropout rates (its `vars` are already disposed: they live on in `weights`). */
  readonly built: readonly Built[];
  readonly group: GroupData;
  readonly program: VectorisedProgram;
  readonly optimizer: StackedOptimizer;
  readonly weights: Tensor[];
}

/** Builds the members' models as trainAndEvaluate would and stacks them into one program; on error nothing is left. */
export async function assembleGroup(task: Task, members: readonly GroupMember[], ctx: Omit<TaskContext, 'seed'>): Promise<GroupParts> {
  const { tf } = ctx;
  const data = await taskData(task, ctx.dataSeed ?? 0);
  const built = buildMembers(tf, task, members, ctx);
  const { cfg, layout } = built[0]!;
  const shapes = variableShapes(layout);
  let group: GroupData | undefined;
  let program: VectorisedProgram | undefined;
  let weights: Tensor[] = [];
  try {
    group = new GroupData(tf, data, cfg.batchSize);
    program = new VectorisedProgram(
      tf,
      task.kind,
      layout,
      members.map((m, i) => ({ seed: m.seed, rates: built[i]!.rates })),
    );
    weights = tf.tidy(() => shapes.map((_, v) => tf.stack(built.map((b) => b.vars[v]!))));
    const optimizer = new StackedOptimizer(
      tf,
      shapes,
      weights,
      built.map((b) => ({ optimizer: b.cfg.optimizer, weightDecay: b.cfg.weightDecay })),
    );
    return { built, group, program, optimizer, weights };
  } catch (e) {
    tf.dispose(weights);
    group?.dispose();
    program?.dispose();
    throw e;
  } finally {
    for (const b of built) tf.dispose(b.vars);
  }
}

/** Trains the members as one program and returns each one's result. Every member must agree on groupKey. */
export async function trainGroup(task: Task, members: readonly GroupMember[], ctx: Omit<TaskContext, 'seed'>): Promise<GroupResult> {
  const { tf } = ctx;
  if (members.length === 0) return { members: [], memberSteps: 0, trainMs: 0, memberStepsPerSec: 0, weightsPerMember: 0 };
  const { built, group, program, optimizer, weights: initial } = await assembleGroup(task, members, ctx);
  let weights = initial;
  try {
    const span = groupSpan(task, members, built[0]!.cfg.epochs);
    if (members[0]!.restore) {
      const shapes = variableShapes(program.layout);
      const n = shapes.reduce((a, s) => a + sizeOf(s), 0);
      const key = shapeKey({ task: task.name, optimizer: optimizer.kind, batchSize: group.batchSize, shapes });
      const fit = { shapeKey: key, weights: n, slots: SLOT_COUNT[optimizer.kind], kind: optimizer.kind, stepsPerEpoch: group.stepsPerEpoch };
      optimizer.importRows(restoredRows(task, members, fit));
      const restored = tf.tidy(() => optimizer.variables());
      tf.dispose(weights);
      weights = restored;
    }
    return await train(tf, task, members, built, group, program, optimizer, weights, (w) => (weights = w), span, ctx.signal);
  } finally {
    tf.dispose(weights);
    group.dispose();
    program.dispose();
    optimizer.dispose();
  }
}

async function train(
  tf: TF,
  task: Task,
  members: readonly GroupMember[],
  built: readonly Built[],
  group: GroupData,
  program: VectorisedProgram,
  optimizer: StackedOptimizer,
  initial: Tensor[],
  hold: (weights: Tensor[]) => void,
  { from, to }: Segment,
  signal: AbortSignal | undefined,
): Promise<GroupResult> {
  // As trainAndEvaluate: the schedule spans max(epochs, to) epochs and is read at the absolute step; shuffles and
  // dropout masks are drawn by absolute epoch and step, so a restored member goes on as it would alone.
  const total = Math.max(built[0]!.cfg.epochs, to) * group.stepsPerEpoch;
  const results: Array<MemberResult | undefined> = members.map(() => undefined);
  /** Original indices of the members still training, in row order. */
  let active = members.map((_, i) => i);
  let weights = initial;
  let steps = from * group.stepsPerEpoch;
  let memberSteps = 0;
  const start = performance.now();
  for (let epoch = from; epoch < to && active.length > 0; epoch++) {
    group.reshuffle(
      active.map((i) => members[i]!.seed),
      epoch,
    );
    for (let i = 0; i < group.stepsPerEpoch; i++, steps++) {
      const lrs = active.map((m) => lrAt(built[m]!.cfg.schedule, steps, total));
      const next = tf.tidy(() => {
        const { x, y } = group.batch(i, active.length);
        return optimizer.step(program.gradients(x, y, weights, steps), lrs);
      });
      tf.dispose(weights);
      hold((weights = next));
    }
    memberSteps += active.length * group.stepsPerEpoch;
    const last = epoch === to - 1;
    const reporting = active.some((m) => members[m]!.report);
    // One read: each member's weight sum (finite or not), and its validation scores when someone needs them.
    const read = tf.tidy(() =>
      tf.stack([optimizer.checksums(), ...(last || reporting ? memberScores(tf, task.kind, program.predict(group.xVal, weights), group.yVal) : [])]),
    );
    const values = read.dataSync() as Float32Array;
    read.dispose();
    const k = active.length;
    const keep: number[] = [];
    active.forEach((m, row) => {
      // Steps of this run, as trainAndEvaluate counts them (a restored checkpoint's are not counted again).
      const stepsDone = (epoch + 1 - from) * group.stepsPerEpoch;
      if (!Number.isFinite(values[row]!)) return void (results[m] = { state: 'diverged', epoch: epoch + 1, steps: stepsDone });
      const loss = values[k + row]!;
      const report = members[m]!.report;
      const scores: Scores = task.kind === 'classification' ? { loss, accuracy: values[2 * k + row]! } : { loss };
      if (report && !report(epoch + 1, loss)) return void (results[m] = { state: 'pruned', ...scores, epoch: epoch + 1, steps: stepsDone });
      if (!last) return void keep.push(row);
      results[m] = { state: 'complete', ...scores, loss: Number.isFinite(loss) ? loss : NaN, steps: stepsDone, epochs: to - from };
    });
    if (last && active.some((m) => members[m]!.wantCheckpoint && results[m]?.state === 'complete')) {
      const states = optimizer.exportRows();
      const key = shapeKey({ task: task.name, optimizer: optimizer.kind, batchSize: group.batchSize, shapes: variableShapes(program.layout) });
      active.forEach((m, row) => {
        const r = results[m]!;
        if (!members[m]!.wantCheckpoint || r.state !== 'complete') return;
        const s = states[row]!;
        results[m] = {
          ...r,
          checkpoint: { shapeKey: key, step: to * group.stepsPerEpoch, epoch: to, weights: s.theta, slots: s.slots, counters: { t: s.t } },
        };
      });
    }
    if (keep.length < k && keep.length > 0) {
      optimizer.keepRows(keep);
      active = keep.map((row) => active[row]!);
      program.setMembers(active.map((m) => ({ seed: members[m]!.seed, rates: built[m]!.rates })));
      const kept = tf.tidy(() => optimizer.variables());
      tf.dispose(weights);
      hold((weights = kept));
    } else if (keep.length === 0) active = [];
    await yieldTo(signal);
  }
  const trainMs = performance.now() - start;
  const weightsPerMember = variableShapes(program.layout).reduce((n, s) => n + sizeOf(s), 0);
  return { members: results.map((r) => r!), memberSteps, trainMs, memberStepsPerSec: (memberSteps / trainMs) * 1000, weightsPerMember };
}
