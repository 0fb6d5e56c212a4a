import type { Curve } from './curve.js';

/**
 * The part of a curve the rules read, as parallel arrays: the first 10% of the steps (where the smoothed loss still
 * leans on very few samples) and the last few points (the blow-up that stopped the test) are left out, as the
 * fastai and torch-lr-finder implementations do.
 */
export interface Window {
  readonly lrs: readonly number[];
  readonly logLrs: readonly number[];
  readonly smoothed: readonly number[];
}

export function readWindow(curve: Curve, o: { lagCorrected?: boolean; beta?: number } = {}, skipStartFraction = 0.1, skipEnd = 5): Window {
  const n = curve.points.length;
  const from = Math.floor(n * skipStartFraction);
  const to = Math.max(from, n - (curve.stop.reason === 'end' ? 0 : skipEnd));
  const pts = curve.points.slice(from, to);
  const lrs = o.lagCorrected
    ? pts.map((p) => curve.points[Math.max(0, Math.round(p.step - emaLag(o.beta ?? 0.98, p.step)))]?.lr ?? p.lr)
    : pts.map((p) => p.lr);
  return { lrs, logLrs: lrs.map(Math.log), smoothed: pts.map((p) => p.smoothed) };
}

/**
 * How many steps behind the bias-corrected EMA is after `step` steps: the mean age of the losses it averages.
 * beta / (1 - beta) once warmed up (49 steps at 0.98, which is 1.3 decades of LR in a 300-step test), less before.
 */
export function emaLag(beta: number, step: number): number {
  const n = step + 1;
  const bn = beta ** n;
  return beta / (1 - beta) - (n * bn) / (1 - bn);
}

/** d(values)/d(x) by central differences (one-sided at the ends), like numpy.gradient with coordinates. */
export function gradient(values: readonly number[], x: readonly number[]): number[] {
  const n = values.length;
  if (n < 2) return values.map(() => 0);
  return values.map((_, i) => {
    const a = Math.max(0, i - 1);
    const b = Math.min(n - 1, i + 1);
    return (values[b]! - values[a]!) / (x[b]! - x[a]!);
  });
}

/** Index of the smallest value (the first, on ties). */
export function argmin(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! < values[best]!) best = i;
  return best;
}
