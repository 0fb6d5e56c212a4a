import { int, num } from '../../../strategies/options.js';
import type { PruneRule } from '../../eval/types.js';
import { defineScheduler } from './types.js';
import { mergeSorted } from './rungs.js';

export interface MedianOptions {
  readonly minTrials: number;
  readonly warmupSteps: number;
}

/**
 * The median stopping rule (Golovin et al., "Google Vizier", KDD 2017; Optuna's MedianPruner): a trial stops at a
 * step where its value is worse than the median of what complete trials of earlier generations reported at that
 * step. Needs no maximum resource, so it suits any fitness that reports.
 */
/** `byStep`: per step, what complete trials reported there, in ascending order (see rungs.ts). */
export const median = defineScheduler<MedianOptions, { minTrials: number; warmup: number; byStep: Record<string, readonly number[]> }>({
  name: 'median',
  summary: 'stop a trial whose value at a step is worse than the median of complete trials at that step',
  options: {
    minTrials: int('complete trials a step needs before it prunes there', 5, { min: 1 }),
    warmupSteps: num('never prune before this step', 0, { min: 0 }),
  },
  init(o) {
    return { minTrials: o.minTrials, warmup: o.warmupSteps, byStep: {} };
  },
  plan(state, trials) {
    const checks: PruneRule['checks'][number][] = [];
    for (const [key, sorted] of Object.entries(state.byStep)) {
      const step = Number(key);
      if (step < state.warmup || sorted.length < state.minTrials) continue;
      const mid = sorted.length / 2;
      const threshold = sorted.length % 2 === 1 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
      checks.push({ step, threshold });
    }
    checks.sort((a, b) => a.step - b.step);
    const rule: PruneRule = { checks };
    return trials.map(() => rule);
  },
  tell(state, finished) {
    const added: Record<string, number[]> = {};
    for (const t of finished) {
      if (t.state !== 'complete') continue;
      for (const r of t.reports) (added[String(r.step)] ??= []).push(r.value);
    }
    const byStep = { ...state.byStep };
    for (const [k, v] of Object.entries(added)) byStep[k] = mergeSorted(byStep[k] ?? [], v);
    return { ...state, byStep };
  },
});
