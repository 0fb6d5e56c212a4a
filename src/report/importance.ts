/**
 * Hyperparameter importance: which parameters the value depended on, as shares that sum to 1. Three estimators,
 * all on the trials' positions in the unit cube the strategy searched (log parameters stay log) and on the ranks
 * of their values (an outlier does not decide): benchmarks/importance.ts measures them on runs whose important
 * parameter is known, and the charts use the one it picked (DEFAULT_IMPORTANCE, see benchmarks/results/importance.md).
 */
import { Space } from '../space/codec.js';
import type { ParamSpec, SpaceSpec } from '../space/spec.js';
import { rngFor, type Rng } from '../util/rng.js';

/** Trials as points: cube positions (rows) and values (lower is better). */
export interface Samples {
  readonly x: readonly (readonly number[])[];
  readonly y: readonly number[];
}

export type ImportanceMethod = 'ped-anova' | 'fanova' | 'permutation';
export const DEFAULT_IMPORTANCE: ImportanceMethod = 'fanova';

/** Shares per parameter (in space order), or undefined when there are too few trials to say anything. */
export function importances(
  space: SpaceSpec,
  params: ReadonlyArray<Record<string, unknown>>,
  values: readonly number[],
  method = DEFAULT_IMPORTANCE,
  seed = 0,
): number[] | undefined {
  const names = Object.keys(space);
  if (names.length === 0 || values.length < MIN_TRIALS) return undefined;
  const codec = new Space(space);
  // Beyond a few hundred trials the shares settle; the forest's cost does not.
  const keep =
    values.length <= MAX_TRIALS
      ? values.map((_, i) => i)
      : shuffleIdx(values.length, rngFor(seed, 'subsample'))
          .slice(0, MAX_TRIALS)
          .sort((a, b) => a - b);
  const s: Samples = { x: keep.map((i) => codec.encode(params[i] as never)), y: ranks(keep.map((i) => values[i]!)) };
  const raw =
    method === 'ped-anova'
      ? pedAnova(
          s,
          names.map((n) => space[n]!),
        )
      : method === 'fanova'
        ? fanova(s, rngFor(seed, 'fanova'))
        : permutation(s, rngFor(seed, 'permutation'));
  return normalise(raw);
}
/** Fewer trials than this say nothing about importance. */
export const MIN_TRIALS = 8;
const MAX_TRIALS = 600;

const normalise = (v: readonly number[]) => {
  const c = v.map((a) => (Number.isFinite(a) && a > 0 ? a : 0));
  const sum = c.reduce((a, b) => a + b, 0);
  return sum > 0 ? c.map((a) => a / sum) : c.map(() => 1 / c.length);
};

/** Ranks scaled to [0, 1], ties sharing their mean rank. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) out[order[k]![1]] = (i + j) / 2 / Math.max(1, values.length - 1);
    i = j + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// PED-ANOVA (Watanabe et al., IJCAI 2023): how far the density of the top trials departs from that of all trials,
// per parameter (Pearson divergence of Parzen estimates). Needs no model, only the ranks.

const TOP_QUANTILE = 0.1;
const GRID = 100;

export function pedAnova(s: Samples, specs: readonly ParamSpec[]): number[] {
  const n = s.y.length;
  const order = s.y
    .map((v, i) => [v, i] as const)
    .sort((a, b) => a[0] - b[0])
    .map((p) => p[1]);
  const top = order.slice(0, Math.max(2, Math.ceil(TOP_QUANTILE * n)));
  return specs.map((p, j) => {
    const all = s.x.map((row) => row[j]!);
    const best = top.map((i) => s.x[i]![j]!);
    if (p.type === 'categorical') {
      const k = p.choices.length;
      const hist = (us: readonly number[]) => {
        const h = new Array<number>(k).fill(1 / k); // one pseudo-trial spread over the choices
        for (const u of us) h[Math.min(k - 1, Math.floor(u * k))]! += 1;
        const sum = h.reduce((a, b) => a + b, 0);
        return h.map((c) => c / sum);
      };
      const pa = hist(all);
      const pt = hist(best);
      return pa.reduce((acc, q, c) => acc + q * (pt[c]! / q - 1) ** 2, 0);
    }
    const pa = parzen(all);
    const pt = parzen(best);
    let d = 0;
    for (let g = 0; g < GRID; g++) d += (pa[g]! * (pt[g]! / pa[g]! - 1) ** 2) / GRID;
    return d;
  });
}

/** A Parzen density on [0, 1] at GRID cell centres: Gaussian kernels (Scott's bandwidth) plus a uniform prior. */
function parzen(us: readonly number[]): number[] {
  const n = us.length;
  const mean = us.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(us.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  const h = Math.max(0.03, Math.min(0.5, 1.06 * (sd || 0.3) * n ** -0.2));
  const dens = new Array<number>(GRID).fill(0);
  for (let g = 0; g < GRID; g++) {
    const at = (g + 0.5) / GRID;
    let sum = 1; // the prior: one pseudo-trial spread uniformly
    for (const u of us) sum += Math.exp(-0.5 * ((at - u) / h) ** 2) / (h * Math.sqrt(2 * Math.PI));
    dens[g] = sum;
  }
  const total = dens.reduce((a, b) => a + b, 0) / GRID;
  return dens.map((v) => v / total);
}

// ---------------------------------------------------------------------------------------------------------------
// A random forest on (cube position -> rank), then either fANOVA's first-order share (the variance of each
// parameter's marginal over the uniform cube, Hutter et al. 2014, estimated by Monte Carlo) or the permutation
// importance on each tree's out-of-bag trials (Breiman 2001).

interface Tree {
  readonly feature: Int32Array; // -1: leaf
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
}

const TREES = 48;
const MIN_LEAF = 2;
const MAX_DEPTH = 10;

function growTree(s: Samples, idx: number[], rng: Rng): Tree {
  const d = s.x[0]!.length;
  const mtry = Math.max(1, Math.round(d * 0.7));
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const node = (ids: number[], depth: number): number => {
    const at = feature.length;
    const mean = ids.reduce((a, i) => a + s.y[i]!, 0) / ids.length;
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    value.push(mean);
    if (depth >= MAX_DEPTH || ids.length < 2 * MIN_LEAF) return at;
    const features = shuffleIdx(d, rng).slice(0, mtry);
    let best = { gain: 1e-12, f: -1, t: 0 };
    const total = ids.reduce((a, i) => a + s.y[i]!, 0);
    for (const f of features) {
      const sorted = [...ids].sort((a, b) => s.x[a]![f]! - s.x[b]![f]!);
      let sumL = 0;
      for (let k = 0; k < sorted.length - 1; k++) {
        sumL += s.y[sorted[k]!]!;
        const nL = k + 1;
        const nR = sorted.length - nL;
        const a = s.x[sorted[k]!]![f]!;
        const b = s.x[sorted[k + 1]!]![f]!;
        if (nL < MIN_LEAF || nR < MIN_LEAF || a === b) continue;
        // SSE reduction = sumL^2/nL + sumR^2/nR - total^2/n
        const gain = (sumL * sumL) / nL + ((total - sumL) * (total - sumL)) / nR - (total * total) / sorted.length;
        if (gain > best.gain) best = { gain, f, t: (a + b) / 2 };
      }
    }
    if (best.f < 0) return at;
    feature[at] = best.f;
    threshold[at] = best.t;
    const l = node(
      ids.filter((i) => s.x[i]![best.f]! <= best.t),
      depth + 1,
    );
    const r = node(
      ids.filter((i) => s.x[i]![best.f]! > best.t),
      depth + 1,
    );
    left[at] = l;
    right[at] = r;
    return at;
  };
  node(idx, 0);
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
  };
}

