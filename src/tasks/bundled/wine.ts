import { readLabelledCsv, splitClassification } from '../dataset.js';
import { mlp, mlpLayout, type MlpOptions } from '../models.js';
import { mlpSpace, trainerSpace } from '../space.js';
import type { Params } from '../../space/spec.js';
import type { Task } from '../types.js';

/** The network for these params: what build trains and what layout describes. */
const net = (p: Params): MlpOptions => ({ inputShape: [13], hidden: [Number(p.units)], outputs: 3, dropout: Number(p.dropout) });

export const wine: Task = {
  name: 'wine',
  description: 'UCI wine (178 samples, 13 chemical measurements, 3 cultivars), MLP 13-units-3 with ReLU',
  kind: 'classification',
  space: { ...trainerSpace({ lr: [1e-4, 1e-1], batchSize: [4, 64], epochs: [10, 60] }), ...mlpSpace([4, 128]) },
  defaults: { lr: 3e-3, batchSize: 16, optimizer: 'adam', momentum: 0.9, weightDecay: 1e-6, epochs: 30, schedule: 'constant', units: 32, dropout: 0 },
  data: (seed) =>
    splitClassification(readLabelledCsv('wine_data.csv', true), {
      seed,
      name: 'wine',
      valFraction: 0.25,
      scaling: { kind: 'standardise' },
      inputShape: [13],
    }),
  build: (p, ctx) => mlp(ctx, net(p)),
  layout: (p) => mlpLayout(net(p)),
};
