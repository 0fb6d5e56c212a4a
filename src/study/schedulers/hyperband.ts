import { errors } from '../../errors.js';
import { intOrAuto, num, numOrAuto } from '../../../strategies/options.js';
import { defineScheduler } from './types.js';
import { emptyRungs, halvingRule, needMaxResource, recordRungs, rungSteps, type Rungs } from './rungs.js';

export interface HyperbandOptions {
  readonly reductionFactor: number;
  readonly minResource: number;
  readonly maxResource: number | null;
  readonly minValues: number | null;
}

interface Bracket {
  /** Resource of the bracket's first rung: minResource * eta^b. */
  readonly start: number;
  readonly rungs: Rungs;
}

/**
 * Hyperband (Li et al., JMLR 2018) as brackets of successive halving that start at minResource * eta^b, b = 0..s,
 * the last one training every trial fully. Trial n goes to bracket pattern[n mod length], a fixed interleaving in
 * which bracket b appears as often as Hyperband gives it trials (ceil((s+1)/(s-b+1) * eta^(s-b))); each bracket
 * prunes against its own earlier trials only, so early-stopping aggressiveness is hedged across brackets.
 */
export const hyperband = defineScheduler<HyperbandOptions, { eta: number; minValues: number; brackets: Bracket[]; pattern: number[] }>({
  name: 'hyperband',
  summary: 'brackets of successive halving from aggressive (first rung at minResource) to none (full budget)',
  options: {
    reductionFactor: num('eta: keep the top 1/eta at each rung', 3, { min: 2 }),
    minResource: num("resource (epochs) of the most aggressive bracket's first rung", 1, { min: 0, minExclusive: true }),
    maxResource: numOrAuto("resource of a full trial (null: the task's epochs)", { min: 0 }),
    minValues: intOrAuto('values a rung needs from earlier trials of its bracket before it prunes (null: ceil(eta))', { min: 1 }),
  },
  init(o, ctx) {
    const max = needMaxResource('hyperband', o.maxResource, ctx.maxResource);
    if (o.minResource >= max) throw errors.schedulerOption('hyperband', 'minResource', `less than maxResource (${max})`, o.minResource);
    const eta = o.reductionFactor;
    const s = Math.floor(Math.log(max / o.minResource) / Math.log(eta) + 1e-9);
    const brackets: Bracket[] = [];
    const weights: number[] = [];
    for (let b = 0; b <= s; b++) {
      const start = o.minResource * eta ** b;
      brackets.push({ start, rungs: emptyRungs(rungSteps(start, max, eta)) });
      weights.push(Math.ceil(((s + 1) / (s - b + 1)) * eta ** (s - b)));
    }
    return { eta, minValues: o.minValues ?? Math.ceil(eta), brackets, pattern: interleave(weights) };
  },
  plan(state, trials) {
    // One rule per bracket, shared by its trials of this generation (sorting the rung values once, not per trial).
    const rules = state.brackets.map((b) => halvingRule(b.rungs, state.eta, state.minValues));
    return trials.map((n) => rules[bracketOf(state.pattern, n)]!);
  },
  tell(state, finished) {
    const brackets = state.brackets.map((b, i) => ({
      ...b,
      rungs: recordRungs(
        b.rungs,
        finished.filter((t) => bracketOf(state.pattern, t.number) === i),
      ),
    }));
    return { ...state, brackets };
  },
  rungsOf(state, trial) {
    const bracket = bracketOf(state.pattern, trial);
    return { bracket, steps: state.brackets[bracket]!.rungs.steps };
  },
});

export const bracketOf = (pattern: readonly number[], trial: number) => pattern[trial % pattern.length]!;

/** Smooth weighted round-robin: each index appears weights[i] times, spread out rather than in runs. */
function interleave(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const out: number[] = [];
  for (let k = 0; k < total; k++) {
    let pick = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[pick]!) pick = i;
    }
    current[pick]! -= total;
    out.push(pick);
  }
  return out;
}
