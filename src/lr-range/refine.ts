/**
 * Stage 2 of the finder: train the task's real budget at fixed LRs inside the curve's bounds and take the LR whose
 * validation loss is lowest. The curve cannot see what decides the best LR for a fixed budget on small data
 * (overfitting, a cliff just above the best LR); trainings at fixed LRs can. One training's validation loss scatters
 * by 10-40% from seed to seed, so refine races: one training at every quarter-decade LR inside the bounds, then the
 * few best get more seeds, and the pick is the finalist with the lowest mean. At equal trainings this beats probing
 * fewer LRs with more seeds each and reading a smoothed curve through them (benchmarks/results/lr-range-refine.md).
 */
import { deriveSeed } from '../util/rng.js';
import { argmin, type LrInterval } from './analyse.js';

/** Validation loss after training the task's budget at `lr` from training seed `seed`; NaN or Infinity if it diverged. */
export type Probe = (lr: number, seed: number) => Promise<number>;

export interface RefineOptions {
  /** LRs that race on after the first pass: the best by smoothed score. */
  readonly finalists: number;
  /** Trainings per finalist in all, each from its own seed (every other LR gets one). */
  readonly seeds: number;
}

/** One probed LR and the validation loss of each seed's training there. */
export interface ProbeResult {
  readonly lr: number;
  readonly losses: readonly number[];
}

export interface Refinement {
  /** The curve's suggestion, which refine replaces. */
  readonly from: number;
  /** Every probe, by ascending LR: the quarter-decade LRs inside the bounds. */
  readonly probes: readonly ProbeResult[];
  /** LRs of the probes that raced on, ascending. */
  readonly finalists: readonly number[];
}

/** Probes sit on quarter decades (1e-3, 1.78e-3, 3.16e-3, 5.62e-3, ...): finer than the seed-to-seed scatter of the
 *  best LR can resolve, and the spacing of the grid the issue judges the suggestion on. */
const PROBES_PER_DECADE = 4;
export const PROBE_STEP = 10 ** (1 / PROBES_PER_DECADE);

/** Training seed of a probe's `replicate`-th run, from the test's seed: the same at every LR (common random numbers:
 *  neighbouring LRs start from the same weights and batch order), and unrelated to a search's trial seeds. */
export const probeSeed = (seed: number, replicate: number) => deriveSeed(seed, 'lr-refine', replicate);

/** The quarter-decade LRs inside `bounds`, ascending; the one nearest the bounds' middle if none is inside. */
export function latticeLrs([lo, hi]: LrInterval): number[] {
  const from = Math.ceil(Math.log10(lo) * PROBES_PER_DECADE - 1e-9);
  const to = Math.floor(Math.log10(hi) * PROBES_PER_DECADE + 1e-9);
  if (to < from) return [10 ** (Math.round((Math.log10(lo * hi) * PROBES_PER_DECADE) / 2) / PROBES_PER_DECADE)];
  return Array.from({ length: to - from + 1 }, (_, i) => 10 ** ((from + i) / PROBES_PER_DECADE));
}

/** Runs the race: one training at every lattice LR, then `seeds - 1` more at each finalist. */
export async function refine(
  probe: Probe,
  from: number,
  bounds: LrInterval,
  o: RefineOptions,
  seed: number,
): Promise<{ suggestion: number; refinement: Refinement }> {
  const first = probeSeed(seed, 0);
  const probes: ProbeResult[] = [];
  for (const lr of latticeLrs(bounds)) probes.push({ lr, losses: [await probe(lr, first)] });
  const finalists = pickFinalists(probes, o.finalists);
  for (const i of finalists) {
    const losses = [...probes[i]!.losses];
    for (let k = 1; k < o.seeds; k++) losses.push(await probe(probes[i]!.lr, probeSeed(seed, k)));
    probes[i] = { lr: probes[i]!.lr, losses };
  }
  return { suggestion: pickLr(probes, finalists), refinement: { from, probes, finalists: finalists.map((i) => probes[i]!.lr) } };
}

/** A probe's mean validation loss over its seeds; Infinity if any of them diverged. */
export function probeMean(p: ProbeResult): number {
  return p.losses.every(Number.isFinite) ? p.losses.reduce((a, b) => a + b, 0) / p.losses.length : Infinity;
}

/** Indices of the `n` probes with the lowest smoothed scores, ascending (ties: the lower LR first). */
export function pickFinalists(probes: readonly ProbeResult[], n: number): number[] {
  const s = smoothedScores(probes);
  return s
    .map((v, i) => [v, i] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .slice(0, n)
    .map(([, i]) => i)
    .sort((a, b) => a - b);
}

/**
 * The finalist with the lowest mean validation loss; a finalist where any seed diverged is out. If all are out, the
 * lowest smoothed score over every probe (which steers away from divergence), and with nothing trained at all the
 * lowest LR probed.
 */
export function pickLr(probes: readonly ProbeResult[], finalists: readonly number[]): number {
  const means = probes.map((p, i) => (finalists.includes(i) ? probeMean(p) : Infinity));
  const best = argmin(means);
  return Number.isFinite(means[best]) ? probes[best]!.lr : probes[argmin(smoothedScores(probes))]!.lr;
}

/**
 * Each probe's score, log of its mean validation loss, smoothed over its neighbours with weights 1-2-1: with one
 * training per LR, a neighbour's loss is the best evidence there is about the scatter. At the ends the missing
 * neighbour is extrapolated linearly, which leaves an end's score as it is: averaging it with its one neighbour
 * instead would favour an end next to a worse probe over a better one just inside. A probe where some seed diverged
 * scores a little worse than the worst that trained: a cliff must push the choice away without one blown-up value
 * swamping the average of its neighbours.
 */
export function smoothedScores(probes: readonly ProbeResult[]): number[] {
  const raw = probes.map((p) => Math.log(probeMean(p)));
  if (!raw.some(Number.isFinite)) return raw; // nothing trained: the lowest LR probed is the best guess left
  const worst = Math.max(...raw.filter(Number.isFinite));
  const s = raw.map((v) => (Number.isFinite(v) ? v : worst + Math.LN2));
  return s.map((v, i) => (i === 0 || i === s.length - 1 ? v : (s[i - 1]! + 2 * v + s[i + 1]!) / 4));
}
