import { convNet } from '../models.js';
import { trainerSpace } from '../space.js';
import type { Task } from '../types.js';
import { digitsData } from './digits.js';

export const digitsCnn: Task = {
  name: 'digits-cnn',
  description: 'UCI 8x8 handwritten digits as images, conv 3x3 (filters) + max-pool + dense 64 + 10',
  kind: 'classification',
  space: {
    ...trainerSpace({ lr: [1e-4, 1e-1], batchSize: [16, 128], epochs: [2, 10] }),
    filters: { type: 'int', low: 4, high: 32, log: true },
  },
  defaults: { lr: 2e-3, batchSize: 32, optimizer: 'adam', momentum: 0.9, weightDecay: 1e-6, epochs: 5, schedule: 'constant', filters: 8 },
  data: digitsData([8, 8, 1]),
  build: (p, ctx) => convNet(ctx, { inputShape: [8, 8, 1], filters: Number(p.filters), hidden: 64, outputs: 10 }),
  // A conv net never trains in a group (the group program runs Dense, Dropout and Flatten stacks).
  layout: () => undefined,
};
