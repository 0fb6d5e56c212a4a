/**
 * K models of one Sequential Dense/Dropout/Flatten architecture as ONE program: every weight stacked on a leading
 * member axis ([K, in, out]), every kernel of a step run once for all K, per-member hyperparameters as [K, 1]
 * vectors. Small models are bound by per-kernel overhead, not arithmetic, so this amortises that overhead K ways.
 *
 * Each member's numbers are those of the single-model program (tf/gradients.ts 'direct' and tf/optimizer.ts): the
 * same kernels in the same order on the same values, elementwise ops never mixing members, products run per
 * member (stacked-kernels.ts), dropout masks drawn from the member's own (seed, step, layer). So a member trained
 * in a group ends where it would alone, and a member whose weights turn NaN cannot touch the others.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { deriveSeed } from '../util/rng.js';
import type { OptimizerConfig } from '../tasks/config.js';
import { ADAM_EPS, BETA2, flatStep, RMS_DECAY, RMS_EPS, resolvePath, SLOT_COUNT, type FlatState, type UpdatePath } from './optimizer.js';
import type { Layout, TF } from '../tasks/types.js';
import { throughActivation, type Stage } from './gradients.js';
import { memberLoss, type LossKind } from './loss.js';
import { concatRows, sliceColumns, stackedProducts, type StackedProducts } from './stacked-kernels.js';
import { sizeOf } from '../util/linalg.js';

type Tensor = tfjs.Tensor;

/** A stage of the shared architecture, without any member's weights. */
export type { Layout } from '../tasks/types.js';

/** The architecture of a model's stages, and its dropout rates (which may differ between members). */
export function layoutOf(stages: readonly Stage[]): { layout: Layout[]; rates: number[] } {
  const rates: number[] = [];
  const layout = stages.map((s): Layout => {
    if (s.type === 'dense') return { type: 'dense', kernelShape: s.kernel.shape as [number, number], bias: !!s.bias, activation: s.activation };
    if (s.type === 'dropout') {
      rates.push(s.rate);
      return { type: 'dropout' };
    }
    return { type: 'flatten' };
  });
  return { layout, rates };
}

/** The shapes of the variables, in program order: per dense stage, kernel then bias. */
export function variableShapes(layout: readonly Layout[]): number[][] {
  return layout.flatMap((s) => (s.type === 'dense' ? [[...s.kernelShape], ...(s.bias ? [[s.kernelShape[1]]] : [])] : []));
}

/** One member's constants the program needs: its seed and its dropout rate per dropout stage. */
export interface ProgramMember {
  readonly seed: number;
  readonly rates: readonly number[];
}

const column = (tf: TF, values: readonly number[], rank: number) =>
  tf.keep(tf.tensor(Float32Array.from(values), [values.length, ...Array<number>(rank - 1).fill(1)]));

/** Forward and backward for the stacked members; weights are [K, ...variable shape] in variableShapes order. */
export class VectorisedProgram {
  private readonly products: StackedProducts;
  private readonly firstDense: number;
  /** Per dropout stage: keep and 1/keep per member, [K, 1, 1]. */
  private keep: Array<{ keep: Tensor; scale: Tensor } | undefined> = [];
  private members: ProgramMember[] = [];

  constructor(
    private readonly tf: TF,
    private readonly kind: LossKind,
    readonly layout: readonly Layout[],
    members: readonly ProgramMember[],
  ) {
    this.products = stackedProducts(tf);
    this.firstDense = layout.findIndex((s) => s.type === 'dense');
    this.setMembers(members);
  }

  /** Replaces the members' constants (after the group dropped some). */
  setMembers(members: readonly ProgramMember[]): void {
    const tf = this.tf;
    this.disposeConstants();
    this.members = [...members];
    let d = 0;
    this.keep = this.layout.map((s) => {
      if (s.type !== 'dropout') return undefined;
      const j = d++;
      if (members.every((m) => !(m.rates[j]! > 0))) return undefined;
      // As the single program: keep = 1 - rate and its reciprocal, in double, then float32.
      const keeps = members.map((m) => 1 - m.rates[j]!);
      return {
        keep: column(tf, keeps, 3),
        scale: column(
          tf,
          keeps.map((k) => 1 / k),
          3,
        ),
      };
    });
  }

