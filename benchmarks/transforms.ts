import { gaussian, rngFor } from '../src/util/rng.js';
import type { TestFunction } from './functions.js';

/**
 * A random orthogonal matrix (Haar-distributed: Gram-Schmidt on a Gaussian matrix), fixed by a seed, so every
 * strategy and every run sees the same rotated problem.
 */
export function randomRotation(dim: number, seed: number): number[][] {
  const rng = rngFor(seed, 'rotation', dim);
  const rows: number[][] = [];
  while (rows.length < dim) {
    const v = Array.from({ length: dim }, () => gaussian(rng));
    for (const r of rows) {
      const proj = r.reduce((s, ri, i) => s + ri * v[i]!, 0);
      r.forEach((ri, i) => (v[i] = v[i]! - proj * ri));
    }
    const len = Math.sqrt(v.reduce((s, vi) => s + vi * vi, 0));
    if (len > 1e-8) rows.push(v.map((vi) => vi / len));
  }
  return rows;
}

/**
 * The function turned about the centre of its box: f(R (x - c) + c). The minimum value stays 0 and the landscape
 * keeps its shape, but its axes no longer line up with the coordinates, so a strategy that moves one gene at a
 * time (DE with a low CR, a GA's per-gene mutation) loses the shortcut separable functions give it.
 */
export function rotated(fn: TestFunction, R: readonly (readonly number[])[]): TestFunction {
  const c = (fn.low + fn.high) / 2;
  return {
    ...fn,
    name: `${fn.name} (rotated)`,
    f: (x) => fn.f(R.map((row) => row.reduce((s, r, j) => s + r * (x[j]! - c), 0) + c)),
  };
}

/**
 * The function with its optimum moved away from the centre of the box, to a point drawn uniformly from the
 * middle 80% of it (fixed by a seed). The standard functions all have their minimum at or near the centre,
 * which is exactly where CMA-ES starts; this removes that head start.
 */
export function shifted(fn: TestFunction, dim: number, seed: number): TestFunction {
  const rng = rngFor(seed, 'shift', dim);
  const half = (fn.high - fn.low) / 2;
  const offset = Array.from({ length: dim }, () => (2 * rng() - 1) * 0.8 * half);
  return { ...fn, name: `${fn.name} (shifted)`, f: (x) => fn.f(x.map((v, i) => v - offset[i]!)) };
}
