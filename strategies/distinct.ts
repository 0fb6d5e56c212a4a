import { clamp01, randInt, type Rng } from '../src/util/rng.js';

/**
 * Points that decode to the same parameters are the same trial: an int or categorical gene anywhere inside one bin
 * gives the same value. A strategy that asks such a point again spends a trial on a configuration it has already
 * measured, and with a noisy fitness the study then keeps the luckier of two runs of it as the best. These helpers
 * let a strategy ask only configurations it has not asked before.
 */

/** Per gene, the sorted interior bin edges (Setup.binEdges); an empty list for a continuous gene. */
export type Bins = readonly (readonly number[])[];

/** The bin of `u` among sorted `edges`: how many edges are <= u, as the codec decodes an int or a choice. */
function binOf(u: number, edges: readonly number[]): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! <= u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A point's identity in decoded space: per gene its bin (int, categorical) or its clamped value (float). */
export function decodedKey(x: readonly number[], bins: Bins): string {
  return x.map((u, i) => (bins[i]?.length ? `#${binOf(clamp01(u), bins[i]!)}` : String(clamp01(u)))).join(',');
}

/** How many times a duplicate is varied before it is kept: a small discrete space can run out of new points. */
export const MAX_REDRAWS = 256;
/** Tries that redraw one gene (a near neighbour of what the strategy wanted) before whole points are redrawn. */
const NEAR_TRIES = 16;

/**
 * `xs` with every point that repeats a key in `seen` (or an earlier point of `xs`) varied until it is new: the
 * first tries redraw one random gene uniformly (which for a discrete gene lands in another bin with probability
 * 1 - 1/bins), later ones the whole point, so that the last configurations of a nearly exhausted space are found
 * too. After MAX_REDRAWS tries the point is kept as it is. `seen` gets the keys of the points returned.
 * Uses only `rng`, so the result is as reproducible as the strategy.
 */
export function distinctPoints(xs: readonly (readonly number[])[], seen: Set<string>, bins: Bins, rng: Rng): number[][] {
  return xs.map((x0) => {
    const x = [...x0];
    let key = decodedKey(x, bins);
    for (let tries = 0; seen.has(key) && tries < MAX_REDRAWS; tries++) {
      if (tries < NEAR_TRIES) x[randInt(rng, x.length)] = rng();
      else for (let i = 0; i < x.length; i++) x[i] = rng();
      key = decodedKey(x, bins);
    }
    seen.add(key);
    return x;
  });
}

/** Per gene, the bin edges of Setup.binEdges, or none (a continuous gene) if absent. */
export const binsOf = (dim: number, binEdges: Bins | undefined): number[][] => Array.from({ length: dim }, (_, i) => [...(binEdges?.[i] ?? [])]);