  /** Call inside tf.tidy. x: [K, batch, ...], y: [K, batch, targets]; returns one gradient per variable. */
  gradients(x: Tensor, y: Tensor, weights: readonly Tensor[], step: number): Tensor[] {
    return this.backward(x, y, weights, step).grads;
  }

  /** As gradients, with each member's loss on its batch ([K]): the single program's loss of the step (the LR range test reads it). */
  gradientsWithLoss(x: Tensor, y: Tensor, weights: readonly Tensor[], step: number): { grads: Tensor[]; loss: Tensor } {
    const { grads, h } = this.backward(x, y, weights, step);
    return { grads, loss: memberLoss(this.tf, this.kind, h, y) };
  }

  private backward(x: Tensor, y: Tensor, weights: readonly Tensor[], step: number): { grads: Tensor[]; h: Tensor } {
    const tf = this.tf;
    const { inputs, outputs, masks, h } = this.forward(x, weights, step);
    // loss.ts's lossGrad with each member's mean over its own batch: the same scalar, so the same numbers.
    const perMember = h.size / h.shape[0]!;
    let d =
      this.kind === 'regression' ? tf.mul(tf.sub(h, y), tf.scalar(2 / perMember)) : tf.mul(tf.sub(tf.softmax(h), y), tf.scalar(1 / h.shape[1]!));
    const grads: Tensor[] = [];
    let w = weights.length;
    for (let i = this.layout.length - 1; i >= this.firstDense; i--) {
      const s = this.layout[i]!;
      const needInput = i > this.firstDense;
      if (s.type === 'dense') {
        d = throughActivation(tf, s.activation, d, outputs[i]!);
        if (s.bias) grads.push(tf.sum(d, 1));
        grads.push(this.products.tn(inputs[i]!, d));
        w -= s.bias ? 2 : 1;
        if (needInput) d = this.products.nt(d, weights[w]!);
      } else if (s.type === 'dropout') {
        if (masks[i] && needInput) d = tf.mul(d, masks[i]!);
      } else if (needInput) d = tf.reshape(d, inputs[i]!.shape);
    }
    return { grads: grads.reverse(), h };
  }

  /** The members' outputs for x ([K, rows, ...], or [1, rows, ...] shared by all), without dropout. */
  predict(x: Tensor, weights: readonly Tensor[]): Tensor {
    return this.forward(x, weights, undefined).h;
  }

  /** `step` undefined: inference (no dropout). */
  private forward(x: Tensor, weights: readonly Tensor[], step: number | undefined) {
    const tf = this.tf;
    const inputs: Tensor[] = [];
    const outputs: Tensor[] = [];
    const masks: Array<Tensor | undefined> = [];
    let h = x;
    let w = 0;
    this.layout.forEach((s, i) => {
      inputs.push(h);
      let mask: Tensor | undefined;
      if (s.type === 'dense') {
        const kernel = weights[w++]!;
        const bias = s.bias ? weights[w++] : undefined;
        // As gradients.ts's denseForward (training and inference alike): tanh is not among the fused activations.
        h = s.activation === 'tanh' ? tf.tanh(this.products.nn(h, kernel, bias, 'linear')) : this.products.nn(h, kernel, bias, s.activation);
      } else if (s.type === 'dropout') {
        const k = this.keep[i];
        if (k && step !== undefined) {
          const shape = h.shape.slice(1);
          const u = tf.stack(this.members.map((m) => tf.randomUniform(shape, 0, 1, 'float32', deriveSeed(m.seed, 'dropout', step, i))));
          mask = tf.mul(tf.floor(tf.add(u, k.keep)), k.scale);
          h = tf.mul(h, mask);
        }
      } else h = tf.reshape(h, [h.shape[0]!, h.shape[1]!, -1]);
      masks.push(mask);
      outputs.push(h);
    });
    return { inputs, outputs, masks, h };
  }

  private disposeConstants(): void {
    for (const k of this.keep) if (k) this.tf.dispose([k.keep, k.scale]);
    this.keep = [];
  }

  dispose(): void {
    this.disposeConstants();
  }
}

/** One member's optimizer settings. Every member of a group runs the same kind of optimizer. */
export interface OptimizerMember {
  readonly optimizer: OptimizerConfig;
  readonly weightDecay: number;
}

