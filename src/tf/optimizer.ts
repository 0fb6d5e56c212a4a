import type * as tfjs from '@tensorflow/tfjs';
import type { OptimizerConfig } from '../tasks/config.js';
import type { TF } from '../tasks/types.js';
import { concatFlat, splitFlat } from './flat-kernels.js';
import { fusedStep, fusedUpdateAvailable, type RowCoefficients, type SharedCoefficients } from './simd-update.js';

type Tensor = tfjs.Tensor;

export const BETA2 = 0.999;
export const ADAM_EPS = 1e-7;
export const RMS_DECAY = 0.9;
export const RMS_EPS = 1e-7;
const SHARED: SharedCoefficients = { beta2: BETA2, adamEps: ADAM_EPS, rmsDecay: RMS_DECAY, rmsEps: RMS_EPS };

/** What an update multiplies by: scalars for one model, [K, 1] columns for a stacked group (tf/vectorised.ts). */
export type UpdateCoefficients = Readonly<Record<string, Tensor>>;

/**
 * One update of Adam (slots m, v; coefficients b1 nb1 b2 nb2 eps), SGD (slot: velocity if `moving`; mu) or
 * RMSProp (slots: mean square, momentum if `moving`; rho nrho eps mu) from the gradient g: the amount to subtract
 * from the weights and the new slots. `rate` is the step size (Adam's with its bias corrections folded in).
 */
export function optimizerUpdate(
  tf: TF,
  kind: OptimizerConfig['kind'],
  state: readonly Tensor[],
  g: Tensor,
  k: UpdateCoefficients,
  rate: Tensor,
  moving: boolean,
): { update: Tensor; slots: Tensor[] } {
  switch (kind) {
    case 'adam': {
      const m = tf.add(tf.mul(state[0]!, k.b1!), tf.mul(g, k.nb1!));
      const v = tf.add(tf.mul(state[1]!, k.b2!), tf.mul(tf.square(g), k.nb2!));
      return { update: tf.mul(tf.div(m, tf.add(tf.sqrt(v), k.eps!)), rate), slots: [m, v] };
    }
    case 'sgd': {
      const vel = moving ? tf.add(tf.mul(state[0]!, k.mu!), g) : g;
      return { update: tf.mul(vel, rate), slots: moving ? [vel] : [] };
    }
    case 'rmsprop': {
      const ms = tf.add(tf.mul(state[0]!, k.rho!), tf.mul(tf.square(g), k.nrho!));
      const scaled = tf.mul(tf.div(g, tf.sqrt(tf.add(ms, k.eps!))), rate);
      if (!moving) return { update: scaled, slots: [ms] };
      const update = tf.add(tf.mul(state[1]!, k.mu!), scaled);
      return { update, slots: [ms, update] };
    }
  }
}

/**
 * How a step runs: 'ops' by tfjs ops (stepByOps, the reference, on every backend), 'fused' by one wasm SIMD kernel
 * with the same numbers bit for bit (simd-update.ts; wasm only). 'auto': fused where available.
 */
export type UpdatePath = 'auto' | 'fused' | 'ops';

/** The path a step takes on this backend; 'fused' where it cannot run is a bug (plain Error). */
export function resolvePath(tf: TF, path: UpdatePath): 'fused' | 'ops' {
  if (path === 'ops') return 'ops';
  if (fusedUpdateAvailable(tf)) return 'fused';
  if (path === 'fused') throw new Error(`the fused optimizer update needs the wasm backend (this one is ${tf.getBackend()})`);
  return 'ops';
}

/** The flat parameters' step by tfjs ops: weight decay added to the gradient, optimizerUpdate, theta - update. */
export function stepByOps(
  tf: TF,
  kind: OptimizerConfig['kind'],
  moving: boolean,
  tensors: { theta: Tensor; g: Tensor; decay: Tensor | undefined; state: readonly Tensor[] },
  k: UpdateCoefficients,
  rate: Tensor,
): { theta: Tensor; slots: Tensor[] } {
  const { theta, decay, state } = tensors;
  const g = decay ? tf.add(tensors.g, tf.mul(decay, theta)) : tensors.g;
  const { update, slots } = optimizerUpdate(tf, kind, state, g, k, rate, moving);
  return { theta: tf.sub(theta, update), slots };
}

