import type * as tfjs from '@tensorflow/tfjs';
import type { TF } from '../tasks/types.js';

type Tensor = tfjs.Tensor;
export type LossKind = 'classification' | 'regression';

/** Mean softmax cross-entropy on one-hot targets (exact: log-sum-exp form), or mean squared error. */
export function lossValue(tf: TF, kind: LossKind, out: Tensor, y: Tensor): tfjs.Scalar {
  if (kind === 'regression') return tf.mean(tf.squaredDifference(out, y));
  return tf.mean(tf.sub(tf.logSumExp(out, 1), tf.sum(tf.mul(y, out), 1)));
}

/**
 * lossValue for K members at once: out [K, rows, targets] against y [K, rows, targets] (or [rows, targets], shared),
 * one loss per member ([K]), each the mean over its own rows: the same reductions on the same numbers as lossValue.
 */
export function memberLoss(tf: TF, kind: LossKind, out: Tensor, y: Tensor): Tensor {
  if (kind === 'regression') return tf.mean(tf.squaredDifference(out, y), [1, 2]);
  return tf.mean(tf.sub(tf.logSumExp(out, 2), tf.sum(tf.mul(y, out), 2)), 1);
}

/** d loss / d out, in closed form: (softmax(out) - y) / batch, or 2 (out - y) / elements. */
export function lossGrad(tf: TF, kind: LossKind, out: Tensor, y: Tensor): Tensor {
  if (kind === 'regression') return tf.mul(tf.sub(out, y), tf.scalar(2 / out.size));
  return tf.mul(tf.sub(tf.softmax(out), y), tf.scalar(1 / out.shape[0]!));
}

/** The loss as one differentiable op, so that the tape does not record (and later replay) its dozen kernels. */
export function differentiableLoss(tf: TF, kind: LossKind, y: Tensor): (out: Tensor) => tfjs.Scalar {
  return tf.customGrad((...args: Array<Tensor | tfjs.GradSaveFunc>) => {
    const o = args[0] as Tensor;
    (args[1] as tfjs.GradSaveFunc)([o]);
    return {
      value: lossValue(tf, kind, o, y),
      gradFunc: (dy, saved) => tf.mul(dy, lossGrad(tf, kind, saved[0]!, y)),
    };
  }) as (out: Tensor) => tfjs.Scalar;
}

/** Fraction of rows whose arg-max matches the one-hot target's. */
export function accuracy(tf: TF, logits: Tensor, y: Tensor): tfjs.Scalar {
  return tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'float32'));
}
