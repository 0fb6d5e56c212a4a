import { mlp, mlpLayout, type MlpOptions } from '../models.js';
import { mlpSpace, trainerSpace } from '../space.js';
import { noisySine } from '../synthetic.js';
import type { Params } from '../../space/spec.js';
import type { Task } from '../types.js';

/** The network for these params: what build trains and what layout describes. */
const net = (p: Params): MlpOptions => ({
  inputShape: [1],
  hidden: [Number(p.units), Number(p.units)],
  outputs: 1,
  activation: 'tanh',
  dropout: Number(p.dropout),
});

export const sine: Task = {
  name: 'sine',
  description: 'noisy regression y = sin(x) + N(0, 0.1^2) on [-pi, pi] (512 train, 256 validation points), MLP 1-units-units-1 tanh, MSE',
  kind: 'regression',
  space: { ...trainerSpace({ lr: [1e-4, 1e-1], batchSize: [8, 128], epochs: [10, 60] }), ...mlpSpace([8, 128]) },
  defaults: { lr: 1e-2, batchSize: 32, optimizer: 'adam', momentum: 0.9, weightDecay: 1e-6, epochs: 30, schedule: 'constant', units: 32, dropout: 0 },
  data: (seed) => noisySine(seed, 512, 256, 0.1),
  build: (p, ctx) => mlp(ctx, net(p)),
  layout: (p) => mlpLayout(net(p)),
};
