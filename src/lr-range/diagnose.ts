import type { Curve } from './curve.js';
import { findRegions, relativeDrop, type Regions } from './regions.js';

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
