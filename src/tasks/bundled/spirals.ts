import { splitClassification } from '../dataset.js';
import { mlp, mlpLayout, type MlpOptions } from '../models.js';
import { mlpSpace, trainerSpace } from '../space.js';
import { twoSpirals } from '../synthetic.js';
import type { Params } from '../../space/spec.js';
import type { Task } from '../types.js';

/** The network for these params: what build trains and what layout describes. */
const net = (p: Params): MlpOptions => ({ inputShape: [2], hidden: [Number(p.units), Number(p.units)], outputs: 2, dropout: Number(p.dropout) });

export const spirals: Task = {
  name: 'spirals',
  description: 'two interleaved spirals (800 points drawn from the seed, 2 classes), MLP 2-units-units-2 with ReLU',
  kind: 'classification',
  space: { ...trainerSpace({ lr: [1e-4, 1e-1], batchSize: [8, 128], epochs: [10, 60] }), ...mlpSpace([8, 128]) },
  defaults: { lr: 1e-2, batchSize: 32, optimizer: 'adam', momentum: 0.9, weightDecay: 1e-6, epochs: 30, schedule: 'constant', units: 64, dropout: 0 },
  data: (seed) =>
    splitClassification(twoSpirals(seed, 800, 0.3), { seed, name: 'spirals', valFraction: 0.25, scaling: { kind: 'none' }, inputShape: [2] }),
  build: (p, ctx) => mlp(ctx, net(p)),
  layout: (p) => mlpLayout(net(p)),
};
