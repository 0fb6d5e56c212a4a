/**
 * The benchmark's sections: what each runs in quick and full mode, and how its results read. Each section's
 * measuring lives in its own module; this file only sets budgets and turns rows into tables, data and charts.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compiledSibling } from '../src/util/compiled.js';
import { checkpointCost } from './checkpoint-cost.js';
import { runPoolTask, type PoolTaskResult } from './pool-task.js';
import { poolOverhead, toMarkdown as poolOverheadMarkdown } from './pool-overhead.js';
import type { SectionBody } from './report.js';
import { num, table } from '../src/bench/report-markdown.js';
import { curveCharts, qualityGroups, seedingTable, strategyTable } from '../src/bench/report-quality.js';
import { cells, LR_SEEDINGS, runSearchQuality, type QualityRun } from '../src/bench/search-quality.js';
import { measure as measureFunctions, plans as functionPlans, toMarkdown as functionsMarkdown } from './test-functions.js';
import { runTaskBenchmark, toMarkdown as throughputMarkdown } from './tasks.js';
import { queueBenchmark, toMarkdown as queueMarkdown } from './queue.js';
import { vectorisedSection } from './vectorised.js';
import { convGroupingSection } from './conv-grouping.js';
import { lrSeedsSection } from './lr-range-seeds.js';
import { lrMarginSection } from './lr-range-margin.js';
import { groupedTrialsSection } from './grouped-trials.js';
import { groupedQueueSection } from './grouped-queue.js';
import { redisServerBinary } from '../support/redis-harness.js';
import { multiObjectiveSection } from './multi-objective.js';
import { faultBenchmark, faultOptions, toMarkdown as faultsMarkdown, type FaultRow } from './faults.js';
import { multiFidelitySection } from './multi-fidelity.js';
import { pbtPopulationSection } from './pbt-population.js';
import { reportOverheadSection } from './report-overhead.js';

import type { Section, SectionRun } from './section.js';

export type { Section, SectionContext, SectionRun } from './section.js';

const ran = (markdown: string, data: unknown, charts: SectionBody['charts'] = []): SectionRun => ({ kind: 'ran', markdown, data, charts });

/**
 * The headline: one section per dimension, so that each fits a run of its own on a small machine.
 * FUNCTIONS_ANCHORS=a.json,b.json reuses the anchors' rows of an earlier run that measured the same problems, seeds
 * and budgets (the section says which file and commit).
 */
const functions = (id: string, dim: number, title: string): Section => ({
  id,
  title,
  async run({ quick, log }) {
    const reuse = (process.env.FUNCTIONS_ANCHORS ?? '').split(',').filter((f) => f !== '');
    const m = await measureFunctions(quick ? functionPlans(dim).quick : functionPlans(dim).full, log, reuse);
    return ran(functionsMarkdown(m), m);
  },
  render: (data) => functionsMarkdown(data as Parameters<typeof functionsMarkdown>[0]),
});

const QUALITY = {
  quick: { tasks: ['wine'], strategies: ['random', 'ga', 'pso'], budget: 6, seeds: 2 },
  full: { tasks: ['digits', 'spirals', 'wine'], strategies: ['random', 'ga', 'pso', 'de', 'cmaes'], budget: 60, seeds: 5 },
} as const;

const quality: Section = {
  id: 'tasks',
  title: '1c. Search quality: bundled tfjs tasks, with and without LR range test bounds',
  async run({ quick, backend, log }) {
    const plan = quick ? QUALITY.quick : QUALITY.full;
    const searches = plan.tasks.length * plan.strategies.length * plan.seeds * LR_SEEDINGS.length;
    log(
      `bundled tasks: ${searches} searches of ${plan.budget} evaluations (${plan.tasks.join(', ')} x ${plan.strategies.join(', ')} x ${plan.seeds} seeds x LR bounds from the task / from the range test)`,
    );
    const runs = await runSearchQuality({
      ...plan,
      backend,
      lrSeeding: LR_SEEDINGS,
      onRun: (r, done, total) =>
        log(`  ${done}/${total} ${r.task} ${r.strategy} lr=${r.lr} seed ${r.seed}: best ${num(r.best)} in ${(r.wallMs / 1000).toFixed(1)} s`),
    });
    const grouped = cells(runs);
    const data = { ...plan, backend, groups: qualityGroups(grouped), runs };
    return ran(qualityMarkdown(data), data, await curveCharts(grouped));
  },
  render: (data) => qualityMarkdown(data as QualityData),
};

