/**
 * The LR range test (Smith 2015): train a fresh model for a few hundred steps while the LR grows from a tiny value
 * to a huge one, record the loss, and read from the curve where the LR works (stage 1: suggestion and bounds);
 * then, unless `refine` is 0, train the task's real budget at the quarter-decade LRs inside the bounds, race the
 * best few on with more seeds and suggest the one with the lowest validation loss (stage 2, refine.ts). A pure function of (task, options, seed): it builds its own
 * models and touches no global state but the tfjs backend it loads. See README.md.
 */
import { performance } from 'node:perf_hooks';
import { loadTf } from '../tf/backend.js';
import { trainConfig } from '../tasks/config.js';
import { openSession, rangeTestParams, trainAndEvaluate } from '../tasks/train.js';
import type { Task } from '../tasks/types.js';
import type { Params } from '../space/spec.js';
import { analyseCurve, type Analysis } from './analyse.js';
import type { Curve } from './curve.js';
import { parseLrRangeOptions, type LrRangeOptions, type LrRangeOptionsInput } from './options.js';
import { refine, type Refinement } from './refine.js';
import { sweep } from './sweep.js';

/** What the test cost: the sweep's steps, and refine's trainings of the task's budget (what one search trial runs). */
export interface LrRangeCost {
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
}

/** Default length: a few hundred steps, or one epoch if that is longer. */
export function defaultSteps(stepsPerEpoch: number): number {
  return Math.max(DEFAULT_MIN_STEPS, stepsPerEpoch);
}
const DEFAULT_MIN_STEPS = 300;

export async function lrRangeTest(task: Task, input: LrRangeOptionsInput = {}, seed = 0, signal?: AbortSignal): Promise<LrRangeResult> {
  const options = parseLrRangeOptions(input);
  const start = performance.now();
  const { tf, backend } = await loadTf({ backend: options.backend });
  const params = rangeTestParams(task, { ...(options.optimizer ? { optimizer: options.optimizer } : {}), lr: options.startLr });
  const ctx = { tf, backend, dataSeed: options.dataSeed, signal };
  const session = await openSession(task, params, { ...ctx, seed });
  const steps = options.steps ?? defaultSteps(session.stepsPerEpoch);
  let curve: Curve;
  try {
    curve = await sweep(
      {
        setLearningRate: (lr) => session.setLearningRate(lr),
        trainSteps: (n) => session.trainSteps(n),
        validationLoss: async () => (await session.evaluate()).loss,
      },
      { ...options, steps },
      signal,
    );
  } finally {
    session.dispose(); // before refine's trainings, which build models of their own
  }
  const analysis = analyseCurve(curve, options.rule, [options.startLr, options.endLr]);
  const sweepMs = performance.now() - start;
  // The search's fitness: the same params and data split, trained for the task's budget at a fixed LR.
  const probe = async (lr: number, probeSeed: number) => (await trainAndEvaluate(task, { ...params, lr }, { ...ctx, seed: probeSeed })).loss;
  const refined =
    options.refine > 0
      ? await refine(probe, analysis.suggestion, analysis.bounds, { finalists: options.refine, seeds: options.refineSeeds }, seed)
      : undefined;
  const cost: LrRangeCost = {
    sweepSteps: curve.stop.reason === 'end' ? steps : curve.stop.step + 1,
    sweepMs,
    trainingSteps: session.stepsPerEpoch * trainConfig(task.name, params).epochs,
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
    ...analysis,
    ...(refined ? { suggestion: refined.suggestion, refinement: refined.refinement } : {}),
  };
}

export { analyseCurve, type Analysis } from './analyse.js';
export type { Curve, CurvePoint, CurveStop, Signal } from './curve.js';
export { diagnose, isHealthy, type Diagnosis, type Issue } from './diagnose.js';
export { parseLrRangeOptions, type LrRangeOptions, type LrRangeOptionsInput } from './options.js';
export { renderSvg } from './plot.js';
export { RULES, RULE_NAMES, type RuleName } from './rules.js';
export { sweep, CurveRecorder, type RangeSession, type SweepOptions } from './sweep.js';
