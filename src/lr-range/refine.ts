/**
 * Stage 2 of the finder: train the task's real budget at a few LRs around the curve's suggestion and take the LR
 * whose validation loss is lowest. The curve cannot see what decides the best LR for a fixed budget on small data
 * (overfitting, a cliff just above the best LR); trainings at fixed LRs can. One training's validation loss
 * scatters by 10-40% from seed to seed, so refine never trusts a single probe: it averages each LR over a few
 * seeds and smooths across neighbouring LRs before it picks (benchmarks/results/lr-range-refine.md: a plain argmin
 * over the same probes does worse than the curve alone).
 */
import { deriveSeed } from '../util/rng.js';
import type { LrInterval } from './regions.js';
import { argmin } from './window.js';

/** Validation loss after training the task's budget at `lr` from training seed `seed`; NaN or Infinity if it diverged. */
export type Probe = (lr: number, seed: number) => Promise<number>;

export interface RefineOptions {
  /** LRs of the first pass, PROBE_STEP apart and centred on the curve's suggestion. */
  readonly probes: number;
  /** Trainings per LR, each from its own seed. */
  readonly seeds: number;
}

/** One probed LR and the validation loss of each seed's training there. */
export interface ProbeResult {
  readonly lr: number;
  readonly losses: readonly number[];
}

export interface Refinement {
  /** The curve's suggestion, where the probes are centred. */
  readonly from: number;
  /** Every probe, by ascending LR. */
  readonly probes: readonly ProbeResult[];
}

/** Probes sit a quarter decade apart, the spacing of the grid the goal is judged on; the vertex can land between two. */
export const PROBE_STEP = 10 ** 0.25;
/** Probes refine may add past the outermost one while the best LR sits there (always inside the bounds). */
export const MAX_EXTRA_PROBES = 2;

/** Training seed of a probe's `replicate`-th run, from the test's seed: the same at every LR (common random numbers:
 *  neighbouring LRs start from the same weights and batch order), and unrelated to a search's trial seeds. */
export const probeSeed = (seed: number, replicate: number) => deriveSeed(seed, 'lr-refine', replicate);

/** The first pass: `n` LRs a step apart, centred on `from`, those inside `bounds` (just `from` if none is). */
export function firstProbes(from: number, n: number, bounds: LrInterval): number[] {
  const lrs = Array.from({ length: n }, (_, i) => from * PROBE_STEP ** (i - (n - 1) / 2)).filter((lr) => inside(lr, bounds));
  return lrs.length > 0 ? lrs : [from];
}

/** Runs the probes (first pass, then at most MAX_EXTRA_PROBES outwards while the best is the outermost) and picks. */
export async function refine(probe: Probe, from: number, bounds: LrInterval, o: RefineOptions, seed: number): Promise<{ suggestion: number; refinement: Refinement }> {
  const seeds = Array.from({ length: o.seeds }, (_, k) => probeSeed(seed, k));
  const run = async (lr: number): Promise<ProbeResult> => {
    const losses: number[] = [];
    for (const s of seeds) losses.push(await probe(lr, s));
    return { lr, losses };
  };
  const probes: ProbeResult[] = [];
  for (const lr of firstProbes(from, o.probes, bounds)) probes.push(await run(lr));
  for (let extra = 0; extra < MAX_EXTRA_PROBES; extra++) {
    const best = argmin(smoothedScores(probes));
    const up = best === probes.length - 1;
    if (!up && best !== 0) break;
    const next = up ? probes[best]!.lr * PROBE_STEP : probes[0]!.lr / PROBE_STEP;
    if (!inside(next, bounds)) break;
    const p = await run(next);
    if (up) probes.push(p);
    else probes.unshift(p);
  }
  return { suggestion: pickLr(probes), refinement: { from, probes } };
}

/**
 * The suggestion from probes a constant ratio apart (ascending): the lowest smoothed score, moved to the vertex of
 * the parabola through it and its two neighbours (at most half a step either way), so that the suggestion can
 * fall between probes when the loss says so.
 */
export function pickLr(probes: readonly ProbeResult[]): number {
  const s = smoothedScores(probes);
  const i = argmin(s);
  const lr = probes[i]!.lr;
  if (i === 0 || i === probes.length - 1) return lr;
  const [a, b, c] = [s[i - 1]!, s[i]!, s[i + 1]!];
  const curvature = a - 2 * b + c;
  if (!(curvature > 0)) return lr;
  const offset = Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / curvature));
  return lr * (probes[i + 1]!.lr / lr) ** offset;
}

/**
 * Each probe's score, log of its mean validation loss, smoothed over its neighbours with weights 1-2-1. At the ends
 * the missing neighbour is extrapolated linearly, which leaves an end's score as it is: averaging it with its one
 * neighbour instead would favour an end next to a worse probe over a better one just inside. A probe where some seed
 * diverged scores a little worse than the worst that trained: a cliff must push the choice away without one blown-up
 * value swamping the average of its neighbours.
 */
export function smoothedScores(probes: readonly ProbeResult[]): number[] {
  const raw = probes.map((p) => (p.losses.every(Number.isFinite) ? Math.log(p.losses.reduce((a, b) => a + b, 0) / p.losses.length) : Infinity));
  if (!raw.some(Number.isFinite)) return raw; // nothing trained: the lowest LR probed is the best guess left
  const worst = Math.max(...raw.filter(Number.isFinite));
  const s = raw.map((v) => (Number.isFinite(v) ? v : worst + Math.LN2));
  return s.map((v, i) => (i === 0 || i === s.length - 1 ? v : (s[i - 1]! + 2 * v + s[i + 1]!) / 4));
}

const inside = (lr: number, [lo, hi]: LrInterval) => lr >= lo * (1 - 1e-9) && lr <= hi * (1 + 1e-9);
