/**
 * The benchmark's sections: what each runs in quick and full mode, and how its results read. Each section's
 * measuring lives in its own module; this file only sets budgets and turns rows into tables, data and charts.
 */
import type { BackendOption } from '../src/options.js';
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
    // Five seeds is the fewest for which a rank test can call a difference at 5%; functions are cheap.
    const seeds = quick ? 5 : 10;
    log(`standard functions: ${budget} evaluations, ${seeds} seeds`);
    const rows = runStandardFunctions({ budget, seeds });
    const strategies = unique(rows.map((r) => r.strategy));
    const table = comparisonTable(
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
    const note = `${budget} evaluations, ${seeds} seeds per strategy, default options. Anchors: median best of 10 seeds at 5000 evaluations, from the core issue${quick ? ' (so not comparable with this quick run)' : ''}.`;
    return ran(`${note}\n\n${table}`, { budget, seeds, rows: rows.map(withSummary) });
  },
};

const population: Section = {
  id: 'population',
  title: '1b. Search quality: population family (DE, CMA-ES), plain and rotated functions',
  async run({ quick, log }) {
    const budgets = quick ? [500] : [500, 5000];
    const seeds = quick ? 5 : 10;
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
      `${seeds} seeds per configuration${quick ? ' (the anchors are for 10 seeds)' : ''}.\n\n${populationMarkdown(rows)}\n\nThe same runs with their spread and rank tests:\n\n${noise}`,
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
      ...(seeding ? ['', 'What bounds from the LR range test change:', '', seeding] : []),
    ].join('\n');
    return ran(markdown, { ...plan, backend, groups, runs }, await curveCharts(grouped));
  },
};

const POOL = {
  quick: { overhead: { trials: 500, cpuTrials: 100, repeats: 1 }, task: { task: 'digits', budget: 4, repeats: 1 } },
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

/** Rows as they came, plus the quartiles the markdown shows. */
const withSummary = <R extends StandardFunctionsRow | PopulationFamilyRow>(r: R) => {
  const { q1, q3 } = summarize(r.bests);
  return { ...r, q1, q3 };
};

/** In the order of the issue: search quality, LR range test, pool, throughput, queue. */
export const SECTIONS: readonly Section[] = [functions, population, quality, pool];
