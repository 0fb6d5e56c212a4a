/**
 * The LR range test (Smith 2015): train a fresh model for a few hundred steps while the LR grows from a tiny value
 * to a huge one, record the loss (sweep.ts), and read from the curve where the LR works (stage 1: suggestion, bounds
 * and diagnosis, analyse.ts); then, unless `refine` is 0, train the task's real budget at the quarter-decade LRs
 * inside the bounds, race the best few on with more seeds and suggest the one with the lowest validation loss
 * (stage 2, refine.ts). With `seeds` K > 1, K tests from seeds seed..seed+K-1 run at once and the curve read is their
 * median (sweep.ts). A search with `--lr-bounds auto` starts from points around the suggestion (at the end).
 * A pure function of (task, options, seed): it builds its own models and touches no global state but the tfjs
 * backend it loads. See README.md.
 */
import { performance } from 'node:perf_hooks';
import { loadTf } from '../tf/backend.js';
import { trainConfig } from '../tasks/config.js';
import { rangeTestParams, trainAndEvaluate } from '../tasks/train.js';
import type { Task } from '../tasks/types.js';
import { Space } from '../space/codec.js';
import type { Params, SpaceSpec } from '../space/spec.js';
import { analyseCurve, type Analysis } from './analyse.js';
import { parseLrRangeOptions, type LrRangeOptions, type LrRangeOptionsInput } from './options.js';
import { refine, type Refinement } from './refine.js';
import { medianCurve, sweepMembers, type BandPoint, type Curve } from './sweep.js';

/** What the test cost: the sweep's steps, and refine's trainings of the task's budget (what one search trial runs). */
export interface LrRangeCost {
  /** Steps trained by the sweep, summed over the members with `seeds` > 1. */
  readonly sweepSteps: number;
  readonly sweepMs: number;
  /** Steps of one training of the task's budget: the sweep cost sweepSteps / trainingSteps of one. */
  readonly trainingSteps: number;
  /** Trainings refine ran (0 without refine). */
  readonly evaluations: number;
  readonly refineMs: number;
}

/** The curve's reading (Analysis), with `suggestion` replaced by refine's when it ran (`refinement` says from what). */
export interface LrRangeResult extends Analysis {
  readonly task: string;
  /** The params the model trained with (the LR aside): the task's defaults and range-test overrides. */
  readonly params: Params;
  readonly curve: Curve;
  readonly options: LrRangeOptions;
  readonly steps: number;
  readonly seed: number;
  readonly backend: string;
  readonly elapsedMs: number;
  readonly cost: LrRangeCost;
  readonly refinement?: Refinement;
  /** With `seeds` > 1: `curve` is the members' median, and this the members. */
  readonly members?: LrRangeMembers;
}

/** With `seeds` > 1: the members' curves, their band, and what each curve alone would have suggested. */
export interface LrRangeMembers {
  readonly seeds: readonly number[];
  /** Whether they trained as one vectorised program (an MLP), or one after another. */
  readonly vectorised: boolean;
  readonly curves: readonly Curve[];
  /** Quartiles of the members' smoothed loss at every step of the median curve. */
  readonly band: readonly BandPoint[];
  /** The rule's suggestion on each member's own curve (null where it was too short to read). */
  readonly suggestions: readonly (number | null)[];
}

export async function lrRangeTest(task: Task, input: LrRangeOptionsInput = {}, seed = 0, signal?: AbortSignal): Promise<LrRangeResult> {
  const options = parseLrRangeOptions(input);
  const start = performance.now();
  const { tf, backend } = await loadTf({ backend: options.backend });
  const params = rangeTestParams(task, { ...(options.optimizer ? { optimizer: options.optimizer } : {}), lr: options.startLr });
  const ctx = { tf, backend, dataSeed: options.dataSeed, signal };
  const tested = [options.startLr, options.endLr] as const;
  const seeds = Array.from({ length: options.seeds }, (_, k) => seed + k);
  const swept = await sweepMembers(task, params, seeds, options, ctx);
  const { steps, stepsPerEpoch } = swept;
  let curve = swept.curves[0]!;
  let members: LrRangeMembers | undefined;
  if (seeds.length > 1) {
    const median = medianCurve(swept.curves);
    curve = median.curve;
    const own = swept.curves.map((c) => {
      try {
        return analyseCurve(c, options.rule, tested).suggestion;
      } catch {
        return null; // a member that stopped too early to read: the median still can be
      }
    });
    members = { seeds, vectorised: swept.vectorised, curves: swept.curves, band: median.band, suggestions: own };
  }
  const analysis = analyseCurve(curve, options.rule, tested);
  const sweepMs = performance.now() - start;
  // The search's fitness: the same params and data split, trained for the task's budget at a fixed LR.
  const probe = async (lr: number, probeSeed: number) => (await trainAndEvaluate(task, { ...params, lr }, { ...ctx, seed: probeSeed })).loss;
  const refined =
    options.refine > 0
      ? await refine(probe, analysis.suggestion, analysis.bounds, { finalists: options.refine, seeds: options.refineSeeds }, seed)
      : undefined;
  const cost: LrRangeCost = {
    sweepSteps: swept.curves.reduce((n, c) => n + (c.stop.reason === 'end' ? steps : c.stop.step + 1), 0),
    sweepMs,
    trainingSteps: stepsPerEpoch * trainConfig(task.name, params).epochs,
    evaluations: refined ? refined.refinement.probes.reduce((n, p) => n + p.losses.length, 0) : 0,
    refineMs: refined ? performance.now() - start - sweepMs : 0,
  };
  const { lr: _lr, ...trained } = params;
  return {
    task: task.name,
    params: trained,
    curve,
    options,
    steps,
    seed,
    backend,
    elapsedMs: performance.now() - start,
    cost,
    ...(members ? { members } : {}),
    ...analysis,
    ...(refined ? { suggestion: refined.suggestion, refinement: refined.refinement } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// What a search does with the suggestion: its first population starts on and around it.

/** Where the first population's points put the LR, in decades from the suggestion: on it and a quarter/half decade around. */
const OFFSETS = [0, -0.25, 0.25, -0.5];

/**
 * Points of the unit cube for a search's first population: the LR gene at and around the suggestion (kept inside
 * the space's LR range), every other gene at the task's default where the space can hold it, else mid-range.
 */
export function pointsAroundSuggestion(spec: SpaceSpec, lrName: string, suggestion: number, defaults: Params): number[][] {
  const space = new Space(spec);
  const base = space.names.map((name) => geneOf(spec, name, defaults[name]));
  const lrIndex = space.names.indexOf(lrName);
  return OFFSETS.map((d) => {
    const x = [...base];
    x[lrIndex] = geneOf(spec, lrName, suggestion * 10 ** d, true);
    return x;
  });
}

/** The gene of one value, or 0.5 when the value is absent or outside the parameter (clamped instead if `clamp`). */
function geneOf(spec: SpaceSpec, name: string, value: Params[string] | undefined, clamp = false): number {
  const p = spec[name]!;
  let v = value;
  if (clamp && typeof v === 'number' && p.type !== 'categorical') v = Math.min(p.high, Math.max(p.low, v));
  if (v === undefined) return 0.5;
  try {
    return new Space({ [name]: p }).encode({ [name]: v })[0]!;
  } catch {
    return 0.5; // a default the space cannot represent (another type, out of range): no better guess than mid-range
  }
}

// What the CLI loads with the test (the rest is imported from the files that hold it).
export { parseLrRangeOptions, type LrRangeOptions, type LrRangeOptionsInput } from './options.js';
export { renderSvg } from './plot.js';
