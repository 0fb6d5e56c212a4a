import type { Curve } from './curve.js';
import { argmin } from './window.js';

/** An LR interval [low, high]. */
export type LrInterval = readonly [number, number];

/**
 * The three parts Smith's method reads in a curve, by LR: flat (the LR is too small to move the loss), falling,
 * and rising (past the best LR: instability, or overfitting when the curve is the validation loss). A part the
 * curve does not show is absent.
 */
export interface Regions {
  readonly flat?: LrInterval;
  readonly falling?: LrInterval;
  readonly rising?: LrInterval;
  /** Mean raw loss of the first steps. */
  readonly startLoss: number;
  /** Lowest smoothed loss. */
  readonly lowestLoss: number;
}

/** How much of the starting loss the curve shed at its lowest: 0..1. */
export const relativeDrop = (r: Regions) => (r.startLoss > 0 ? Math.max(0, (r.startLoss - r.lowestLoss) / r.startLoss) : 0);

/** Share of the total drop that must be gone before the loss counts as falling, and back before it counts as rising. */
const EDGE = 0.1;

export function findRegions(curve: Curve): Regions {
  const pts = curve.points;
  const head = pts.slice(0, Math.max(5, Math.ceil(pts.length * 0.05)));
  const start = head.reduce((a, p) => a + p.loss, 0) / Math.max(1, head.length);
  const iMin = argmin(pts.map((p) => p.smoothed));
  const low = pts.length === 0 ? start : pts[iMin]!.smoothed;
  const drop = start - low;
  const level = { startLoss: start, lowestLoss: low };
  if (pts.length < 2 || !(drop > 0)) return level;
  let iFall = pts.findIndex((p) => p.smoothed <= start - EDGE * drop);
  if (iFall < 0 || iFall > iMin) iFall = iMin;
  const last = pts[pts.length - 1]!;
  const riseEnd = curve.stop.reason === 'end' ? last.lr : curve.stop.lr;
  const rose = curve.stop.reason !== 'end' || last.smoothed >= low + EDGE * drop;
  const lr = (i: number) => pts[i]!.lr;
  return {
    ...level,
    ...(iFall > 0 ? { flat: [lr(0), lr(iFall)] as const } : {}),
    ...(iMin > iFall ? { falling: [lr(iFall), lr(iMin)] as const } : {}),
    ...(rose && riseEnd > lr(iMin) ? { rising: [lr(iMin), riseEnd] as const } : {}),
  };
}
