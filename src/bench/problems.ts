import { gaussian, rngFor } from '../util/rng.js';
import { ALL_FUNCTIONS, type TestFunction } from './functions.js';

/**
 * A test function made unable to flatter a strategy: g(x) = f(R (x - shift) + x*), where x* is the plain
 * function's minimiser. The minimum stays 0 and moves to `shift`; R turns the landscape so that its axes no longer
 * line up with the genes. Plain functions have their optimum at or near the centre of the box, where CMA-ES starts
 * and where PSO and GA averaging drift, and most are separable, which per-gene operators exploit.
 */
export type Variant = 'plain' | 'shifted' | 'rotated' | 'shifted+rotated';
export const VARIANTS: readonly Variant[] = ['plain', 'shifted', 'rotated', 'shifted+rotated'];

/** Everything that defines a problem, as plain data: the Python anchors rebuild the same function from it. */
export interface ProblemSpec {
  readonly fn: string;
  readonly variant: Variant;
  readonly dim: number;
  readonly low: number;
  readonly high: number;
  /** The plain function's minimiser, per coordinate. */
  readonly optimum: number;
  /** Where the minimum of this problem lies (the plain optimum when not shifted). */
  readonly shift: readonly number[];
  /** Orthogonal, row-major (the identity when not rotated). */
  readonly rotation: readonly (readonly number[])[];
}

export interface Problem extends ProblemSpec {
  readonly f: (x: readonly number[]) => number;
}

/**
 * The problem of one function, variant and dimension. The shift and the rotation are fixed by (function, dimension,
 * instance), so every strategy, anchor and run sees the same problem; a different offset per coordinate is drawn
 * uniformly from the middle 80% of the box.
 */
export function problem(fn: TestFunction, variant: Variant, dim: number, instance = 1): Problem {
  const rotate = variant === 'rotated' || variant === 'shifted+rotated';
  const move = variant === 'shifted' || variant === 'shifted+rotated';
  const rng = rngFor(instance, 'shift', fn.name, dim);
  const half = (fn.high - fn.low) / 2;
  const centre = (fn.low + fn.high) / 2;
  const shift = Array.from({ length: dim }, () => (move ? centre + (2 * rng() - 1) * 0.8 * half : fn.optimum));
  const rotation = rotate ? randomRotation(dim, instance, fn.name) : identity(dim);
  return { fn: fn.name, variant, dim, low: fn.low, high: fn.high, optimum: fn.optimum, shift, rotation, f: transformed(fn, shift, rotation) };
}

/** Every function of `functions` in one variant and dimension. */
export const problems = (variant: Variant, dim: number, functions: readonly TestFunction[] = ALL_FUNCTIONS) =>
  functions.map((fn) => problem(fn, variant, dim));

/** The name a table shows. */
export const problemLabel = (p: ProblemSpec) => (p.variant === 'plain' ? p.fn : `${p.fn} (${p.variant})`);

/** The spec alone, for JSON. */
export const specOf = ({ f: _f, ...spec }: Problem): ProblemSpec => spec;

function transformed(fn: TestFunction, shift: readonly number[], R: readonly (readonly number[])[]) {
  return (x: readonly number[]) => fn.f(R.map((row) => row.reduce((s, r, j) => s + r * (x[j]! - shift[j]!), 0) + fn.optimum));
}

const identity = (dim: number) => Array.from({ length: dim }, (_, i) => Array.from({ length: dim }, (_, j) => (i === j ? 1 : 0)));

/**
 * A random orthogonal matrix (Haar-distributed: Gram-Schmidt on a Gaussian matrix), fixed by (instance, name), so
 * every strategy and every run sees the same rotated problem.
 */
export function randomRotation(dim: number, instance: number, name: string): number[][] {
  const rng = rngFor(instance, 'rotation', name, dim);
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
