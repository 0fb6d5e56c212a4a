import type * as tfjs from '@tensorflow/tfjs';
import type { OptimizerConfig } from '../tasks/config.js';
import type { TF } from '../tasks/types.js';
import { concatFlat, splitFlat } from './flat-kernels.js';

type Tensor = tfjs.Tensor;

export const BETA2 = 0.999;
export const ADAM_EPS = 1e-7;
export const RMS_DECAY = 0.9;
export const RMS_EPS = 1e-7;

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
 * Adam, SGD with momentum and RMSProp over ONE flat vector holding every trainable weight, so that a step costs
 * about a dozen kernels whatever the number of layers (tf.train's optimizers run that many per variable), and the
 * learning rate is a plain argument of each step: schedules change it per step without rebuilding anything.
 * The model's variables are written back from the flat vector after each step (one small copy each).
 * L2 weight decay is added to the gradient of kernels (rank >= 2), not biases.
 */
export class FlatOptimizer {
  private theta: Tensor;
  private readonly state: Tensor[];
  private readonly decay: Tensor | undefined;
  private readonly consts: Record<string, Tensor>;
  private t = 0;

  constructor(
    private readonly tf: TF,
    private readonly vars: readonly tfjs.Variable[],
    private readonly cfg: OptimizerConfig,
    weightDecay: number,
  ) {
    this.theta = tf.keep(tf.tidy(() => concatFlat(tf, vars)));
    const n = this.theta.size;
    const slots = cfg.kind === 'adam' ? 2 : cfg.kind === 'sgd' ? 1 : cfg.momentum > 0 ? 2 : 1;
    this.state = Array.from({ length: slots }, () => tf.keep(tf.zeros([n])));
    this.decay =
      weightDecay > 0
        ? tf.keep(tf.tidy(() => tf.concat(vars.map((v) => tf.fill([v.size], v.rank >= 2 ? weightDecay : 0)))))
        : undefined;
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
    this.t++;
    let g = concatFlat(tf, grads);
    if (this.decay) g = tf.add(g, tf.mul(this.decay, this.theta));
    // Bias corrections folded into Adam's step size (the form Kingma & Ba give after Algorithm 1).
    const rate = this.cfg.kind === 'adam' ? (lr * Math.sqrt(1 - BETA2 ** this.t)) / (1 - this.cfg.beta1 ** this.t) : lr;
    const moving = this.cfg.kind === 'sgd' ? this.cfg.momentum > 0 : this.state.length > 1;
    const { update, slots } = optimizerUpdate(tf, this.cfg.kind, this.state, g, k, tf.scalar(rate), moving);
    slots.forEach((value, i) => this.replace(i, value));
    const theta = tf.sub(this.theta, update);
    this.theta.dispose();
    this.theta = tf.keep(theta);
    splitFlat(tf, theta, this.vars).forEach((part, i) => this.vars[i]!.assign(part));
  }

  /** Sum of all weights: one number that is NaN or infinite as soon as any weight is. */
  checksum(): Tensor {
    return this.tf.sum(this.theta);
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
