import { errors } from '../../errors.js';
import type { PruneRule, Report } from '../../eval/types.js';
import type { FinishedTrial } from './types.js';

/**
 * Successive-halving rungs as plain data: the resource levels r, r*eta, r*eta^2, ... below the full resource R,
 * and, per rung, the values earlier trials had when they reached it, in ascending order (kept sorted as they
 * come, so that a generation's rule reads its thresholds instead of sorting every value seen so far).
 */
export interface Rungs {
  readonly steps: readonly number[];
  readonly values: readonly (readonly number[])[];
}

export function rungSteps(minResource: number, maxResource: number, eta: number): number[] {
  const steps: number[] = [];
  for (let r = minResource; r < maxResource - 1e-9; r *= eta) steps.push(r);
  return steps;
}

export const emptyRungs = (steps: readonly number[]): Rungs => ({ steps, values: steps.map(() => []) });

/** A trial's value at a rung: the first report at or past the rung's step (what a check compares), if it got there. */
export function valueAt(reports: readonly Report[], step: number): number | undefined {
  return reports.find((r) => r.step >= step - 1e-9)?.value;
}

/** Adds what trials reported at each rung (pruned ones included: they reached the rungs below their stop). */
export function recordRungs(rungs: Rungs, finished: readonly FinishedTrial[]): Rungs {
  const added = rungs.steps.map((): number[] => []);
  for (const t of finished) {
    if (t.state === 'failed') continue;
    rungs.steps.forEach((step, i) => {
      const v = valueAt(t.reports, step);
      if (v !== undefined) added[i]!.push(v);
    });
  }
  return { steps: rungs.steps, values: rungs.values.map((v, i) => mergeSorted(v, added[i]!)) };
}

/** `sorted` (ascending) with `more` merged in, as a new array: O(n + k log k) where a sort would be O(n log n). */
export function mergeSorted(sorted: readonly number[], more: number[]): readonly number[] {
  if (more.length === 0) return sorted;
  more.sort((a, b) => a - b);
  const out: number[] = new Array(sorted.length + more.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < sorted.length && j < more.length) out[k++] = more[j]! < sorted[i]! ? more[j++]! : sorted[i++]!;
  while (i < sorted.length) out[k++] = sorted[i++]!;
  while (j < more.length) out[k++] = more[j++]!;
  return out;
}

/**
 * The asynchronous-successive-halving rule as a stop rule: at rung k a trial goes on if it ranks in the top 1/eta
 * of the values recorded there (its own counted in), i.e. if its value is at most the m-th smallest of the n
 * earlier values, m = max(1, floor((n + 1) / eta)). A rung with fewer than `minValues` earlier values prunes nothing.
 */
export function halvingRule(rungs: Rungs, eta: number, minValues: number): PruneRule {
  const checks: { step: number; threshold: number }[] = [];
  rungs.steps.forEach((step, i) => {
    const sorted = rungs.values[i]!;
    if (sorted.length < Math.max(1, minValues)) return;
    const m = Math.max(1, Math.floor((sorted.length + 1) / eta));
    checks.push({ step, threshold: sorted[m - 1]! });
  });
  return { checks };
}

/** The full resource a rung-based scheduler needs: given, or known from the run. */
export function needMaxResource(scheduler: string, given: number | null, known: number | undefined): number {
  const max = given ?? known;
  if (max === undefined) {
    throw errors.schedulerOption(
      scheduler,
      'maxResource',
      'the resource of a full trial (the last step a trial reports)',
      null,
      `e.g. --scheduler-options '{"maxResource": 20}'; tasks know it (their epochs)`,
    );
  }
  return max;
}
