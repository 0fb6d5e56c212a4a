import { deriveSeed } from '../util/rng.js';
import type { Layout } from './types.js';
import type { LayersModel, TaskContext } from './types.js';

/** Seeded Glorot-uniform kernels (tfjs would draw from Math.random without a seed) and zero biases. */
function init(ctx: TaskContext, layer: number) {
  return { kernelInitializer: ctx.tf.initializers.glorotUniform({ seed: deriveSeed(ctx.seed, 'init', layer) }), biasInitializer: 'zeros' as const };
}

export interface MlpOptions {
  readonly inputShape: readonly number[];
  readonly hidden: readonly number[];
  readonly outputs: number;
  readonly activation?: 'relu' | 'tanh';
  /** Dropout after each hidden layer (0 = none). */
  readonly dropout?: number;
}

/** Dense layers with an activation, optional dropout after each hidden one, and a linear output. */
export function mlp(ctx: TaskContext, o: MlpOptions): LayersModel {
  const { tf } = ctx;
  const model = tf.sequential();
  o.hidden.forEach((units, i) => {
    model.add(tf.layers.dense({ units, activation: o.activation ?? 'relu', ...(i === 0 ? { inputShape: [...o.inputShape] } : {}), ...init(ctx, i) }));
    if (o.dropout) model.add(tf.layers.dropout({ rate: o.dropout, seed: deriveSeed(ctx.seed, 'dropout', i) }));
  });
  model.add(
    tf.layers.dense({ units: o.outputs, ...(o.hidden.length === 0 ? { inputShape: [...o.inputShape] } : {}), ...init(ctx, o.hidden.length) }),
  );
  return model;
}

/**
 * The layout (tf/vectorised.ts) of mlp(ctx, o)'s model, read from the options alone: what a group key needs, without
 * building a model. Undefined where the group program cannot run the model (an input of rank > 1 reaches Dense whole)
 * or where mlp would throw (a width that is not a whole number >= 1). Tested against the built model's layout.
 */
export function mlpLayout(o: MlpOptions): Layout[] | undefined {
  const widths = [...o.hidden, o.outputs];
  if (o.inputShape.length !== 1 || !widths.every((u) => Number.isInteger(u) && u >= 1)) return undefined;
  const layout: Layout[] = [];
  let inputs = o.inputShape[0]!;
  o.hidden.forEach((units) => {
    layout.push({ type: 'dense', kernelShape: [inputs, units], bias: true, activation: o.activation ?? 'relu' });
    if (o.dropout) layout.push({ type: 'dropout' });
    inputs = units;
  });
  layout.push({ type: 'dense', kernelShape: [inputs, o.outputs], bias: true, activation: 'linear' });
  return layout;
}

export interface ConvOptions {
  readonly inputShape: readonly [number, number, number];
  readonly filters: number;
  readonly hidden: number;
  readonly outputs: number;
}

/** A small conv net: 3x3 conv (same padding) + ReLU, 2x2 max-pool, a dense ReLU layer, a linear output. */
export function convNet(ctx: TaskContext, o: ConvOptions): LayersModel {
  const { tf } = ctx;
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [...o.inputShape], filters: o.filters, kernelSize: 3, padding: 'same', activation: 'relu', ...init(ctx, 0) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: o.hidden, activation: 'relu', ...init(ctx, 1) }),
      tf.layers.dense({ units: o.outputs, ...init(ctx, 2) }),
    ],
  });
}
