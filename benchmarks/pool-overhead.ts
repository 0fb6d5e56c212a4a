/**
 * Where a trial's time goes when the fitness does nothing, and how evaluations scale with workers when it is
 * CPU-bound. Run from dist/ (workers need compiled files): `node dist/benchmarks/pool-overhead.js [--quick]`.
 * Each figure is the best of a few repeats: the machine is shared, and the minimum is the least noisy estimate
 * of a fixed cost.
 */
import { performance } from 'node:perf_hooks';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Piscina } from 'piscina';
import { PoolEvaluator } from '../src/eval/pool.js';
import type { Evaluator, TrialOutcome } from '../src/eval/types.js';
import { runStudy } from '../src/study/study.js';
import { search } from '../src/search.js';
import { Space } from '../src/space/codec.js';
import type { SpaceSpec } from '../src/space/spec.js';
import { resolveStrategy } from '../strategies/index.js';
import { table } from '../src/bench/report-markdown.js';
import { median } from '../src/bench/stats.js';

const FIXTURES = new URL('../../test/fixtures/', import.meta.url);
const fixture = (name: string) => {
  const url = new URL(name, FIXTURES);
  if (!existsSync(url)) throw new Error(`fixture ${fileURLToPath(url)} not found: run from dist/ (node dist/benchmarks/pool-overhead.js)`);
  return url.href;
};

const SPACE: SpaceSpec = {
  x: { type: 'float', low: -1, high: 1, log: false },
  y: { type: 'float', low: -1, high: 1, log: false },
};

export interface PoolOverheadOptions {
  /** No-op trials per measurement. */
  readonly trials?: number;
  /** CPU-bound trials per scaling measurement. */
  readonly cpuTrials?: number;
  /** Repeats of each measurement; the best is kept. */
  readonly repeats?: number;
}

/** Microseconds per trial (or evaluations per second), by number of workers. */
export interface PerWorkers {
  readonly 1: number;
  readonly 2: number;
}

export interface PoolOverhead {
  /** A bare Piscina task round trip, `workers` tasks in flight: the floor for one trial per task. */
  readonly piscinaRoundTripUs: PerWorkers;
  /** PoolEvaluator.run with every trial handed over at once (chunking applies). */
  readonly evaluatorUs: PerWorkers;
  /** The study loop alone (ask, decode, seeds, dispatch, record) with an evaluator that answers at once. */
  readonly studyUs: number;
  /** search() on a no-op fitness module: the study's own clock (after the pool has started). */
  readonly searchUs: PerWorkers;
  /** search() wall time including starting and stopping the pool, per trial. */
  readonly searchWallUs: PerWorkers;
  /** Evaluations per second of a CPU-bound pure-JS fitness (about a millisecond each). */
  readonly cpuEvalsPerSec: PerWorkers;
  /** Median over repeats of evaluations/s with 2 workers over 1, each pair run back to back. */
  readonly scaling: number;
  /** The same ratio for bare Piscina running the same fitness: what the machine allows at that moment. */
  readonly piscinaScaling: number;
}

async function best(repeats: number, measure: () => Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < repeats; i++) values.push(await measure());
  return Math.min(...values);
}

const usPer = (ms: number, n: number) => (ms * 1000) / n;

async function piscinaRoundTrip(workers: number, trials: number): Promise<number> {
  // fast.mjs's default export works as a Piscina task handler too: it sums the numbers in what it is given.
  const pool = new Piscina({ filename: fixture('fast.mjs'), minThreads: workers, maxThreads: workers, idleTimeout: Infinity });
  try {
    await Promise.all(Array.from({ length: workers }, () => pool.run({})));
    const task = { x: 0.1, y: 0.2 };
    let next = 0;
    const lane = async () => {
      while (next++ < trials) await pool.run(task);
    };
    const t = performance.now();
    await Promise.all(Array.from({ length: workers }, lane));
    return usPer(performance.now() - t, trials);
  } finally {
    await pool.destroy();
  }
}

/** Evaluations per second of bare Piscina running a fitness module's default export, all trials queued at once. */
async function piscinaEvalsPerSec(workers: number, trials: number, fitness: string): Promise<number> {
  const pool = new Piscina({ filename: fitness, minThreads: workers, maxThreads: workers, idleTimeout: Infinity });
  try {
    await Promise.all(Array.from({ length: workers }, () => pool.run({ x: 0.1, y: 0.2 })));
    const t = performance.now();
    await Promise.all(Array.from({ length: trials }, () => pool.run({ x: 0.1, y: 0.2 })));
    return (trials * 1000) / (performance.now() - t);
  } finally {
    await pool.destroy();
  }
}

async function evaluator(workers: number, trials: number): Promise<number> {
  const ev = new PoolEvaluator({ source: { kind: 'module', url: fixture('fast.mjs') }, workers });
  try {
    await ev.warm();
    const t = performance.now();
    await Promise.all(Array.from({ length: trials }, (_, i) => ev.run({ number: i, params: { x: 0.1, y: 0.2 }, seed: i })));
    return usPer(performance.now() - t, trials);
  } finally {
    await ev.close();
  }
}

