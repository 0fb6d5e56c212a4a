/**
 * Stage 1 of the finder, reading the curve: each rule's suggestion from the window of the curve the rules read, the
 * regions Smith's method sees in it (flat, falling, rising) and what makes it hard to trust, and the search bounds
 * around the suggestion. The same reading serves one curve and the median of K (both recorded by sweep.ts).
 */
import { errors } from '../errors.js';

/** Which loss the test records: the training loss of each step (the classic test), or the validation loss after it
 *  (Smith's first variant: it also sees overfitting, which decides the best LR on small data sets). */
export type Signal = 'train' | 'val';
export const SIGNALS: readonly Signal[] = ['train', 'val'];

/** One step of the test: the LR it trained at, the recorded loss after it, and the smoothed loss up to it. */
export interface CurvePoint {
  readonly step: number;
  readonly lr: number;
  readonly loss: number;
  readonly smoothed: number;
}

/** Why the test stopped before its last step: a smoothed loss above factor x the best so far, or a loss that is NaN/Infinity. */
export type Divergence = 'diverged' | 'non-finite';

/** How the test ended: at its last step, or early at `lr` (the first LR that diverged or gave NaN/Infinity). */
export type CurveStop = { readonly reason: 'end' } | { readonly reason: Divergence; readonly step: number; readonly lr: number };

/** The recorded curve; a point whose loss was NaN/Infinity is not in `points`, only in `stop`. */
export interface Curve {
  readonly signal: Signal;
  readonly points: readonly CurvePoint[];
  readonly stop: CurveStop;
}

/** What a curve says: the suggestion of the chosen rule (and of every rule, to compare), bounds, diagnosis. */
export interface Analysis {
  readonly rule: RuleName;
  readonly suggestion: number;
  readonly bounds: LrInterval;
  readonly suggestions: Readonly<Record<RuleName, number | null>>;
  readonly diagnosis: Diagnosis;
}

/** Reads a curve recorded over the LRs `tested` ([start, end]); a curve too short for the rule is an error. */
export function analyseCurve(curve: Curve, rule: RuleName, tested: LrInterval): Analysis {
  const window = readWindow(curve);
  const suggestions = Object.fromEntries(RULE_NAMES.map((r) => [r, RULES[r].suggest(window) ?? null])) as Record<RuleName, number | null>;
  const raw = suggestions[rule];
  const diagnosis = diagnose(curve);
  if (raw === null) {
    const where =
      curve.stop.reason === 'end'
        ? ''
        : ` before it stopped (${curve.stop.reason === 'diverged' ? 'diverged' : 'NaN/Infinity'} at LR ${curve.stop.lr.toExponential(2)})`;
    throw errors.lrRange(
      `only ${curve.points.length} steps were recorded${where}: too few for the ${rule} rule`,
      'lower the start LR (--start-lr) or raise the number of steps (--steps)',
    );
  }
  // A rule may point past the tested range (minimum/10 at the first step); nothing outside it was seen to work.
  const suggestion = Math.min(tested[1], Math.max(tested[0], raw));
  return { rule, suggestion, bounds: searchBounds(suggestion, diagnosis.regions.falling, tested), suggestions, diagnosis };
}

// ---------------------------------------------------------------------------------------------------------------
// The suggestion: the window of the curve the rules read, and the rules.

/**
 * The part of a curve the rules read, as parallel arrays: the first 10% of the steps (where the smoothed loss still
 * leans on very few samples) and the last few points (the blow-up that stopped the test) are left out, as the
 * fastai and torch-lr-finder implementations do.
 */
export interface Window {
  readonly lrs: readonly number[];
  readonly logLrs: readonly number[];
  readonly smoothed: readonly number[];
}

export function readWindow(curve: Curve, o: { lagCorrected?: boolean; beta?: number } = {}, skipStartFraction = 0.1, skipEnd = 5): Window {
  const n = curve.points.length;
  const from = Math.floor(n * skipStartFraction);
  const to = Math.max(from, n - (curve.stop.reason === 'end' ? 0 : skipEnd));
  const pts = curve.points.slice(from, to);
  const lrs = o.lagCorrected
    ? pts.map((p) => curve.points[Math.max(0, Math.round(p.step - emaLag(o.beta ?? 0.98, p.step)))]?.lr ?? p.lr)
    : pts.map((p) => p.lr);
  return { lrs, logLrs: lrs.map(Math.log), smoothed: pts.map((p) => p.smoothed) };
}

/**
 * How many steps behind the bias-corrected EMA is after `step` steps: the mean age of the losses it averages.
 * beta / (1 - beta) once warmed up (49 steps at 0.98, which is 1.3 decades of LR in a 300-step test), less before.
 */
export function emaLag(beta: number, step: number): number {
  const n = step + 1;
  const bn = beta ** n;
  return beta / (1 - beta) - (n * bn) / (1 - bn);
}