function predict(t: Tree, x: readonly number[]): number {
  let n = 0;
  while (t.feature[n]! >= 0) n = x[t.feature[n]!]! <= t.threshold[n]! ? t.left[n]! : t.right[n]!;
  return t.value[n]!;
}

function shuffleIdx(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Bootstrap samples and their out-of-bag trials, one per tree. */
function forest(s: Samples, rng: Rng): Array<{ tree: Tree; oob: number[] }> {
  const n = s.y.length;
  return Array.from({ length: TREES }, () => {
    const bag = Array.from({ length: n }, () => Math.floor(rng() * n));
    const inBag = new Set(bag);
    return { tree: growTree(s, bag, rng), oob: Array.from({ length: n }, (_, i) => i).filter((i) => !inBag.has(i)) };
  });
}

const MC_POINTS = 128;
const MARGINAL_GRID = 16;

export function fanova(s: Samples, rng: Rng): number[] {
  const d = s.x[0]!.length;
  const trees = forest(s, rng).map((f) => f.tree);
  const base = Array.from({ length: MC_POINTS }, () => Array.from({ length: d }, () => rng()));
  const f = (x: readonly number[]) => trees.reduce((a, t) => a + predict(t, x), 0) / trees.length;
  const preds = base.map(f);
  const mean = preds.reduce((a, b) => a + b, 0) / preds.length;
  const total = preds.reduce((a, b) => a + (b - mean) ** 2, 0) / preds.length;
  if (total <= 0) return new Array<number>(d).fill(0);
  return Array.from({ length: d }, (_, j) => {
    const marginal = Array.from({ length: MARGINAL_GRID }, (_, g) => {
      const v = (g + 0.5) / MARGINAL_GRID;
      return base.reduce((a, x) => a + f(x.map((u, k) => (k === j ? v : u))), 0) / base.length;
    });
    const m = marginal.reduce((a, b) => a + b, 0) / marginal.length;
    return marginal.reduce((a, b) => a + (b - m) ** 2, 0) / marginal.length / total;
  });
}

export function permutation(s: Samples, rng: Rng): number[] {
  const d = s.x[0]!.length;
  const out = new Array<number>(d).fill(0);
  for (const { tree, oob } of forest(s, rng)) {
    if (oob.length < 2) continue;
    const mse = (rows: readonly (readonly number[])[]) => rows.reduce((a, x, k) => a + (predict(tree, x) - s.y[oob[k]!]!) ** 2, 0) / rows.length;
    const rows = oob.map((i) => s.x[i]!);
    const baseline = mse(rows);
    for (let j = 0; j < d; j++) {
      const perm = shuffleIdx(rows.length, rng);
      out[j]! += mse(rows.map((x, k) => x.map((u, c) => (c === j ? rows[perm[k]!]![j]! : u)))) - baseline;
    }
  }
  return out;
}