/** What the op path needs from an optimizer: its flat layout's copies, and its coefficients as tensors. */
export interface OpsLayout {
  /** The gradients as one flat vector (or [K, n] rows). */
  concat(grads: readonly Tensor[]): Tensor;
  /** The new parameters cut back into variables. */
  split(theta: Tensor): Tensor[];
  coefficients(): { k: UpdateCoefficients; rate: Tensor };
}

/**
 * One step by the path chosen, from the variables' gradients: the new flat parameters, the slots the update writes and
 * the new parameters cut into variables. `rows` are the members' coefficients (fused path), `ops` the op path's layout.
 */
export function flatStep(
  tf: TF,
  path: 'fused' | 'ops',
  kind: OptimizerConfig['kind'],
  moving: boolean,
  tensors: { theta: Tensor; grads: readonly Tensor[]; decay: Tensor | undefined; state: readonly Tensor[] },
  rows: readonly RowCoefficients[],
  ops: OpsLayout,
): { theta: Tensor; slots: Tensor[]; parts: Tensor[] } {
  if (path === 'fused') return fusedStep(tf, kind, moving, tensors, rows, SHARED);
  const { k, rate } = ops.coefficients();
  const { theta, slots } = stepByOps(tf, kind, moving, { ...tensors, g: ops.concat(tensors.grads) }, k, rate);
  return { theta, slots, parts: ops.split(theta) };
}

/** An optimizer's whole state as plain arrays: what a checkpoint holds. */
export interface FlatState {
  /** Every weight, flattened in the variables' order. */
  readonly theta: Float32Array;
  /** The slots (Adam m, v; SGD velocity; RMSProp mean square, momentum), each as long as theta. */
  readonly slots: readonly Float32Array[];
  /** Steps taken (Adam's t). */
  readonly t: number;
}

/** Slots per optimizer. RMSProp always keeps its momentum slot (zeros while momentum is 0) and SGD its velocity, so
 *  that a checkpoint stays loadable when a later segment changes the momentum (population-based training does). */
export const SLOT_COUNT = { adam: 2, sgd: 1, rmsprop: 2 } as const;

/**
 * Adam, SGD with momentum and RMSProp over ONE flat vector holding every trainable weight, so that a step costs
 * about a dozen kernels whatever the number of layers (tf.train's optimizers run that many per variable; on wasm it
 * is one, the fused kernel of simd-update.ts), and the learning rate is a plain argument of each step: schedules
 * change it per step without rebuilding anything. The model's variables get the new weights after each step.
 * L2 weight decay is added to the gradient of kernels (rank >= 2), not biases.
 */
export class FlatOptimizer {
  private theta: Tensor;
  private readonly state: Tensor[];
  private readonly decay: Tensor | undefined;
  private readonly consts: Record<string, Tensor>;
  private t = 0;
  readonly path: 'fused' | 'ops';

  constructor(
    private readonly tf: TF,
    private readonly vars: readonly tfjs.Variable[],
    private readonly cfg: OptimizerConfig,
    weightDecay: number,
    path: UpdatePath = 'auto',
  ) {
    this.path = resolvePath(tf, path);
    this.theta = tf.keep(tf.tidy(() => concatFlat(tf, vars)));
    const n = this.theta.size;
    this.state = Array.from({ length: SLOT_COUNT[cfg.kind] }, () => tf.keep(tf.zeros([n])));
    this.decay = weightDecay > 0 ? tf.keep(tf.tidy(() => tf.concat(vars.map((v) => tf.fill([v.size], v.rank >= 2 ? weightDecay : 0))))) : undefined;
    // Constant scalars made once: a number operand would upload a fresh scalar tensor on every use.
    const c = (v: number) => tf.keep(tf.scalar(v));
    this.consts =
      cfg.kind === 'adam'
        ? { b1: c(cfg.beta1), nb1: c(1 - cfg.beta1), b2: c(BETA2), nb2: c(1 - BETA2), eps: c(ADAM_EPS) }
        : cfg.kind === 'sgd'
          ? { mu: c(cfg.momentum) }
          : { rho: c(RMS_DECAY), nrho: c(1 - RMS_DECAY), eps: c(RMS_EPS), mu: c(cfg.momentum) };
  }