/**
 * tf/optimizer.ts's FlatOptimizer for K members at once: the parameters are a [K, n] matrix, one row per member in
 * the single optimizer's flat order, and each member's hyperparameters a [K, 1] column. A member whose setting
 * switches a term off in the single optimizer (momentum 0, no weight decay) gets the term with a 0 coefficient,
 * which leaves its numbers unchanged (x * 0 + y = y for finite x).
 */
export class StackedOptimizer {
  private theta: Tensor;
  private state: Tensor[];
  private decay: Tensor | undefined;
  private coef: Record<string, Tensor> = {};
  private readonly scalars: Record<string, Tensor>;
  private members: OptimizerMember[] = [];
  private t = 0;
  readonly kind: OptimizerConfig['kind'];
  readonly path: 'fused' | 'ops';

  /** `initial`: the members' variables, each [K, ...shape], in program order (not disposed here). */
  constructor(
    private readonly tf: TF,
    private readonly shapes: readonly number[][],
    initial: readonly Tensor[],
    members: readonly OptimizerMember[],
    path: UpdatePath = 'auto',
  ) {
    this.path = resolvePath(tf, path);
    this.kind = members[0]!.optimizer.kind;
    const odd = members.find((m) => m.optimizer.kind !== this.kind);
    if (odd) throw new Error(`a group trains one kind of optimizer: ${this.kind} and ${odd.optimizer.kind} given`);
    this.theta = tf.keep(tf.tidy(() => concatRows(tf, initial)));
    // As many slots as the single optimizer keeps, so that a member's checkpoint is the one it would have alone.
    this.state = Array.from({ length: SLOT_COUNT[this.kind] }, () => tf.keep(tf.zerosLike(this.theta)));
    const c = (v: number) => tf.keep(tf.scalar(v));
    this.scalars =
      this.kind === 'adam' ? { b2: c(BETA2), nb2: c(1 - BETA2), eps: c(ADAM_EPS) } : { rho: c(RMS_DECAY), nrho: c(1 - RMS_DECAY), eps: c(RMS_EPS) };
    this.setMembers(members);
  }

  private setMembers(members: readonly OptimizerMember[]): void {
    const tf = this.tf;
    tf.dispose(Object.values(this.coef));
    this.decay?.dispose();
    this.members = [...members];
    const col = (f: (m: OptimizerMember) => number) => column(tf, members.map(f), 2);
    this.coef = this.kind === 'adam' ? { b1: col((m) => beta1Of(m)), nb1: col((m) => 1 - beta1Of(m)) } : { mu: col((m) => momentumOf(m)) };
    const n = this.theta.shape[1]!;
    if (members.some((m) => m.weightDecay > 0)) {
      // As the single optimizer: the decay on kernels (rank >= 2), not biases.
      const rows = new Float32Array(members.length * n);
      members.forEach((m, i) => {
        let at = i * n;
        for (const shape of this.shapes) {
          const size = sizeOf(shape);
          if (shape.length >= 2) rows.fill(m.weightDecay, at, at + size);
          at += size;
        }
      });
      this.decay = tf.keep(tf.tensor2d(rows, [members.length, n]));
    } else this.decay = undefined;
  }

  /** One update at these learning rates (one per member); returns the new variables. Call inside tf.tidy. */
  step(grads: readonly Tensor[], lrs: readonly number[]): Tensor[] {
    const tf = this.tf;
    const k = { ...this.scalars, ...this.coef };
    this.t++;
    const rates = this.kind === 'adam' ? lrs.map((lr, i) => (lr * Math.sqrt(1 - BETA2 ** this.t)) / (1 - beta1Of(this.members[i]!) ** this.t)) : lrs;
    const moving = this.kind === 'sgd' ? this.members.some((m) => momentumOf(m) > 0) : this.state.length > 1;
    const rows = this.members.map((m, i) => ({ rate: rates[i]!, beta1: beta1Of(m), momentum: momentumOf(m) }));
    const tensors = { theta: this.theta, grads, decay: this.decay, state: this.state };
    const { theta, slots, parts } = flatStep(tf, this.path, this.kind, moving, tensors, rows, {
      concat: (gs) => concatRows(tf, gs),
      split: (x) => this.cut(x),
      coefficients: () => ({ k, rate: column2(tf, rates) }),
    });
    slots.forEach((value, i) => this.replace(i, value));
    this.theta.dispose();
    this.theta = tf.keep(theta);
    return parts;
  }

