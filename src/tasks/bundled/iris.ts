import { readLabelledCsv, splitClassification } from '../dataset.js';
import { mlp, mlpLayout, type MlpOptions } from '../models.js';
import { mlpSpace, trainerSpace } from '../space.js';
import type { Params } from '../../space/spec.js';
import type { Task } from '../types.js';

/** The network for these params: what build trains and what layout describes. */
const net = (p: Params): MlpOptions => ({ inputShape: [4], hidden: [Number(p.units)], outputs: 3, dropout: Number(p.dropout) });

export const iris: Task = {
  name: 'iris',
  description: 'UCI iris (150 flowers, 4 measurements, 3 species), MLP 4-units-3 with ReLU',
  kind: 'classification',
  space: { ...trainerSpace({ lr: [1e-4, 1e-1], batchSize: [4, 64], epochs: [10, 60] }), ...mlpSpace([4, 64]) },
  defaults: { lr: 5e-3, batchSize: 16, optimizer: 'adam', momentum: 0.9, weightDecay: 1e-6, epochs: 30, schedule: 'constant', units: 16, dropout: 0 },
  data: (seed) =>
    splitClassification(readLabelledCsv('iris.csv', true), {
      seed,
      name: 'iris',
      valFraction: 0.25,
      scaling: { kind: 'standardise' },
      inputShape: [4],
    }),
  build: (p, ctx) => mlp(ctx, net(p)),
  layout: (p) => mlpLayout(net(p)),
};
