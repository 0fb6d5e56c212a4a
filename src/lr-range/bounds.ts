import type { LrInterval } from './regions.js';

/** Most the bounds reach on either side of the suggestion: one decade, so they span at most two. */
export const BOUNDS_REACH = 10;

/** Factors the bounds are widened by, after the cut: the lower bound divided by `lower`, the upper multiplied by `upper`. */
export interface BoundsMargin {
  readonly lower: number;
  readonly upper: number;
}

/** No margin: the bounds end where the falling region (or the reach) ends. */
export const NO_MARGIN: BoundsMargin = { lower: 1, upper: 1 };

/** The library's margin: none. Margins of x1.5 to x3 held the 20-seed oracle LR in a few more curves on the bundled
 *  tasks but made a simulated search inside the bounds no better and the race no better at its worst
 *  (benchmarks/lr-range-margin.ts, benchmarks/results/2026-12-07-lr-margin.md). */
export const BOUNDS_MARGIN: BoundsMargin = NO_MARGIN;

/**
 * The search bounds: the falling region, cut to a decade either side of the suggestion (the whole falling region
 * spans 3 to 5 decades on real curves, which tells a search little), always containing the suggestion, widened by
 * `margin`, and inside the tested range [start, end].
 */
export function searchBounds(
  suggestion: number,
  falling: LrInterval | undefined,
  tested: LrInterval,
  margin: BoundsMargin = BOUNDS_MARGIN,
): LrInterval {
  const [start, end] = tested;
  const s = Math.min(end, Math.max(start, suggestion));
  let lo = Math.min(s, Math.max(falling?.[0] ?? 0, s / BOUNDS_REACH));
  let hi = Math.max(s, Math.min(falling?.[1] ?? Infinity, s * BOUNDS_REACH));
  // A falling region that ends at the suggestion would leave nothing above it (or nothing below, at its start):
  // keep at least a factor sqrt(10) on each side so that a search can still move.
  lo = Math.max(start, Math.min(lo, s / Math.sqrt(BOUNDS_REACH)) / margin.lower);
  hi = Math.min(end, Math.max(hi, s * Math.sqrt(BOUNDS_REACH)) * margin.upper);
  return [lo, hi];
}
