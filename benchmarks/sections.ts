/**
 * The benchmark's sections: what each runs in quick and full mode, and how its results read. Each section's
 * measuring lives in its own module; this file only sets budgets and turns rows into tables, data and charts.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BackendOption } from '../src/options.js';
import { compiledSibling } from '../src/util/compiled.js';
import { checkpointCost } from './checkpoint-cost.js';
import { compare } from './compare.js';
import { runPoolTask, type PoolTaskResult } from './pool-task.js';
import { poolOverhead, toMarkdown as poolOverheadMarkdown } from './pool-overhead.js';
import { runPopulationFamily, toMarkdown as populationMarkdown, type PopulationFamilyRow } from './population-family.js';
import type { SectionBody } from './report.js';
import { comparisonTable, num, table } from './report-markdown.js';
import { curveCharts, qualityGroups, seedingTable, strategyTable } from './report-quality.js';
import { cells, LR_SEEDINGS, runSearchQuality } from './search-quality.js';
import { ANCHORS, runStandardFunctions, type StandardFunctionsRow } from './standard-functions.js';
import { summarize } from './stats.js';
import { runTaskBenchmark, toMarkdown as throughputMarkdown } from './tasks.js';
import { queueBenchmark, toMarkdown as queueMarkdown } from './queue.js';
import { redisServerBinary } from '../test/redis-harness.js';
import { faultBenchmark, toMarkdown as faultsMarkdown } from './faults.js';
import { multiFidelitySection } from './multi-fidelity.js';
import { reportOverheadSection } from './report-overhead.js';

export interface SectionContext {
  readonly quick: boolean;
  /** The tfjs backend of every section that trains: the same everywhere, so that sections compare. */
  readonly backend: BackendOption;
  /** A progress line for the person waiting. */
  readonly log: (line: string) => void;
}

export type SectionRun = ({ readonly kind: 'ran' } & SectionBody) | { readonly kind: 'skipped'; readonly reason: string };

export interface Section {
  readonly id: string;
  readonly title: string;
  run(ctx: SectionContext): Promise<SectionRun>;
}

const ran = (markdown: string, data: unknown, charts: SectionBody['charts'] = []): SectionRun => ({ kind: 'ran', markdown, data, charts });

const unique = <T>(xs: readonly T[]) => [...new Set(xs)];

const functions: Section = {
  id: 'functions',
  title: '1a. Search quality: standard functions (10 dimensions)',
  async run({ quick, log }) {
    const budget = quick ? 1000 : 5000;
    // Functions are cheap: quick mode cuts the budget, not the seeds the rank tests need.
    const seeds = 10;
    log(`standard functions: ${budget} evaluations, ${seeds} seeds`);
    const rows = runStandardFunctions({ budget, seeds });
    const strategies = unique(rows.map((r) => r.strategy));
    const body = comparisonTable(
      ['function'],
      strategies,
      unique(rows.map((r) => r.fn)).map((fn) => {
        const a = ANCHORS[fn];
        return {
          keys: [fn],
          comparison: compare(rows.filter((r) => r.fn === fn).map((r) => ({ label: r.strategy, values: r.bests }))),
          extra: a ? [a.random, a.deapGa, a.pyswarmsPso].map(num) : ['', '', ''],
        };
      }),
      ['anchor: random', 'anchor: DEAP GA', 'anchor: pyswarms PSO'],
    );
    const note = `${budget} evaluations, ${seeds} seeds per strategy, default options. Anchors: median best of 10 seeds at 5000 evaluations, from the core issue${quick ? ' (not comparable with this quick run\'s budget)' : ''}.`;
    return ran(`${note}\n\n${body}`, { budget, seeds, rows: rows.map(withSummary) });
  },
};

const population: Section = {
  id: 'population',
  title: '1b. Search quality: population family (DE, CMA-ES), plain and rotated functions',
  async run({ quick, log }) {
    const budgets = quick ? [500] : [500, 5000];
    const seeds = 10;
    log(`population family: budgets ${budgets.join(', ')}, ${seeds} seeds`);
    const rows = runPopulationFamily({ budgets, seeds });
    const configs = unique(rows.map((r) => r.config));
    const groups = unique(rows.map((r) => JSON.stringify([r.budget, r.fn, r.rotated])));
    const noise = comparisonTable(
      ['budget', 'function'],
      configs,
      groups.map((g) => {
        const [budget, fn, rotated] = JSON.parse(g) as [number, string, boolean];
        const group = rows.filter((r) => r.budget === budget && r.fn === fn && r.rotated === rotated);
        return { keys: [String(budget), rotated ? `${fn} (rotated)` : fn], comparison: compare(group.map((r) => ({ label: r.config, values: r.bests }))) };
      }),
    );
    return ran(
      `${seeds} seeds per configuration.\n\n${populationMarkdown(rows)}\n\nThe same runs with their spread and rank tests:\n\n${noise}`,
      { budgets, seeds, rows: rows.map(withSummary) },
    );
  },
};

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
    log(`bundled tasks: ${searches} searches of ${plan.budget} evaluations (${plan.tasks.join(', ')} x ${plan.strategies.join(', ')} x ${plan.seeds} seeds x LR bounds from the task / from the range test)`);
    const runs = await runSearchQuality({
      ...plan,
      backend,
      lrSeeding: LR_SEEDINGS,
      onRun: (r, done, total) => log(`  ${done}/${total} ${r.task} ${r.strategy} lr=${r.lr} seed ${r.seed}: best ${num(r.best)} in ${(r.wallMs / 1000).toFixed(1)} s`),
    });
    const grouped = cells(runs);
    const groups = qualityGroups(grouped);
    const seeding = seedingTable(grouped);
    const markdown = [
      `Validation loss after each task's short training; ${plan.budget} evaluations per search, seeds 0..${plan.seeds - 1}, backend ${runs[0]?.backend ?? backend}, default strategy options.`,
      '',
      strategyTable(groups),
      ...(seeding ? ['', seeding] : []),
    ].join('\n');
    return ran(markdown, { ...plan, backend, groups, runs }, await curveCharts(grouped));
  },
};

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
    return ran(
      [
        'Best of the repeats for fixed costs (the least noisy estimate on a shared machine).',
        '',
        poolOverheadMarkdown(overhead),
        '',
        poolTaskMarkdown(onTask),
      ].join('\n'),
      { overhead, task: onTask },
    );
  },
};

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
      for (const line of d.toString().split('\n').filter((l) => l.trim() !== '')) {
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

/** Rows as they came, plus the quartiles the markdown shows. */
const withSummary = <R extends StandardFunctionsRow | PopulationFamilyRow>(r: R) => {
  const { q1, q3 } = summarize(r.bests);
  return { ...r, q1, q3 };
};

const faults: Section = {
  id: 'faults',
  title: '6. Fault injection: kills at random moments (issue #18)',
  async run({ quick, log }) {
    const runs = quick ? 3 : Number(process.env.FAULT_RUNS ?? 20);
    log(`faults: ${runs} random kill moments per scenario`);
    const rows = await faultBenchmark({ runs, log });
    return ran(faultsMarkdown(rows), rows);
  },
};

/** In the order of the issue: search quality, LR range test, pool, throughput, queue. */
export const SECTIONS: readonly Section[] = [functions, population, quality, lrRange, pool, throughput, queue, checkpointCost, multiFidelitySection, reportOverheadSection, faults];