  /** The members' variables, [K, ...shape] each, cut from the parameter rows. Call inside tf.tidy. */
  variables(): Tensor[] {
    return this.cut(this.theta);
  }

  private cut(theta: Tensor): Tensor[] {
    let at = 0;
    return this.shapes.map((shape) => {
      const part = sliceColumns(this.tf, theta, at, shape);
      at += sizeOf(shape);
      return part;
    });
  }

  /** Each member's state as FlatOptimizer.exportState gives it for the same member trained alone (one read). */
  exportRows(): FlatState[] {
    const tf = this.tf;
    const all = tf.tidy(() => tf.stack([this.theta, ...this.state]));
    const data = all.dataSync() as Float32Array;
    all.dispose();
    const [k, n] = this.theta.shape as [number, number];
    const row = (part: number, i: number) => data.slice((part * k + i) * n, (part * k + i + 1) * n);
    return this.members.map((m, i) => ({
      theta: row(0, i),
      // Alone, SGD without momentum never touches its velocity slot: zeros (here the slot ran with a 0 coefficient).
      slots: this.state.map((_, s) => (this.kind === 'sgd' && momentumOf(m) === 0 ? new Float32Array(n) : row(s + 1, i))),
      t: this.t,
    }));
  }

  /**
   * Sets every member's state from FlatOptimizer.exportState rows (a restored checkpoint each), so that training on
   * equals each member going on alone. The members share one step counter, so their counts must agree.
   */
  importRows(rows: readonly FlatState[]): void {
    const tf = this.tf;
    const [k, n] = this.theta.shape as [number, number];
    const t = rows[0]?.t;
    if (rows.length !== k || rows.some((r) => r.t !== t)) throw new Error(`a group restores ${k} members at one step count`);
    if (rows.some((r) => r.theta.length !== n || r.slots.length !== this.state.length || r.slots.some((a) => a.length !== n))) {
      throw new Error(`optimizer state does not fit: each member needs ${n} weights and ${this.state.length} slots of as many`);
    }
    const stack = (part: (r: FlatState) => Float32Array) => {
      const buf = new Float32Array(k * n);
      rows.forEach((r, i) => buf.set(part(r), i * n));
      return tf.keep(tf.tensor2d(buf, [k, n]));
    };
    this.theta.dispose();
    this.theta = stack((r) => r.theta);
    this.state.forEach((_, j) =>
      this.replace(
        j,
        stack((r) => r.slots[j]!),
      ),
    );
    this.t = t!;
  }

  /** Per member, the sum of its weights: NaN or infinite as soon as any of them is. [K]. */
  checksums(): Tensor {
    return this.tf.sum(this.theta, 1);
  }

  /** Keeps only these members (row indices, in order): the others stop costing anything. */
  keepRows(rows: readonly number[]): void {
    const tf = this.tf;
    const idx = tf.tensor1d(Int32Array.from(rows), 'int32');
    const pick = (t: Tensor) => {
      const next = tf.keep(tf.gather(t, idx));
      t.dispose();
      return next;
    };
    this.theta = pick(this.theta);
    this.state = this.state.map(pick);
    idx.dispose();
    this.setMembers(rows.map((r) => this.members[r]!));
  }

  private replace(slot: number, value: Tensor): void {
    this.state[slot]!.dispose();
    this.state[slot] = this.tf.keep(value);
  }

  dispose(): void {
    this.tf.dispose([this.theta, ...this.state, ...Object.values(this.coef), ...Object.values(this.scalars)]);
    this.decay?.dispose();
  }
}

const beta1Of = (m: OptimizerMember) => (m.optimizer.kind === 'adam' ? m.optimizer.beta1 : 0);
const momentumOf = (m: OptimizerMember) => (m.optimizer.kind === 'adam' ? 0 : m.optimizer.momentum);
/** A per-member number as a [K, 1] column, made inside the caller's tidy. */
const column2 = (tf: TF, values: readonly number[]) => tf.tensor2d(Float32Array.from(values), [values.length, 1]);
