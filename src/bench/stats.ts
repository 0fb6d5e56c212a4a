/**
 * The statistics the benchmark reports: order statistics for "where does a strategy land over seeds", and a rank
 * test for "is that difference more than seed noise". Best values across seeds are far from normal (a run either
 * finds the basin or not), so everything here is rank-based.
 */

/** Quantile by linear interpolation between order statistics (type 7: numpy's and R's default). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, s.length - 1);
  const frac = h - lo;
  // No interpolation when none is needed, so that an Infinity (a run with no finished trial) never makes a NaN.
  return frac === 0 || s[lo] === s[hi] ? s[lo]! : s[lo]! + frac * (s[hi]! - s[lo]!);
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

/** Arithmetic mean (NaN for no values): for quantities that add up, not for best values across seeds. */
export const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export interface Summary {
  readonly n: number;
  readonly median: number;
  /** First and third quartiles: the interquartile range is q3 - q1. */
  readonly q1: number;
  readonly q3: number;
}

export function summarize(values: readonly number[]): Summary {
  return { n: values.length, median: median(values), q1: quantile(values, 0.25), q3: quantile(values, 0.75) };
}

export type MannWhitneyMethod = 'exact' | 'asymptotic';

export interface MannWhitneyResult {
  /** U of the first sample: how many (a, b) pairs have a > b, ties counting one half. */
  readonly u: number;
  /** Two-sided p-value. */
  readonly p: number;
  readonly method: MannWhitneyMethod;
}

/** Above this many values in all, exact counts of arrangements could pass 2^53 and lose precision. */
const EXACT_MAX_TOTAL = 50;

/**
 * Two-sided Mann-Whitney U test (values of scipy.stats.mannwhitneyu). 'auto' uses the exact null distribution when
 * there are no ties and at most 50 values in all, else the normal approximation with tie correction and continuity
 * correction. 'exact' ignores ties (as scipy does), so ask for it only on tie-free samples.
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[], method: MannWhitneyMethod | 'auto' = 'auto'): MannWhitneyResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU: both samples need at least one value');
  const { ranks, tieGroups } = rank([...a, ...b]);
  const r1 = ranks.slice(0, n1).reduce((s, r) => s + r, 0);
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const chosen = method !== 'auto' ? method : tieGroups.length === 0 && n1 + n2 <= EXACT_MAX_TOTAL ? 'exact' : 'asymptotic';
  const p = chosen === 'exact' ? exactP(u, n1, n2) : asymptoticP(u, n1, n2, tieGroups);
  return { u, p, method: chosen };
}

/**
 * The smallest two-sided p-value an exact test can give with samples of these sizes (U at an extreme): with 3 seeds
 * against 3 it is 0.1, so no difference can reach 5% whatever the values.
 */
export const smallestExactP = (n1: number, n2: number) => Math.min(1, 2 / binomial(n1 + n2, n1));

/** The standard normal quantile: z with P(Z <= z) = q, by bisection on erfc (to about 1e-12). */
export function normalQuantile(q: number): number {
  if (!(q > 0 && q < 1)) throw new RangeError(`normalQuantile: q must be in (0, 1), got ${q}`);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 100 && hi - lo > 1e-13; i++) {
    const mid = (lo + hi) / 2;
    if (erfc(-mid / Math.SQRT2) / 2 < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * How often a value of `a` is below a value of `b` over all pairs, ties counting one half: 1 - U / (n1 n2). Pass the
 * samples' Mann-Whitney test when it has been run already: U is what it counted.
 */
export const probabilityBelow = (a: readonly number[], b: readonly number[], test = mannWhitneyU(a, b)) => 1 - test.u / (a.length * b.length);

/**
 * Seeds per arm that a two-sided Mann-Whitney test of two equal arms needs to find a difference of this size
 * (pBelow = P(a < b), 1/2 meaning none) at level alpha with the given power. Noether (1987, JASA 82:645):
 * n per arm = (z_{1-alpha/2} + z_power)^2 / (6 (pBelow - 1/2)^2). Infinity when there is no difference.
 */
export function seedsForPower(pBelow: number, alpha: number, power = 0.8): number {
  const d = pBelow - 0.5;
  if (d === 0) return Infinity;
  return Math.ceil((normalQuantile(1 - alpha / 2) + normalQuantile(power)) ** 2 / (6 * d * d));
}

/**
 * Holm's step-down adjustment of p-values for testing several hypotheses at once (here: every strategy against the
 * leader of its row). Adjusted values keep the input order.
 */
export function holm(ps: readonly number[]): number[] {
  const order = ps.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  const out = new Array<number>(ps.length);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (ps.length - k) * p));
    out[i] = running;
  });
  return out;
}

/** Mid-ranks (1-based, ties share their average rank) and the sizes of the tied groups. */
function rank(values: readonly number[]): { ranks: number[]; tieGroups: number[] } {
  const order = values.map((v, i) => ({ v, i })).sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(values.length);
  const tieGroups: number[] = [];
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && order[end]!.v === order[start]!.v) end++;
    const mid = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!.i] = mid;
    if (end - start > 1) tieGroups.push(end - start);
    start = end;
  }
  return { ranks, tieGroups };
}

/** p = 2 min(P(U <= u), P(U >= u)) under the exact null distribution, capped at 1. */
function exactP(u: number, n1: number, n2: number): number {
  const counts = uCounts(n1, n2);
  const total = counts.reduce((s, c) => s + c, 0);
  const k = Math.round(u);
  let below = 0;
  let above = 0;
  counts.forEach((c, i) => {
    if (i <= k) below += c;
    if (i >= k) above += c;
  });
  return Math.min(1, (2 * Math.min(below, above)) / total);
}

/**
 * How many of the C(n1+n2, n1) arrangements give each U = 0..n1*n2: the coefficients of the Gaussian binomial
 * [n1+n2 choose n1]_q = prod_{i=1..n1} (1 - q^(n2+i)) / (1 - q^i). After each factor the coefficients are again
 * a Gaussian binomial's, so they stay whole and non-negative.
 */
function uCounts(n1: number, n2: number): number[] {
  const c = new Array<number>(n1 * n2 + 1).fill(0);
  c[0] = 1;
  for (let i = 1; i <= n1; i++) {
    const m = n2 + i;
    for (let k = c.length - 1; k >= m; k--) c[k]! -= c[k - m]!;
    for (let k = i; k < c.length; k++) c[k]! += c[k - i]!;
  }
  return c;
}

function asymptoticP(u: number, n1: number, n2: number, tieGroups: readonly number[]): number {
  const n = n1 + n2;
  const tieTerm = tieGroups.reduce((s, t) => s + t ** 3 - t, 0) / (n * (n - 1));
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm);
  if (variance <= 0) return 1; // every value tied: no evidence of any difference
  const z = (Math.abs(u - (n1 * n2) / 2) - 0.5) / Math.sqrt(variance);
  return Math.min(1, erfc(z / Math.SQRT2));
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/**
 * Complementary error function to about 1e-15: the Taylor series of erf near 0, Lentz's continued fraction in
 * the tail (where 1 - erf would lose every digit).
 */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    D = x + a * D;
    D = Math.abs(D) < tiny ? 1 / tiny : 1 / D;
    C = x + a / C;
    if (Math.abs(C) < tiny) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}
