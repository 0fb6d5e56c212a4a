/**
 * K range-test curves of one schedule (members that differ only in seed) read as one: at every step, the median and
 * the quartiles of the members' losses. A member whose test has stopped (it diverged, or its loss turned NaN) counts
 * from then on as a loss above every live member's: it is not dropped (the survivors alone would read ever lower as
 * the LR grows, since those that blow up first leave), so the median curve ends, diverged, at the first step where
 * half the members have stopped, and the upper quartile turns unbounded once a quarter have.
 */
import type { Curve, CurvePoint, CurveStop } from './curve.js';

/** The spread of the members at one step: quartiles of the smoothed loss; `q3` null once it is unbounded. */
export interface BandPoint {
  readonly step: number;
  readonly lr: number;
  readonly q1: number;
  readonly q3: number | null;
  /** Members whose test still ran at this step. */
  readonly alive: number;
}

/** The median curve and the band around it. */
export interface MedianCurve {
  readonly curve: Curve;
  readonly band: readonly BandPoint[];
}

/** Quantile p of ascending values (linear between order statistics, as numpy's default); Infinity may be among them. */
export function quantile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = sorted[Math.floor(h)]!;
  const hi = sorted[Math.ceil(h)]!;
  if (hi === lo || h === Math.floor(h)) return lo;
  return hi === Infinity ? Infinity : lo + (h - Math.floor(h)) * (hi - lo);
}

/** Reads K curves recorded over the same schedule (a point's step says where it is) as their median with a band. */
export function medianCurve(curves: readonly Curve[]): MedianCurve {
  if (curves.length === 0) throw new Error('medianCurve needs at least one curve');
  const byStep = curves.map((c) => new Map(c.points.map((p) => [p.step, p] as const)));
  const last = Math.max(-1, ...curves.flatMap((c) => c.points.map((p) => p.step)));
  const points: CurvePoint[] = [];
  const band: BandPoint[] = [];
  let stop: CurveStop = { reason: 'end' };
  for (let step = 0; step <= last; step++) {
    const here = byStep.map((m) => m.get(step));
    const live = here.filter((p): p is CurvePoint => p !== undefined);
    const of = (key: 'loss' | 'smoothed') =>
      [...live.map((p) => p[key]), ...Array<number>(curves.length - live.length).fill(Infinity)].sort((a, b) => a - b);
    const smoothed = of('smoothed');
    const median = quantile(smoothed, 0.5);
    // Points run without gaps from step 0 to a member's last, so someone recorded every step up to `last`.
    const lr = live[0]!.lr;
    if (!Number.isFinite(median)) {
      stop = { reason: majorityReason(curves, step), step, lr };
      break;
    }
    points.push({ step, lr, loss: quantile(of('loss'), 0.5), smoothed: median });
    const q3 = quantile(smoothed, 0.75);
    band.push({ step, lr, q1: quantile(smoothed, 0.25), q3: Number.isFinite(q3) ? q3 : null, alive: live.length });
  }
  // Every member stopped, and the median never went unbounded before their points ran out: it stops with the last.
  if (stop.reason === 'end' && curves.every((c) => c.stop.reason !== 'end')) {
    stop = curves.map((c) => c.stop).reduce((a, b) => (stepOf(b) > stepOf(a) ? b : a));
  }
  return { curve: { signal: curves[0]!.signal, points, stop }, band };
}

const stepOf = (s: CurveStop) => (s.reason === 'end' ? Infinity : s.step);

/** Why most of the members that had stopped by `step` stopped (diverged, unless NaN/Infinity was the more common). */
function majorityReason(curves: readonly Curve[], step: number): 'diverged' | 'non-finite' {
  const stopped = curves.map((c) => c.stop).filter((s) => s.reason !== 'end' && s.step <= step);
  const nonFinite = stopped.filter((s) => s.reason === 'non-finite').length;
  return nonFinite * 2 > stopped.length ? 'non-finite' : 'diverged';
}
