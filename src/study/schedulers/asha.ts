import { errors } from '../../errors.js';
import { intOrAuto, num, numOrAuto } from '../../../strategies/options.js';
import { defineScheduler } from './types.js';
import { emptyRungs, halvingRule, needMaxResource, recordRungs, rungSteps, type Rungs } from './rungs.js';

export interface AshaOptions {
  readonly reductionFactor: number;
  readonly minResource: number;
  readonly maxResource: number | null;
  readonly minValues: number | null;
}

/**
 * Successive halving with asynchronous-style rungs (Li et al., "A System for Massively Parallel Hyperparameter
 * Tuning", MLSys 2020): rungs at minResource * eta^k; a trial stops at a rung unless it is in the top 1/eta of the
 * values recorded there. Decided from earlier generations only (see types.ts), so it is deterministic.
 */
export const asha = defineScheduler<AshaOptions, { eta: number; minValues: number; rungs: Rungs }>({
  name: 'asha',
  summary: 'successive halving: at rungs minResource * eta^k keep the top 1/eta, stop the rest',
  options: {
    reductionFactor: num('eta: keep the top 1/eta at each rung', 3, { min: 2 }),
    minResource: num('resource (epochs) of the first rung', 1, { min: 0, minExclusive: true }),
    maxResource: numOrAuto("resource of a full trial (null: the task's epochs)", { min: 0 }),
    minValues: intOrAuto('values a rung needs from earlier trials before it prunes there (null: ceil(eta))', { min: 1 }),
  },
  init(o, ctx) {
    const max = needMaxResource('asha', o.maxResource, ctx.maxResource);
    if (o.minResource >= max) throw errors.schedulerOption('asha', 'minResource', `less than maxResource (${max})`, o.minResource);
    return {
      eta: o.reductionFactor,
      minValues: o.minValues ?? Math.ceil(o.reductionFactor),
      rungs: emptyRungs(rungSteps(o.minResource, max, o.reductionFactor)),
    };
  },
  plan(state, trials) {
    const rule = halvingRule(state.rungs, state.eta, state.minValues);
    return trials.map(() => rule);
  },
  tell(state, finished) {
    return { ...state, rungs: recordRungs(state.rungs, finished) };
  },
  rungsOf: (state) => ({ bracket: 0, steps: state.rungs.steps }),
});
