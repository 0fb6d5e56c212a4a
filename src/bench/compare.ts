import { holm, mannWhitneyU, smallestExactP, summarize, type Summary } from './stats.js';

/** One contender in a comparison at equal budget: its best value (lower is better) on each seed. */
export interface Contender {
  readonly label: string;
  readonly values: readonly number[];
}

export type Verdict =
  | { readonly kind: 'leader' }
  /** Worse than the leader beyond seed noise: Holm-adjusted p below alpha. */
  | { readonly kind: 'worse'; readonly p: number }
  /** Not distinguishable from the leader across these seeds. */
  | { readonly kind: 'within-noise'; readonly p: number };

export interface Ranked {
  readonly label: string;
  readonly summary: Summary;
  readonly verdict: Verdict;
}

export interface Comparison {
  readonly alpha: number;
  readonly rows: readonly Ranked[];
  /** Set when the seeds are too few for any difference to count, whatever the values. */
  readonly tooFewSeeds?: string;
}

/**
 * Ranks contenders by median and tests each against the leader (lowest median) with a two-sided Mann-Whitney U test
 * across seeds, Holm-adjusted over the comparisons of this group. A difference is only called when it survives that.
 */
export function compare(contenders: readonly Contender[], alpha = 0.05): Comparison {
  if (contenders.length === 0) return { alpha, rows: [] };
  const summaries = contenders.map((c) => ({ c, summary: summarize(c.values) }));
  const leader = summaries.reduce((a, b) => (lessThan(b.summary, a.summary) ? b : a));
  const others = summaries.filter((s) => s !== leader);
  const adjusted = holm(others.map((s) => mannWhitneyU(leader.c.values, s.c.values).p));
  const rows: Ranked[] = summaries.map((s) => {
    if (s === leader) return { label: s.c.label, summary: s.summary, verdict: { kind: 'leader' } };
    const p = adjusted[others.indexOf(s)]!;
    return { label: s.c.label, summary: s.summary, verdict: p < alpha ? { kind: 'worse', p } : { kind: 'within-noise', p } };
  });
  // Holm multiplies the smallest p by the number of comparisons: below this floor no call is possible at all.
  const n = Math.min(...contenders.map((c) => c.values.length));
  const floor = Math.min(1, smallestExactP(n, n) * others.length);
  return others.length > 0 && floor >= alpha
    ? {
        alpha,
        rows,
        tooFewSeeds: `with ${n} seeds per contender and ${others.length} comparison${others.length === 1 ? '' : 's'} the smallest possible adjusted p is ${floor.toPrecision(2)}, so no difference can reach p < ${alpha}`,
      }
    : { alpha, rows };
}

/** Lower median wins; on equal medians the tighter upper quartile. */
const lessThan = (a: Summary, b: Summary) => a.median < b.median || (a.median === b.median && a.q3 < b.q3);