interface QualityData {
  readonly budget: number;
  readonly seeds: number;
  readonly backend: string;
  readonly runs: readonly QualityRun[];
}

function qualityMarkdown(d: QualityData): string {
  const grouped = cells(d.runs);
  const seeding = seedingTable(grouped);
  return [
    `Validation loss after each task's short training; ${d.budget} evaluations per search, seeds 0..${d.seeds - 1}, backend ${d.runs[0]?.backend ?? d.backend}, default strategy options.`,
    '',
    strategyTable(qualityGroups(grouped)),
    ...(seeding ? ['', seeding] : []),
  ].join('\n');
}

const POOL = {
  quick: { overhead: { trials: 500, cpuTrials: 100, repeats: 1 }, task: { task: 'digits', budget: 8, repeats: 2 } },
  full: { overhead: {}, task: { task: 'digits', budget: 24, repeats: 3 } },
} as const;

const pool: Section = {
  id: 'pool',
  title: '3. Worker pool: dispatch overhead and scaling',
  async run({ quick, backend, log }) {
    const plan = quick ? POOL.quick : POOL.full;
    log('pool: no-op and CPU-bound fitness, 1 and 2 workers');
    const overhead = await poolOverhead(plan.overhead);
    log(`pool: ${plan.task.task} with 1 and 2 workers, ${plan.task.budget} evaluations x ${plan.task.repeats}`);
    const onTask = await runPoolTask({ ...plan.task, workerCounts: [1, 2], backend });
    const data = { overhead, task: onTask };
    return ran(poolMarkdown(data), data);
  },
  render: (data) => poolMarkdown(data as Parameters<typeof poolMarkdown>[0]),
};

const poolMarkdown = (d: { overhead: Parameters<typeof poolOverheadMarkdown>[0]; task: PoolTaskResult }) =>
  [
    'Best of the repeats for fixed costs (the least noisy estimate on a shared machine).',
    '',
    poolOverheadMarkdown(d.overhead),
    '',
    poolTaskMarkdown(d.task),
  ].join('\n');

function poolTaskMarkdown(r: PoolTaskResult): string {
  const rows = r.rows.map((row) => [
    String(row.workers),
    `${num(row.evalsPerSec.median)} [${num(row.evalsPerSec.q1)}, ${num(row.evalsPerSec.q3)}]`,
    `${(row.utilisation.median * 100).toFixed(0)}%`,
  ]);
  return [
    `Training task ${r.task} (random search, ${r.budget} evaluations per search, backend ${r.backend ?? 'unknown'}, median [quartiles] over repeats):`,
    '',
    table(['workers', 'evaluations/s', 'utilisation'], rows),
    '',
    `Speed-up with ${r.rows[r.rows.length - 1]!.workers} workers: x${r.speedup.toFixed(2)} (${r.cores} cores: the ceiling).`,
  ].join('\n');
}

const throughput: Section = {
  id: 'throughput',
  title: '4. Training throughput: steps per second per task and backend, against model.fit',
  async run({ quick, log }) {
    // The cpu backend is the slow fallback: quick mode measures the backend every other section uses.
    const backends = quick ? (['wasm'] as const) : (['wasm', 'cpu'] as const);
    log(`training throughput: backends ${backends.join(', ')}`);
    const result = await runTaskBenchmark({ quick, backends, log });
    return ran(throughputMarkdown(result), result);
  },
  render: (data) => throughputMarkdown(data as Parameters<typeof throughputMarkdown>[0]),
};