/** d(values)/d(x) by central differences (one-sided at the ends), like numpy.gradient with coordinates. */
export function gradient(values: readonly number[], x: readonly number[]): number[] {
  const n = values.length;
  if (n < 2) return values.map(() => 0);
  return values.map((_, i) => {
    const a = Math.max(0, i - 1);
    const b = Math.min(n - 1, i + 1);
    return (values[b]! - values[a]!) / (x[b]! - x[a]!);
  });
}

/** Index of the smallest value (the first, on ties). */
export function argmin(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! < values[best]!) best = i;
  return best;
}

/** A suggestion rule: reads the smoothed curve and names one LR, or nothing if the curve has no falling part. */
export interface Rule {
  readonly describe: string;
  suggest(w: Window): number | undefined;
}

/**
 * The falling region as fastai finds it: the longest decreasing subsequence of the smoothed loss, taken as the
 * stretch of steps [end - length, end] that it spans. Returns [first, last] indices.
 */
export function longestValley(smoothed: readonly number[]): [number, number] | undefined {
  const n = smoothed.length;
  const len = new Array<number>(n).fill(1);
  let end = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) if (smoothed[i]! < smoothed[j]! && len[j]! + 1 > len[i]!) len[i] = len[j]! + 1;
    if (len[i]! > len[end]!) end = i;
  }
  return len[end]! < 2 ? undefined : [Math.max(0, end - len[end]!), end];
}

const valley = (w: Window): number | undefined => {
  const v = longestValley(w.smoothed);
  if (!v) return undefined;
  const third = (v[1] - v[0]) / 3;
  return w.lrs[v[0] + Math.floor(third) + Math.floor(third / 2)];
};

const minimum = (w: Window): number | undefined => (w.lrs.length === 0 ? undefined : w.lrs[argmin(w.smoothed)]! / 10);

export const RULES = {
  valley: {
    describe: 'fastai: halfway along the longest stretch of falling loss',
    suggest: valley,
  },
  steepest: {
    describe: 'torch-lr-finder / Lightning: where the smoothed loss falls fastest against log LR',
    suggest: (w) => (w.lrs.length < 3 ? undefined : w.lrs[argmin(gradient(w.smoothed, w.logLrs))]),
  },
  minimum: {
    describe: 'fastai: the LR of the lowest smoothed loss, divided by 10',
    suggest: minimum,
  },
  'minimum-or-valley': {
    describe: 'minimum; but valley when the lowest loss is at the end of the test (the loss never rose, so nothing marks the top)',
    suggest: (w) => (argmin(w.smoothed) >= w.smoothed.length - 2 ? valley(w) : minimum(w)),
  },
} satisfies Record<string, Rule>;

export type RuleName = keyof typeof RULES;
export const RULE_NAMES = Object.keys(RULES) as RuleName[];

// ---------------------------------------------------------------------------------------------------------------
// The diagnosis: the regions of the curve, the scatter of the loss, and what makes the curve hard to trust.

/** An LR interval [low, high]. */
export type LrInterval = readonly [number, number];

/**
 * The three parts Smith's method reads in a curve, by LR: flat (the LR is too small to move the loss), falling,
 * and rising (past the best LR: instability, or overfitting when the curve is the validation loss). A part the
 * curve does not show is absent.
 */
export interface Regions {
  readonly flat?: LrInterval;
  readonly falling?: LrInterval;
  readonly rising?: LrInterval;
  /** Mean raw loss of the first steps. */
  readonly startLoss: number;
  /** Lowest smoothed loss. */
  readonly lowestLoss: number;
}

/** Something that makes the curve hard to trust, with what to try. */
export interface Issue {
  readonly code: 'no-fall' | 'no-flat' | 'no-rise' | 'noisy';
  readonly message: string;
  readonly advice: string;
}

/** How the curve reads: healthy when it shows all three regions and is not too noisy to read (no issues). */
export interface Diagnosis {
  readonly regions: Regions;
  /** Typical step-to-step scatter of the raw loss around the smoothed loss, over the total drop. */
  readonly noise: number;
  readonly issues: readonly Issue[];
}

/** Below this relative drop there is no falling region worth the name. */
const MIN_DROP = 0.1;
/** Above this, the scatter is so large next to the drop that where the loss falls is a guess. */
const MAX_NOISE = 0.5;

export const isHealthy = (d: Diagnosis) => d.issues.length === 0;

export function diagnose(curve: Curve): Diagnosis {
  const regions = findRegions(curve);
  const noise = scatter(curve, regions);
  const issues: Issue[] = [];
  const drop = relativeDrop(regions);
  if (!regions.falling || drop < MIN_DROP) {
    issues.push({
      code: 'no-fall',
      message: `no clear falling region: the smoothed loss fell by only ${(drop * 100).toFixed(0)}% of its starting value`,
      advice:
        'the model, the optimizer or the step count may be unsuitable: try more steps (--steps), another optimizer (--optimizer), or a wider LR range',
    });
  }
  if (!regions.flat && regions.falling) {
    issues.push({
      code: 'no-flat',
      message: 'the loss already falls at the start LR: the test may have started too high to see where learning begins',
      advice: 'lower the start LR (--start-lr)',
    });
  }
  if (!regions.rising) {
    issues.push({
      code: 'no-rise',
      message: 'the loss never rose: the largest LR worth using is beyond the end of the test, so the upper bound is a guess',
      advice: 'raise the end LR (--end-lr), or track the validation loss (--signal val), which also rises when the model starts to overfit',
    });
  }
  if (noise > MAX_NOISE) {
    issues.push({
      code: 'noisy',
      message: `the curve is too noisy to read: step-to-step scatter is ${noise.toFixed(2)}x the total drop`,
      advice: 'try more steps (--steps), a larger batch size, or the validation loss (--signal val)',
    });
  }
  return { regions, noise, issues };
}

