/** Small dense linear algebra on number[][] (row-major), enough for CMA-ES at the dimensions hyperparameter search
 *  uses (d <= ~50). Plain arrays keep strategy state JSON-serialisable. */

export type Matrix = number[][];

export const identity = (n: number): Matrix => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));

export function matVec(a: readonly (readonly number[])[], v: readonly number[]): number[] {
  return a.map((row) => row.reduce((s, aij, j) => s + aij * v[j]!, 0));
}

export const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);

export const norm = (v: readonly number[]): number => Math.sqrt(dot(v, v));

/** Elements in a tensor of this shape (1 for a scalar's []). */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export interface Eigen {
  /** Eigenvalues, ascending. */
  readonly values: number[];
  /** Eigenvectors as columns: vectors[i][k] is component i of the eigenvector of values[k]. */
  readonly vectors: Matrix;
}

const MAX_SWEEPS = 100;

/**
 * Eigendecomposition of a symmetric matrix by cyclic Jacobi rotations: each rotation zeroes one off-diagonal
 * entry; sweeps repeat until the off-diagonal mass is negligible next to the diagonal. Quadratic convergence
 * makes ~6-10 sweeps typical; O(n^3) per sweep is cheap at n <= 50, and unlike QR it needs no tridiagonal
 * reduction and yields orthonormal vectors to working precision. Only the upper triangle of `a` is read.
 */
export function symmetricEigen(a: readonly (readonly number[])[]): Eigen {
  const n = a.length;
  const m = a.map((row, i) => row.map((_, j) => (j >= i ? a[i]![j]! : a[j]![i]!)));
  const v = identity(n);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i]![i]! ** 2;
      for (let j = i + 1; j < n; j++) off += m[i]![j]! ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p]![q]!;
        if (apq === 0) continue;
        const theta = (m[q]![q]! - m[p]![p]!) / (2 * apq);
        // The smaller root of t^2 + 2 t theta - 1 = 0 keeps the rotation angle below pi/4 (stable).
        const t = Number.isFinite(theta * theta) ? Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1)) : 1 / (2 * theta);
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        rotate(m, v, p, q, c, s);
      }
    }
  }
  const order = Array.from({ length: n }, (_, k) => k).sort((x, y) => m[x]![x]! - m[y]![y]!);
  return {
    values: order.map((k) => m[k]![k]!),
    vectors: v.map((row) => order.map((k) => row[k]!)),
  };
}

/** m <- J^T m J and v <- v J for the Givens rotation J acting on coordinates p and q. */
function rotate(m: Matrix, v: Matrix, p: number, q: number, c: number, s: number): void {
  const n = m.length;
  for (let k = 0; k < n; k++) {
    const mkp = m[k]![p]!;
    const mkq = m[k]![q]!;
    m[k]![p] = c * mkp - s * mkq;
    m[k]![q] = s * mkp + c * mkq;
  }
  for (let k = 0; k < n; k++) {
    const mpk = m[p]![k]!;
    const mqk = m[q]![k]!;
    m[p]![k] = c * mpk - s * mqk;
    m[q]![k] = s * mpk + c * mqk;
  }
  for (let k = 0; k < n; k++) {
    const vkp = v[k]![p]!;
    const vkq = v[k]![q]!;
    v[k]![p] = c * vkp - s * vkq;
    v[k]![q] = s * vkp + c * vkq;
  }
}
