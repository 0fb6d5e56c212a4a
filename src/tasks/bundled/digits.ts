import { readLabelledCsv, splitClassification } from '../dataset.js';
import { mlp, mlpLayout, type MlpOptions } from '../models.js';
import { mlpSpace, trainerSpace } from '../space.js';
import type { Params } from '../../space/spec.js';
import type { Task } from '../types.js';

/** The network for these params: what build trains and what layout describes. */
const net = (p: Params): MlpOptions => ({ inputShape: [64], hidden: [Number(p.units)], outputs: 10, dropout: Number(p.dropout) });

/** UCI optical digits, 8x8 images of pixel counts 0..16, shared by `digits` and `digits-cnn`. */
export const digitsData = (inputShape: readonly number[]) => (seed: number) =>
  splitClassification(readLabelledCsv('digits.csv.gz', false), {
    seed,
    name: 'digits',
    valFraction: 0.2,
    scaling: { kind: 'divide', by: 16 },
    inputShape,
  });

export const digits: Task = {
  name: 'digits',
  description: 'UCI 8x8 handwritten digits (1797 images, 10 classes), MLP 64-units-10 with ReLU',
  kind: 'classification',
  space: { ...trainerSpace({ lr: [1e-4, 1e-1], batchSize: [8, 128], epochs: [5, 20] }), ...mlpSpace([16, 256]) },
  defaults: {
    lr: 1e-3,
    batchSize: 32,
    optimizer: 'adam',
    momentum: 0.9,
    weightDecay: 1e-6,
    epochs: 10,
    schedule: 'constant',
    units: 128,
    dropout: 0,
  },
  data: digitsData([64]),
  build: (p, ctx) => mlp(ctx, net(p)),
  layout: (p) => mlpLayout(net(p)),
};
