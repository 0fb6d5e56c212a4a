import type { SpaceSpec } from '../space/spec.js';
import { OPTIMIZERS, SCHEDULES } from './config.js';

type Range = readonly [number, number];

/** The trainer's hyperparameters as a search space, with the ranges that suit a task. */
export function trainerSpace(o: { lr: Range; batchSize: Range; epochs: Range }): SpaceSpec {
  return {
    lr: { type: 'float', low: o.lr[0], high: o.lr[1], log: true },
    batchSize: { type: 'int', low: o.batchSize[0], high: o.batchSize[1], log: true },
    optimizer: { type: 'categorical', choices: [...OPTIMIZERS] },
    // SGD's momentum, RMSProp's momentum, Adam's beta1: one gene (see config.ts).
    momentum: { type: 'float', low: 0.5, high: 0.99, log: false },
    weightDecay: { type: 'float', low: 1e-6, high: 1e-2, log: true },
    epochs: { type: 'int', low: o.epochs[0], high: o.epochs[1], log: false },
    schedule: { type: 'categorical', choices: [...SCHEDULES] },
  };
}

/** Hidden width (log scale) and dropout, for the MLP tasks. */
export function mlpSpace(units: Range): SpaceSpec {
  return {
    units: { type: 'int', low: units[0], high: units[1], log: true },
    dropout: { type: 'float', low: 0, high: 0.5, log: false },
  };
}
