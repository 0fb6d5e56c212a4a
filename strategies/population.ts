import { errors } from '../src/errors.js';
import { clamp01, type Rng } from '../src/util/rng.js';

/** An evaluated point inside a strategy's state (plain data, so it JSON round-trips). */
export interface Scored {
  x: number[];
  value: number;
}

/** NaN ranks with the failures (+Infinity): a broken evaluation must never look like the best. */
export const score = (value: number): number => (Number.isNaN(value) ? Infinity : value);

/** Ascending by value. Never computes Infinity - Infinity (NaN breaks sort); ties keep their order (sort is stable). */
export const byValue = (a: { value: number }, b: { value: number }): number =>
  a.value < b.value ? -1 : a.value > b.value ? 1 : 0;

/**
 * The first population: every seed point (clamped into the cube), then uniform points up to `size`.
 * All seeds are kept even if there are more than `size` of them, so a suggestion is never silently dropped.
 */
export function startingPoints(dim: number, size: number, seeds: readonly (readonly number[])[] | undefined, rng: Rng): number[][] {
  const out = (seeds ?? []).map((s) => {
    if (s.length !== dim) throw errors.internal(`seed point has ${s.length} genes, expected ${dim}`);
    return s.map(clamp01);
  });
  while (out.length < size) out.push(Array.from({ length: dim }, () => rng()));
  return out;
}
