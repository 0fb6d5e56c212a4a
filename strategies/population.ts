import { errors } from '../src/errors.js';
import { clamp01, type Rng } from '../src/util/rng.js';

/**
 * The first population: every initial point (clamped into the cube), then uniform points up to `size`.
 * All initial points are kept even if there are more than `size` of them, so a suggestion is never silently dropped.
 */
export function startingPoints(dim: number, size: number, initialPoints: readonly (readonly number[])[] | undefined, rng: Rng): number[][] {
  const out = clampedPoints(dim, initialPoints);
  while (out.length < size) out.push(Array.from({ length: dim }, () => rng()));
  return out;
}

/** The initial points clamped into the cube; `strategy`, if given, prefixes the error for a point of the wrong length. */
export function clampedPoints(dim: number, points: readonly (readonly number[])[] | undefined, strategy?: string): number[][] {
  return (points ?? []).map((s) => {
    if (s.length !== dim) throw errors.internal(`${strategy ? `${strategy}: ` : ''}initial point has ${s.length} genes, expected ${dim}`);
    return s.map(clamp01);
  });
}
