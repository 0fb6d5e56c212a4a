import { dot, norm, symmetricEigen, type Matrix } from '../../src/util/linalg.js';
import type { CmaParams } from './params.js';

/**
 * The search distribution N(mean, sigma^2 C) with C = B diag(D^2) B^T kept only as its eigendecomposition
 * (B orthonormal columns, D > 0): sampling needs B and D, and storing C as well would let the two disagree.
 */
export interface Distribution {
  mean: number[];
  sigma: number;
  B: number[][];
  D: number[];
  /** Evolution paths for the covariance (rank-one) and the step size (CSA). */
  pc: number[];
  ps: number[];
  /** Updates done since this distribution was created. */
  generation: number;
}

/** Eigenvalues are kept within this ratio of the largest so the covariance stays invertible whatever the input;
 *  an IPOP restart triggers well before (condition 1e14, see stop.ts). */
const MIN_EIGEN_RATIO = 1e-16;
/** sigma stays a positive normal double (steps are divided by it) and finite: beyond ~1 every sample of the unit
 *  cube is clipped to a corner anyway, and an infinite sigma would turn sigma * 0 into NaN. */
const MIN_SIGMA = 1e-300;
const MAX_SIGMA = 1e6;

/** y -> C^{-1/2} y = B D^{-1} B^T y. */
export function whiten(dist: Distribution, y: readonly number[]): number[] {
  const { B, D } = dist;
  const n = y.length;
  const inner = D.map((d, k) => B.reduce((s, row, i) => s + row[k]! * y[i]!, 0) / d);
  return Array.from({ length: n }, (_, i) => B[i]!.reduce((s, b, k) => s + b * inner[k]!, 0));
}

/** Standard deviation of every coordinate of N(0, C) (without sigma): sqrt(C_ii). */
export const coordinateScales = (dist: Distribution): number[] =>
  dist.B.map((row) => Math.sqrt(row.reduce((s, b, k) => s + b * b * dist.D[k]! ** 2, 0)));

/**
 * One generation of CMA-ES (tutorial eqs. 39-47): `ys` are the steps of the selected points in the model
 * N(0, C), best first, at most lambda of them (weights past their count are unused). The points evaluated were
 * mean + sigma * scale * y: `scale` is the margin's widening of discrete genes (1 elsewhere). The mean moves to
 * the weighted average of those points (c_m = 1), so a discrete gene follows a winning sample into the next
 * bin; the paths and the covariance learn from the unwidened steps, which is what the model sampled.
 */
export function updateDistribution(dist: Distribution, ys: readonly (readonly number[])[], scale: readonly number[], p: CmaParams): Distribution {
  const n = dist.mean.length;
  const w = p.weights.slice(0, ys.length);
  const yw = Array.from({ length: n }, (_, i) => ys.slice(0, p.mu).reduce((s, y, k) => s + w[k]! * y[i]!, 0));
  const mean = dist.mean.map((m, i) => m + dist.sigma * scale[i]! * yw[i]!);

  // Cumulative step-size adaptation.
  const csFactor = Math.sqrt(p.cs * (2 - p.cs) * p.muEff);
  const cyw = whiten(dist, yw);
  const ps = dist.ps.map((v, i) => (1 - p.cs) * v + csFactor * cyw[i]!);
  const psNorm = norm(ps);
  const sigma = Math.min(MAX_SIGMA, Math.max(MIN_SIGMA, dist.sigma * Math.exp((p.cs / p.ds) * (psNorm / p.chiN - 1))));

  // Stall the rank-one path while ||ps|| is large (sigma is still growing), so C does not grow too fast.
  const generation = dist.generation + 1;
  const hsig = psNorm / Math.sqrt(1 - (1 - p.cs) ** (2 * generation)) < (1.4 + 2 / (n + 1)) * p.chiN ? 1 : 0;
  const ccFactor = Math.sqrt(p.cc * (2 - p.cc) * p.muEff);
  const pc = dist.pc.map((v, i) => (1 - p.cc) * v + hsig * ccFactor * yw[i]!);

  // Rank-one plus rank-mu update; negative weights are rescaled by n / ||C^{-1/2} y||^2 (eq. 46).
  const wo = w.map((wk, k) => {
    if (wk >= 0) return wk;
    const z = whiten(dist, ys[k]!);
    return (wk * n) / Math.max(1e-300, dot(z, z));
  });
  const deltaH = (1 - hsig) * p.cc * (2 - p.cc);
  const keep = 1 + p.c1 * deltaH - p.c1 - p.cmu * w.reduce((s, v) => s + v, 0);
  const C = covariance(dist);
  const next: Matrix = C.map((row, i) =>
    row.map((cij, j) => {
      let rankMu = 0;
      for (let k = 0; k < ys.length; k++) rankMu += wo[k]! * ys[k]![i]! * ys[k]![j]!;
      return keep * cij + p.c1 * pc[i]! * pc[j]! + p.cmu * rankMu;
    }),
  );
  return { ...decompose(next), mean, sigma, pc, ps, generation };
}

/** C = B diag(D^2) B^T. */
export function covariance(dist: Pick<Distribution, 'B' | 'D'>): Matrix {
  const { B, D } = dist;
  return B.map((ri) => B.map((rj) => ri.reduce((s, b, k) => s + b * rj[k]! * D[k]! ** 2, 0)));
}

/** B and D of a symmetric matrix, eigenvalues floored so the result stays positive definite. */
export function decompose(C: Matrix): { B: number[][]; D: number[] } {
  const { values, vectors } = symmetricEigen(C);
  const floor = Math.max(...values) * MIN_EIGEN_RATIO;
  return { B: vectors, D: values.map((v) => Math.sqrt(Math.max(v, floor, Number.MIN_VALUE))) };
}
