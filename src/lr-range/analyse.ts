import { errors } from '../errors.js';
import { searchBounds } from './bounds.js';
import type { Curve } from './curve.js';
import { diagnose, type Diagnosis } from './diagnose.js';
import type { LrInterval } from './regions.js';
import { RULE_NAMES, RULES, type RuleName } from './rules.js';
import { readWindow } from './window.js';

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