  /** One update from the gradients (same order as the variables) at this learning rate. Call inside tf.tidy. */
  step(grads: readonly Tensor[], lr: number): void {
    const tf = this.tf;
    const k = this.consts;
    const cfg = this.cfg;
    this.t++;
    // Bias corrections folded into Adam's step size (the form Kingma & Ba give after Algorithm 1).
    const rate = cfg.kind === 'adam' ? (lr * Math.sqrt(1 - BETA2 ** this.t)) / (1 - cfg.beta1 ** this.t) : lr;
    const moving = cfg.kind === 'sgd' ? cfg.momentum > 0 : this.state.length > 1;
    const row = { rate, beta1: cfg.kind === 'adam' ? cfg.beta1 : 0, momentum: cfg.kind === 'adam' ? 0 : cfg.momentum };
    const tensors = { theta: this.theta, grads, decay: this.decay, state: this.state };
    const { theta, slots, parts } = flatStep(tf, this.path, cfg.kind, moving, tensors, [row], {
      concat: (gs) => concatFlat(tf, gs),
      split: (x) => splitFlat(tf, x, this.vars),
      coefficients: () => ({ k, rate: tf.scalar(rate) }),
    });
    slots.forEach((value, i) => this.replace(i, value));
    this.theta.dispose();
    this.theta = tf.keep(theta);
    parts.forEach((part, i) => this.vars[i]!.assign(part));
  }

  get slotCount(): number {
    return this.state.length;
  }

  /** Sum of all weights: one number that is NaN or infinite as soon as any weight is. */
  checksum(): Tensor {
    return this.tf.sum(this.theta);
  }

  /** The state as fresh arrays, each owning its buffer (so that it can be transferred to another thread). One read. */
  exportState(): FlatState {
    const tf = this.tf;
    const all = tf.tidy(() => tf.concat([this.theta, ...this.state]));
    const data = all.dataSync() as Float32Array;
    all.dispose();
    const n = this.theta.size;
    const part = (i: number) => data.slice(i * n, (i + 1) * n);
    return { theta: part(0), slots: this.state.map((_, i) => part(i + 1)), t: this.t };
  }

  /** Replaces weights (written through to the model's variables), slots and step count. Lengths are checked by the
   *  caller (a mismatch here is a bug, so it throws a plain Error). */
  importState(s: FlatState): void {
    const tf = this.tf;
    const n = this.theta.size;
    if (s.theta.length !== n || s.slots.length !== this.state.length || s.slots.some((a) => a.length !== n)) {
      throw new Error(`optimizer state does not fit: ${s.theta.length} weights and ${s.slots.length} slots for ${n} and ${this.state.length}`);
    }
    this.theta.dispose();
    this.theta = tf.keep(tf.tensor1d(s.theta));
    s.slots.forEach((slot, i) => this.replace(i, tf.tensor1d(slot)));
    tf.tidy(() => splitFlat(tf, this.theta, this.vars).forEach((part, i) => this.vars[i]!.assign(part)));
    this.t = s.t;
  }

  private replace(slot: number, value: Tensor): void {
    this.state[slot]!.dispose();
    this.state[slot] = this.tf.keep(value);
  }

  dispose(): void {
    this.tf.dispose([this.theta, ...this.state, ...Object.values(this.consts)]);
    this.decay?.dispose();
  }
}
