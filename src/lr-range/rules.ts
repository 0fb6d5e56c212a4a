import { argmin, gradient, type Window } from './window.js';

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