const lrRange: Section = {
  id: 'lr-range',
  title: '2. LR range test fidelity: suggestion against the grid-best LR, per task and optimizer',
  // lr-range.ts prints its table rather than returning rows: it runs as its own process. The ceiling (how often any
  // finder can meet the goal) needs no training: it reads the committed 20-seed grid.
  async run({ quick, backend, log }) {
    const fidelity = await script('lr-range', [...(quick ? ['--quick'] : []), '--backend', backend], log);
    if (fidelity.kind !== 'ran' || !existsSync(STEADY_GRID)) return fidelity;
    const ceiling = await script('lr-range-ceiling', ['--truth', STEADY_GRID, ...(quick ? ['--draws', '200'] : [])], log);
    if (ceiling.kind !== 'ran') return fidelity;
    const markdown = `${fidelity.markdown}\n\nHow often any finder can meet the goal (${STEADY_GRID}, no training):\n\n${ceiling.markdown}`;
    return ran(markdown, { fidelity: fidelity.data, ceiling: ceiling.data });
  },
};

/** The grid over 20 training seeds that lr-range-grid-seeds wrote; the ceiling reads it. */
const STEADY_GRID = 'benchmarks/results/lr-range-grid20.json';

const queue: Section = {
  id: 'queue',
  title: '5. Redis queue against the local pool',
  async run({ quick, log }) {
    if (!redisServerBinary) return { kind: 'skipped', reason: 'no redis-server on PATH (scripts/ci-redis.sh installs it)' };
    log('queue: no-op and 10 ms fitness, Redis queue against the pool, 1 and 2 slots');
    const rows = await queueBenchmark({ quick, log });
    return ran(queueMarkdown(rows), rows);
  },
  render: (data) => queueMarkdown(data as Parameters<typeof queueMarkdown>[0]),
};

/**
 * Runs a benchmark module that prints its markdown table on stdout, in its own process; its progress (stderr)
 * goes to the log. A module missing from this build makes the section skip, saying which.
 */
async function script(file: string, args: readonly string[], log: (line: string) => void): Promise<SectionRun> {
  const url = compiledSibling(import.meta.url, `${file}.js`);
  if (!existsSync(url)) return { kind: 'skipped', reason: `benchmarks/${file}.ts is not in this build` };
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(url), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let why = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      for (const line of d
        .toString()
        .split('\n')
        .filter((l) => l.trim() !== '')) {
        // The error's own line says more than the stack and Node's version banner after it.
        if (/^\s*\w*Error\b/.test(line)) why = line.trim();
        log(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${file}.js exited with code ${code}${why ? `: ${why}` : ''}`))));
  });
  return ran(stdout.trim(), { stdout });
}

const faults: Section = {
  id: 'faults',
  title: '8. Fault injection: kills at random moments (issue #18)',
  async run({ quick, log, progress }) {
    const opts = faultOptions(process.env, quick, progress?.dir);
    log(
      `faults: ${opts.runs} random kill moments per scenario, ${opts.scenarios.map((s) => s.id).join(', ')}; each row appended to ${opts.progress}`,
    );
    const rows = await faultBenchmark({ ...opts, log });
    return ran(faultsMarkdown(rows), rows);
  },
  render: (data) => faultsMarkdown(data as FaultRow[]),
};

/** In the order of the issue: search quality, LR range test, pool, throughput, queue. */
export const SECTIONS: readonly Section[] = [
  functions('functions', 10, '1a. Search quality: shifted and rotated test functions, 10 dimensions, against Optuna, DEAP and pyswarms'),
  functions('functions-20d', 20, '1b. Search quality: shifted and rotated test functions, 20 dimensions, against Optuna, DEAP and pyswarms'),
  quality,
  lrRange,
  lrSeedsSection,
  lrMarginSection,
  pool,
  throughput,
  vectorisedSection,
  convGroupingSection,
  groupedTrialsSection,
  queue,
  groupedQueueSection,
  checkpointCost,
  multiFidelitySection,
  pbtPopulationSection,
  reportOverheadSection,
  multiObjectiveSection,
  faults,
];
