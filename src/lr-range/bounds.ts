import type { LrInterval } from './regions.js';

/** Most the bounds reach on either side of the suggestion: one decade, so they span at most two. */
export const BOUNDS_REACH = 10;

/**
 * The search bounds: the falling region, cut to a decade either side of the suggestion (the whole falling region
 * spans 3 to 5 decades on real curves, which tells a search little), always containing the suggestion, and inside
 * the tested range [start, end].
 */
export function searchBounds(suggestion: number, falling: LrInterval | undefined, tested: LrInterval): LrInterval {
  const [start, end] = tested;
  const s = Math.min(end, Math.max(start, suggestion));
  let lo = Math.min(s, Math.max(falling?.[0] ?? 0, s / BOUNDS_REACH));
  let hi = Math.max(s, Math.min(falling?.[1] ?? Infinity, s * BOUNDS_REACH));
  // A falling region that ends at the suggestion would leave nothing above it (or nothing below, at its start):
  // keep at least a factor sqrt(10) on each side so that a search can still move.
  lo = Math.max(start, Math.min(lo, s / Math.sqrt(BOUNDS_REACH)));
  hi = Math.min(end, Math.max(hi, s * Math.sqrt(BOUNDS_REACH)));
  return [lo, hi];
}
