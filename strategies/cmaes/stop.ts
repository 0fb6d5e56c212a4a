import type { CmaParams } from './params.js';

/** What a run looks like to the restart test. `history` holds finite per-generation results, oldest first. */
export interface RunView {
  readonly mean: readonly number[];
  readonly sigma: number;
  readonly B: readonly (readonly number[])[];
  readonly D: readonly number[];
  /** Updates done in this run. */
  readonly generation: number;
  readonly history: { readonly best: readonly number[]; readonly median: readonly number[] };
}

export type StopReason = 'tolFun' | 'noEffectAxis' | 'noEffectCoord' | 'conditionCov' | 'stagnation';

/** Longest history kept: stagnation compares the last two tenths of it, so older entries are never read. */
export const HISTORY_LIMIT = 1000;
const TOL_FUN = 1e-12;
const MAX_CONDITION = 1e14;

/**
 * Hansen's termination criteria (tutorial section B.3, pycma's defaults), used to decide an IPOP restart.
 * `values` are the finite results of the generation just used. Two departures, both because evotune's budget is
 * open-ended and its objectives are validation losses:
 * - there is no TolX: "the step is too small to change the mean" (NoEffectCoord / NoEffectAxis) is the
 *   resolution limit itself, so a smooth function is minimised as far as doubles allow before restarting;
 * - TolFun is relative to the size of the values (a range below 1e-12 of them), so a loss of 0.3 that no longer
 *   changes in its 12th digit and a benchmark converging towards 0 are judged alike; a plateau (all equal) stops.
 */
export function stopReason(run: RunView, values: readonly number[], p: CmaParams): StopReason | null {
  const { mean, sigma, B, D } = run;
  const n = mean.length;
  const d2 = D.map((d) => d * d);
  if (Math.max(...d2) > MAX_CONDITION * Math.min(...d2)) return 'conditionCov';

  const stdDev = (i: number) => sigma * Math.sqrt(B[i]!.reduce((s, b, k) => s + b * b * d2[k]!, 0));
  if (mean.some((m, i) => m + 0.2 * stdDev(i) === m)) return 'noEffectCoord';
  const axis = run.generation % n;
  if (mean.every((m, i) => m + 0.1 * sigma * D[axis]! * B[i]![axis]! === m)) return 'noEffectAxis';

  const window = 10 + Math.ceil((30 * n) / p.lambda);
  const recent = [...run.history.best.slice(-window), ...values];
  if (run.history.best.length >= window && values.length > 0) {
    const range = Math.max(...recent) - Math.min(...recent);
    const scale = Math.max(...recent.map(Math.abs));
    if (range <= TOL_FUN * scale) return 'tolFun';
  }

  if (stagnated(run, p)) return 'stagnation';
  return null;
}

/**
 * pycma's TolStagnation: after enough generations, the median of the last l generations' medians and bests is no
 * better than that of the l generations before (l is a tenth of the history, and at least a tenth of the
 * patience 100 + 100 n^1.5 / lambda).
 */
function stagnated(run: RunView, p: CmaParams): boolean {
  const { best, median } = run.history;
  const patience = 100 + (100 * p.n ** 1.5) / p.lambda;
  const l = Math.floor(Math.max(patience / 10, best.length / 10));
  if (run.generation <= p.n * (5 + 100 / p.lambda) || best.length <= 100 || 2 * l >= best.length) return false;
  const last = (h: readonly number[]) => medianOf(h.slice(-l));
  const before = (h: readonly number[]) => medianOf(h.slice(-2 * l, -l));
  return last(median) >= before(median) && last(best) >= before(best);
}

export function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
