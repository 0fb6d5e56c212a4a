import { performance } from 'node:perf_hooks';
import type { StrategyName } from '../strategies/index.js';
import { search } from '../src/search.js';
import type { BackendOption } from '../src/options.js';
import type { LrRangeResult } from '../src/lr-range/index.js';
import type { TrialRecord } from '../src/study/types.js';
import { median, summarize } from './stats.js';
import type { CurvePoint } from './report-chart.js';

/** Whether a search starts from the task's own LR range or from bounds the LR range test found ('auto'). */
export type LrSeeding = 'none' | 'auto';
export const LR_SEEDINGS: readonly LrSeeding[] = ['none', 'auto'];

export interface SearchQualityOptions {
  readonly tasks: readonly string[];
  readonly strategies: readonly string[];
  /** Evaluations per search: equal for every strategy. */
  readonly budget: number;
  /** Root seeds 0 .. seeds-1, the same for every strategy. */
  readonly seeds: number;
  readonly lrSeeding: readonly LrSeeding[];
  readonly workers?: number;
  readonly backend?: BackendOption;
  /** Called after every search, e.g. to print progress. */
  readonly onRun?: (run: QualityRun, done: number, total: number) => void;
}

/** One search: one task, strategy, LR seeding and seed. */
export interface QualityRun {
  readonly task: string;
  readonly strategy: string;
  readonly lr: LrSeeding;
  readonly seed: number;
  /** Best validation loss found; Infinity when no trial completed. */
  readonly best: number;
  /** Best-so-far after 1, 2, ... evaluations (Infinity until the first trial completes). */
  readonly curve: readonly number[];
  readonly trials: number;
  readonly failed: number;
  /** The study's own clock: trials only. */
  readonly elapsedMs: number;
  /** The whole call but the LR range test: pool start-up and the study. */
  readonly wallMs: number;
  /** 'auto' only: what the LR range test of this task and seed took (run once, shared by every strategy). */
  readonly rangeTestMs?: number;
  readonly backend?: string;
}

/** All seeds of one (task, LR seeding, strategy). */
export interface QualityCell {
  readonly task: string;
  readonly lr: LrSeeding;
  readonly strategy: string;
  readonly bests: readonly number[];
  readonly curve: readonly CurvePoint[];
  readonly medianWallMs: number;
  readonly medianRangeTestMs?: number;
  readonly failed: number;
}

/**
 * Every strategy on every task at an equal evaluation budget over the same seeds, through the public search():
 * what a user gets. Runs go seed by seed, and within a seed through every task, seeding and strategy, so that a
 * change in machine load over the run falls on all strategies alike. The LR range test depends on the task and
 * seed only: it runs with the first strategy and the others reuse its result, as a resumed search does.
 */
export async function runSearchQuality(o: SearchQualityOptions): Promise<QualityRun[]> {
  const plan = Array.from({ length: o.seeds }, (_, seed) =>
    o.tasks.flatMap((task) => o.lrSeeding.flatMap((lr) => o.strategies.map((strategy) => ({ task, lr, strategy, seed })))),
  ).flat();
  const rangeTests = new Map<string, LrRangeResult>();
  const runs: QualityRun[] = [];
  for (const p of plan) {
    const key = JSON.stringify([p.task, p.seed]);
    const reused = rangeTests.get(key);
    const t0 = performance.now();
    const r = await search({
      task: p.task,
      strategy: p.strategy as StrategyName,
      budget: o.budget,
      seed: p.seed,
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      ...(o.backend !== undefined ? { backend: o.backend } : {}),
      ...(p.lr === 'auto' ? { lrBounds: 'auto' as const, ...(reused ? { lrRange: reused } : {}) } : {}),
    });
    const wallMs = performance.now() - t0;
    if (r.lrRange && !reused) rangeTests.set(key, r.lrRange);
    const run: QualityRun = {
      ...p,
      best: r.best?.value ?? Infinity,
      curve: bestSoFar(r.history, o.budget),
      trials: r.trials,
      failed: r.failed,
      elapsedMs: r.elapsedMs,
      wallMs: r.lrRange && !reused ? wallMs - r.lrRange.elapsedMs : wallMs,
      ...(r.lrRange ? { rangeTestMs: r.lrRange.elapsedMs } : {}),
      ...(r.backend !== undefined ? { backend: r.backend } : {}),
    };
    runs.push(run);
    o.onRun?.(run, runs.length, plan.length);
  }
  return runs;
}

/**
 * Best value after each of `budget` evaluations, in trial order. A search that stopped early (an exhausted grid)
 * keeps its last best for the evaluations it did not use.
 */
export function bestSoFar(history: readonly TrialRecord[], budget: number): number[] {
  const byNumber = [...history].sort((a, b) => a.number - b.number);
  const curve: number[] = [];
  let best = Infinity;
  for (let i = 0; i < budget; i++) {
    const o = byNumber[i]?.outcome;
    if (o?.state === 'complete' && o.value < best) best = o.value;
    curve.push(best);
  }
  return curve;
}

/** Groups runs by (task, seeding, strategy), in the order they first appear. */
export function cells(runs: readonly QualityRun[]): QualityCell[] {
  const groups = new Map<string, QualityRun[]>();
  for (const r of runs) {
    const key = JSON.stringify([r.task, r.lr, r.strategy]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => ({
    task: g[0]!.task,
    lr: g[0]!.lr,
    strategy: g[0]!.strategy,
    bests: g.map((r) => r.best),
    curve: medianCurve(g.map((r) => r.curve)),
    medianWallMs: median(g.map((r) => r.wallMs)),
    ...(g[0]!.rangeTestMs !== undefined ? { medianRangeTestMs: median(g.map((r) => r.rangeTestMs ?? NaN)) } : {}),
    failed: g.reduce((s, r) => s + r.failed, 0),
  }));
}

/** Median and quartiles over seeds at every evaluation count. */
export function medianCurve(curves: readonly (readonly number[])[]): CurvePoint[] {
  const length = Math.max(0, ...curves.map((c) => c.length));
  return Array.from({ length }, (_, i) => {
    const s = summarize(curves.map((c) => c[Math.min(i, c.length - 1)]!));
    return { evals: i + 1, median: s.median, q1: s.q1, q3: s.q3 };
  });
}
