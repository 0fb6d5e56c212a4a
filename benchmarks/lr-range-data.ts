/**
 * Data for judging the LR range test: per task and optimizer, a grid of fixed-LR training runs (what the best LR
 * really is for the task's training budget) and raw range-test sweeps that record the training AND validation loss
 * of every step without stopping, so that every variant of the test (signal, smoothing, stop, rule) can be replayed
 * on the same runs. Replaying is exact: what the test records does not change how the model trains; the stop only
 * cuts the curve.
 */
import { readFileSync } from 'node:fs';
import { loadTf, type BackendChoice } from '../src/tf/backend.js';
import { openSession, rangeTestParams, trainAndEvaluate } from '../src/tasks/train.js';
import type { Task } from '../src/tasks/types.js';
import type { OptimizerName } from '../src/tasks/config.js';
import { CurveRecorder, defaultSteps, scheduledLr, type Curve } from '../src/lr-range/sweep.js';
import { analyseCurve, type Signal } from '../src/lr-range/analyse.js';
import { lrRangeOptionsSchema } from '../src/lr-range/options.js';
import { mean } from '../src/bench/stats.js';

/** Where lr-range-collect's data for the LR range test benchmarks is committed. */
export const DATA_FILE = 'benchmarks/results/lr-range-data.json';

export const START_LR = 1e-7;
export const END_LR = 10;

/** Quarter decades from 1e-5 to 1, as in the anchors. */
export const ANCHOR_GRID = Array.from({ length: 21 }, (_, i) => 10 ** (-5 + i / 4));

export interface GridPoint {
  readonly lr: number;
  /** Validation loss per training seed (NaN when training diverged). */
  readonly losses: number[];
}

export interface RawSweep {
  readonly seed: number;
  readonly lrs: number[];
  readonly train: number[];
  readonly val: number[];
}

export interface CaseData {
  readonly task: string;
  readonly optimizer: OptimizerName;
  readonly epochs: number;
  readonly stepsPerEpoch: number;
  readonly grid: GridPoint[];
  /** Raw sweeps by number of steps. */
  readonly sweeps: Record<string, RawSweep[]>;
  /** Wall time of one sweep of each length with the validation loss read every step, and of one grid run. */
  readonly ms: { readonly sweep: Record<string, number>; readonly gridRun: number };
}

export const readCases = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as CaseData[];

export interface Tf {
  readonly tf: Awaited<ReturnType<typeof loadTf>>['tf'];
  readonly backend: string;
}

export const loadBackend = (backend: BackendChoice): Promise<Tf> => loadTf({ backend });

/** The params a case trains with: the task's range-test params with the optimizer swapped in (SGD: momentum 0.9). */
export function caseParams(task: Task, optimizer: OptimizerName) {
  return rangeTestParams(task, { optimizer, momentum: 0.9, schedule: 'constant' });
}

/** Validation loss of training at `lr` for the task's budget, per training seed (not finite where it diverged). */
export async function validationLoss(t: Tf, task: Task, optimizer: OptimizerName, lr: number, seeds: readonly number[]): Promise<number[]> {
  const out: number[] = [];
  for (const seed of seeds) {
    const r = await trainAndEvaluate(task, { ...caseParams(task, optimizer), lr }, { tf: t.tf, backend: t.backend, seed, dataSeed: 0 });
    out.push(r.loss);
  }
  return out;
}

export async function rawSweep(
  t: Tf,
  task: Task,
  optimizer: OptimizerName,
  steps: number,
  seed: number,
): Promise<RawSweep & { stepsPerEpoch: number }> {
  const session = await openSession(task, { ...caseParams(task, optimizer), lr: START_LR }, { tf: t.tf, backend: t.backend, seed, dataSeed: 0 });
  const lrs: number[] = [];
  const train: number[] = [];
  const val: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      const lr = scheduledLr('exponential', START_LR, END_LR, steps, i);
      session.setLearningRate(lr);
      const loss = (await session.trainSteps(1))[0]!;
      lrs.push(lr);
      train.push(loss);
      if (!Number.isFinite(loss)) {
        val.push(NaN);
        break;
      }
      val.push((await session.evaluate()).loss);
    }
    return { seed, lrs, train, val, stepsPerEpoch: session.stepsPerEpoch };
  } finally {
    session.dispose();
  }
}

