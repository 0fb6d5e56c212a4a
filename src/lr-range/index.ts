/**
 * The LR range test (Smith 2015): train a fresh model for a few hundred steps while the LR grows from a tiny value
 * to a huge one, record the loss, and read from the curve where the LR works. A pure function of (task, options,
 * seed): it builds its own model and touches no global state but the tfjs backend it loads.
 */
import { performance } from 'node:perf_hooks';
import { loadTf } from '../tf/backend.js';
import { openSession, rangeTestParams } from '../tasks/train.js';
import type { Task } from '../tasks/types.js';
import type { Params } from '../space/spec.js';
import { analyseCurve, type Analysis } from './analyse.js';
import type { Curve } from './curve.js';
import { parseLrRangeOptions, type LrRangeOptions, type LrRangeOptionsInput } from './options.js';
import { sweep } from './sweep.js';

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
  const session = await openSession(task, params, { tf, backend, seed, dataSeed: options.dataSeed, signal });
  try {
    const steps = options.steps ?? defaultSteps(session.stepsPerEpoch);
    const curve = await sweep(
      { setLearningRate: (lr) => session.setLearningRate(lr), trainSteps: (n) => session.trainSteps(n), validationLoss: async () => (await session.evaluate()).loss },
      { ...options, steps },
      signal,
    );
    const analysis = analyseCurve(curve, options.rule, [options.startLr, options.endLr]);
    const { lr: _lr, ...trained } = params;
    return { task: task.name, params: trained, curve, options, steps, seed, backend, elapsedMs: performance.now() - start, ...analysis };
  } finally {
    session.dispose();
  }
}

export { analyseCurve, type Analysis } from './analyse.js';
export type { Curve, CurvePoint, CurveStop, Signal } from './curve.js';
export { diagnose, isHealthy, type Diagnosis, type Issue } from './diagnose.js';
export { parseLrRangeOptions, type LrRangeOptions, type LrRangeOptionsInput } from './options.js';
export { renderSvg } from './plot.js';
export { RULES, RULE_NAMES, type RuleName } from './rules.js';
export { sweep, CurveRecorder, type RangeSession, type SweepOptions } from './sweep.js';