async function studyAlone(trials: number): Promise<number> {
  const { strategy, options } = resolveStrategy('random');
  const done: TrialOutcome = { state: 'complete', value: 0, metrics: {}, durationMs: 0, worker: 'none' };
  const ev: Evaluator = { concurrency: 2, description: 'answers at once', run: () => Promise.resolve(done), close: async () => undefined };
  const t = performance.now();
  await runStudy({ space: new Space(SPACE), strategy, strategyOptions: options, evaluator: ev, seed: 1, budget: trials });
  return usPer(performance.now() - t, trials);
}

async function searchRun(workers: number, trials: number, fitness: string): Promise<{ studyUs: number; wallUs: number; evalsPerSec: number }> {
  const t = performance.now();
  const r = await search({ fitness, space: SPACE, budget: trials, workers, seed: 1, strategy: 'random' });
  const wall = performance.now() - t;
  if (r.failed > 0) throw new Error(`benchmark fitness failed ${r.failed} times: ${JSON.stringify(r.failuresByKind)}`);
  return { studyUs: usPer(r.elapsedMs, trials), wallUs: usPer(wall, trials), evalsPerSec: (trials * 1000) / r.elapsedMs };
}

export async function poolOverhead(opts: PoolOverheadOptions = {}): Promise<PoolOverhead> {
  const trials = opts.trials ?? 2000;
  const cpuTrials = opts.cpuTrials ?? 600;
  const repeats = opts.repeats ?? 5;
  const byWorkers = async (f: (w: 1 | 2) => Promise<number>): Promise<PerWorkers> => ({
    1: await best(repeats, () => f(1)),
    2: await best(repeats, () => f(2)),
  });
  const fast = fixture('fast.mjs');
  const cpu = fixture('cpu.mjs');
  const piscinaRoundTripUs = await byWorkers((w) => piscinaRoundTrip(w, trials));
  const evaluatorUs = await byWorkers((w) => evaluator(w, trials));
  const studyUs = await best(repeats, () => studyAlone(trials));
  const searchUs = await byWorkers(async (w) => (await searchRun(w, trials, fast)).studyUs);
  const searchWallUs = await byWorkers(async (w) => (await searchRun(w, trials, fast)).wallUs);
  // Pairs back to back, so that the load of other processes weighs on both counts alike; bare Piscina alongside,
  // as a control: when other processes hold a core, neither can scale.
  const pairs: Array<[number, number]> = [];
  const controls: Array<[number, number]> = [];
  for (let i = 0; i < Math.max(3, repeats); i++) {
    pairs.push([(await searchRun(1, cpuTrials, cpu)).evalsPerSec, (await searchRun(2, cpuTrials, cpu)).evalsPerSec]);
    controls.push([await piscinaEvalsPerSec(1, cpuTrials, cpu), await piscinaEvalsPerSec(2, cpuTrials, cpu)]);
  }
  const medianRatio = (ps: Array<[number, number]>) => median(ps.map(([one, two]) => two / one));
  const cpuEvalsPerSec = { 1: Math.max(...pairs.map((p) => p[0])), 2: Math.max(...pairs.map((p) => p[1])) };
  return {
    piscinaRoundTripUs,
    evaluatorUs,
    studyUs,
    searchUs,
    searchWallUs,
    cpuEvalsPerSec,
    scaling: medianRatio(pairs),
    piscinaScaling: medianRatio(controls),
  };
}

export function toMarkdown(r: PoolOverhead): string {
  const us = (v: number) => v.toFixed(1);
  return table(
    ['measure', '1 worker', '2 workers'],
    [
      ['Piscina round trip, no-op task (us/task)', us(r.piscinaRoundTripUs[1]), us(r.piscinaRoundTripUs[2])],
      ['PoolEvaluator.run, no-op fitness (us/trial)', us(r.evaluatorUs[1]), us(r.evaluatorUs[2])],
      ['study loop alone, evaluator answering at once (us/trial)', '', us(r.studyUs)],
      ['search(), no-op fitness, study clock (us/trial)', us(r.searchUs[1]), us(r.searchUs[2])],
      ['search(), no-op fitness, wall incl. pool start (us/trial)', us(r.searchWallUs[1]), us(r.searchWallUs[2])],
      ['search(), CPU-bound fitness, best (evaluations/s)', r.cpuEvalsPerSec[1].toFixed(0), r.cpuEvalsPerSec[2].toFixed(0)],
      ['2 workers over 1, median of back-to-back pairs', '', `x${r.scaling.toFixed(2)}`],
      ['control: bare Piscina, same fitness, 2 workers over 1', '', `x${r.piscinaScaling.toFixed(2)}`],
    ],
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  const t0 = Date.now();
  const r = await poolOverhead(values.quick ? { trials: 500, cpuTrials: 100, repeats: 1 } : {});
  console.log(toMarkdown(r));
  console.log(`\n(${((Date.now() - t0) / 1000).toFixed(0)} s on a shared 2-core machine; best of the repeats, still noisy)`);
}