export async function collectCase(
  t: Tf,
  task: Task,
  optimizer: OptimizerName,
  o: { grid: readonly number[]; gridSeeds: readonly number[]; rangeSeeds: readonly number[]; steps: readonly number[]; log?: (s: string) => void },
): Promise<CaseData> {
  const grid: GridPoint[] = [];
  let t0 = performance.now();
  for (const lr of o.grid) grid.push({ lr, losses: await validationLoss(t, task, optimizer, lr, o.gridSeeds) });
  const gridRun = (performance.now() - t0) / (o.grid.length * o.gridSeeds.length);
  const sweeps: Record<string, RawSweep[]> = {};
  const sweepMs: Record<string, number> = {};
  let stepsPerEpoch = 0;
  for (const steps of o.steps) {
    t0 = performance.now();
    sweeps[steps] = [];
    for (const seed of o.rangeSeeds) {
      const { stepsPerEpoch: spe, ...raw } = await rawSweep(t, task, optimizer, steps, seed);
      stepsPerEpoch = spe;
      sweeps[steps]!.push(raw);
    }
    sweepMs[steps] = (performance.now() - t0) / o.rangeSeeds.length;
  }
  const epochs = Number(caseParams(task, optimizer).epochs ?? 10);
  o.log?.(
    `${task.name}/${optimizer}: grid ${(gridRun / 1000).toFixed(2)} s/run, sweeps ${Object.entries(sweepMs)
      .map(([s, ms]) => `${s} steps ${(ms / 1000).toFixed(1)} s`)
      .join(', ')}`,
  );
  return { task: task.name, optimizer, epochs, stepsPerEpoch, grid, sweeps, ms: { sweep: sweepMs, gridRun } };
}

/** The curve a live test with these settings would have recorded on this sweep. */
export function replay(raw: RawSweep, signal: Signal, beta: number, divergence: number): Curve {
  const rec = new CurveRecorder({ signal, beta, divergence });
  for (let i = 0; i < raw.lrs.length; i++) {
    if (!rec.add(i, raw.lrs[i]!, raw.train[i]!, signal === 'train' ? raw.train[i]! : raw.val[i]!)) break;
  }
  return rec.curve();
}

/** The stage-1 result (the curve's suggestion and bounds) the default test gives on one recorded sweep. */
export function stageOne(c: CaseData, rangeSeed: number) {
  const o = lrRangeOptionsSchema.parse({});
  const raw = c.sweeps[defaultSteps(c.stepsPerEpoch)]!.find((s) => s.seed === rangeSeed)!;
  return analyseCurve(replay(raw, o.signal, o.beta, o.divergence), o.rule, [START_LR, END_LR]);
}

/** The range-test seeds recorded with the default number of steps. */
export const rangeSeeds = (c: CaseData) => c.sweeps[defaultSteps(c.stepsPerEpoch)]!.map((s) => s.seed);

/** Mean validation loss per grid LR, a diverged seed counting as Infinity. */
export function gridMeans(grid: readonly GridPoint[]): Array<{ lr: number; loss: number }> {
  return grid.map((g) => ({ lr: g.lr, loss: g.losses.some((l) => !Number.isFinite(l)) ? Infinity : mean(g.losses) }));
}

export function gridBest(grid: readonly GridPoint[]): { lr: number; loss: number } {
  return gridMeans(grid).reduce((a, b) => (b.loss < a.loss ? b : a));
}

/** Validation loss at any LR, interpolated linearly in log LR between grid points: for ranking many variants cheaply. */
export function interpolatedLoss(grid: readonly GridPoint[], lr: number): number {
  const g = gridMeans(grid);
  const x = Math.log(lr);
  if (x <= Math.log(g[0]!.lr)) return g[0]!.loss;
  for (let i = 0; i + 1 < g.length; i++) {
    const a = Math.log(g[i]!.lr);
    const b = Math.log(g[i + 1]!.lr);
    if (x <= b) {
      const t = (x - a) / (b - a);
      return g[i]!.loss * (1 - t) + g[i + 1]!.loss * t;
    }
  }
  return g[g.length - 1]!.loss;
}