/** How much of the starting loss the curve shed at its lowest: 0..1. */
export const relativeDrop = (r: Regions) => (r.startLoss > 0 ? Math.max(0, (r.startLoss - r.lowestLoss) / r.startLoss) : 0);

/** Share of the total drop that must be gone before the loss counts as falling, and back before it counts as rising. */
const EDGE = 0.1;

export function findRegions(curve: Curve): Regions {
  const pts = curve.points;
  const head = pts.slice(0, Math.max(5, Math.ceil(pts.length * 0.05)));
  const start = head.reduce((a, p) => a + p.loss, 0) / Math.max(1, head.length);
  const iMin = argmin(pts.map((p) => p.smoothed));
  const low = pts.length === 0 ? start : pts[iMin]!.smoothed;
  const drop = start - low;
  const level = { startLoss: start, lowestLoss: low };
  if (pts.length < 2 || !(drop > 0)) return level;
  let iFall = pts.findIndex((p) => p.smoothed <= start - EDGE * drop);
  if (iFall < 0 || iFall > iMin) iFall = iMin;
  const last = pts[pts.length - 1]!;
  const riseEnd = curve.stop.reason === 'end' ? last.lr : curve.stop.lr;
  const rose = curve.stop.reason !== 'end' || last.smoothed >= low + EDGE * drop;
  const lr = (i: number) => pts[i]!.lr;
  return {
    ...level,
    ...(iFall > 0 ? { flat: [lr(0), lr(iFall)] as const } : {}),
    ...(iMin > iFall ? { falling: [lr(iFall), lr(iMin)] as const } : {}),
    ...(rose && riseEnd > lr(iMin) ? { rising: [lr(iMin), riseEnd] as const } : {}),
  };
}

/** Median |raw - smoothed| up to the lowest point, relative to the drop (Infinity when the loss did not drop). */
function scatter(curve: Curve, r: Regions): number {
  const drop = r.startLoss - r.lowestLoss;
  if (curve.points.length < 2 || !(drop > 0)) return Infinity;
  const upTo = r.falling ? r.falling[1] : Infinity;
  const dev = curve.points
    .filter((p) => p.lr <= upTo)
    .map((p) => Math.abs(p.loss - p.smoothed))
    .sort((a, b) => a - b);
  return dev[Math.floor(dev.length / 2)]! / drop;
}

// ---------------------------------------------------------------------------------------------------------------
// The bounds: what `search --lr-bounds auto` searches.

/** Most the bounds reach on either side of the suggestion: one decade, so they span at most two. */
export const BOUNDS_REACH = 10;

/** Factors the bounds are widened by, after the cut: the lower bound divided by `lower`, the upper multiplied by `upper`. */
export interface BoundsMargin {
  readonly lower: number;
  readonly upper: number;
}

/** No margin: the bounds end where the falling region (or the reach) ends. */
export const NO_MARGIN: BoundsMargin = { lower: 1, upper: 1 };

/** The library's margin: none. Margins of x1.5 to x3 held the 20-seed oracle LR in a few more curves on the bundled
 *  tasks but made a simulated search inside the bounds no better and the race no better at its worst
 *  (benchmarks/lr-range-margin.ts, benchmarks/results/2026-12-07-lr-margin.md). */
export const BOUNDS_MARGIN: BoundsMargin = NO_MARGIN;

/**
 * The search bounds: the falling region, cut to a decade either side of the suggestion (the whole falling region
 * spans 3 to 5 decades on real curves, which tells a search little), always containing the suggestion, widened by
 * `margin`, and inside the tested range [start, end].
 */
export function searchBounds(
  suggestion: number,
  falling: LrInterval | undefined,
  tested: LrInterval,
  margin: BoundsMargin = BOUNDS_MARGIN,
): LrInterval {
  const [start, end] = tested;
  const s = Math.min(end, Math.max(start, suggestion));
  let lo = Math.min(s, Math.max(falling?.[0] ?? 0, s / BOUNDS_REACH));
  let hi = Math.max(s, Math.min(falling?.[1] ?? Infinity, s * BOUNDS_REACH));
  // A falling region that ends at the suggestion would leave nothing above it (or nothing below, at its start):
  // keep at least a factor sqrt(10) on each side so that a search can still move.
  lo = Math.max(start, Math.min(lo, s / Math.sqrt(BOUNDS_REACH)) / margin.lower);
  hi = Math.min(end, Math.max(hi, s * Math.sqrt(BOUNDS_REACH)) * margin.upper);
  return [lo, hi];
}
