import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { errors } from '../src/errors.js';
import { getStrategy, strategyNames } from '../strategies/index.js';
import { minimize } from './driver.js';
import { FUNCTIONS, onCube, type TestFunction } from './functions.js';
import { randomRotation, rotated, shifted } from './transforms.js';
import { table } from './report-markdown.js';
import { median } from './stats.js';

/**
 * The population family (DE, CMA-ES, GA, PSO, random, grid) on the standard functions in 10 dimensions:
 *   node dist/benchmarks/population-family.js [--quick] [--seeds N] [--budgets 500,5000]
 * prints the medians beside the anchors, plus the rotated functions; with --sweep it ranks the strategies by
 * dimension and budget on off-centre functions instead (the basis of the default-strategy advice in POPULATION.md).
 */

/**
 * Reference medians (10 dimensions, median best of 10 seeds) from the project brief: Optuna's CMA-ES, and the
 * better of DEAP's GA and pyswarms' PSO. evotune's `cmaes` with default options must match or beat the first
 * column, and evotune's best strategy the second, on every row.
 */
export const ANCHORS: Readonly<Record<number, Readonly<Record<string, { optunaCma: number; bestOther: number }>>>> = {
  500: {
    sphere: { optunaCma: 0.0047, bestOther: 3.42 },
    rastrigin: { optunaCma: 51.8, bestOther: 32.1 },
    rosenbrock: { optunaCma: 10.2, bestOther: 627 },
    ackley: { optunaCma: 2.03, bestOther: 13.7 },
  },
  5000: {
    sphere: { optunaCma: 3.7e-32, bestOther: 0.00013 },
    rastrigin: { optunaCma: 12.4, bestOther: 2.43 },
    rosenbrock: { optunaCma: 3e-6, bestOther: 5.93 },
  },
};

/** A strategy with options, under a column label. */
export interface Config {
  readonly label: string;
  readonly strategy: string;
  readonly options?: unknown;
}

/** Non-default settings benchmarks/POPULATION.md discusses, run beside every registered strategy's defaults. */
export const EXTRA_CONFIGS: readonly Config[] = [
  { label: 'de separable', strategy: 'de', options: { CR: 0.1, dither: 0.5 } },
  { label: 'cmaes no restarts', strategy: 'cmaes', options: { restarts: 'none' } },
];

export interface PopulationFamilyOptions {
  dim?: number;
  budgets?: readonly number[];
  seeds?: number;
  configs?: readonly Config[];
  /** Seed of the fixed rotation applied to the rotated copies of the functions. */
  rotationSeed?: number;
}

export interface PopulationFamilyRow {
  readonly fn: string;
  readonly rotated: boolean;
  readonly budget: number;
  readonly config: string;
  /** Median over seeds of the best value found. */
  readonly median: number;
  readonly bests: readonly number[];
}

export const defaultConfigs = (): Config[] => [...strategyNames().map((s) => ({ label: s, strategy: s })), ...EXTRA_CONFIGS];

/** Every function plain and rotated, every budget, every config: the median best over `seeds` runs. */
export function runPopulationFamily(opts: PopulationFamilyOptions = {}): PopulationFamilyRow[] {
  const { dim = 10, budgets = [500, 5000], seeds = 10, configs = defaultConfigs(), rotationSeed = 1 } = opts;
  const R = randomRotation(dim, rotationSeed);
  const problems: Array<{ fn: TestFunction; base: string; rotated: boolean }> = [
    ...FUNCTIONS.map((fn) => ({ fn, base: fn.name, rotated: false })),
    ...FUNCTIONS.map((fn) => ({ fn: rotated(fn, R), base: fn.name, rotated: true })),
  ];
  const rows: PopulationFamilyRow[] = [];
  for (const { fn, base, rotated: isRotated } of problems) {
    for (const budget of budgets) {
      for (const c of configs) {
        const strategy = getStrategy(c.strategy);
        const bests = Array.from({ length: seeds }, (_, seed) =>
          minimize({ strategy, options: c.options, dim, budget, seed, objective: onCube(fn) }).best,
        );
        rows.push({ fn: base, rotated: isRotated, budget, config: c.label, median: median(bests), bests });
      }
    }
  }
  return rows;
}

/**
 * Two tables: the functions as given, with the anchors and whether `cmaes` matches Optuna's CMA-ES and the best
 * config beats the best GA/PSO anchor; then the rotated functions, each cell with its ratio to the plain one.
 */
export function toMarkdown(rows: readonly PopulationFamilyRow[]): string {
  const configs = [...new Set(rows.map((r) => r.config))];
  const keys = [...new Set(rows.map((r) => `${r.budget}|${r.fn}`))];
  const cell = (budget: number, fn: string, config: string, rot: boolean) =>
    rows.find((r) => r.budget === budget && r.fn === fn && r.config === config && r.rotated === rot);

  const plainHead = ['budget', 'function', ...configs, 'Optuna CMA-ES', 'best DEAP GA / pyswarms PSO', 'cmaes <= Optuna', 'best <= best anchor'];
  const plain = keys.map((key) => {
    const [b, fn] = key.split('|') as [string, string];
    const budget = Number(b);
    const medians = configs.map((c) => cell(budget, fn, c, false)?.median ?? NaN);
    const anchor = ANCHORS[budget]?.[fn];
    const ours = cell(budget, fn, 'cmaes', false)?.median;
    const best = Math.min(...medians.filter((m) => !Number.isNaN(m)));
    return [
      b,
      fn,
      ...medians.map(fmt),
      anchor ? fmt(anchor.optunaCma) : '',
      anchor ? fmt(anchor.bestOther) : '',
      anchor && ours !== undefined ? verdict(ours, anchor.optunaCma) : '',
      anchor ? `${verdict(best, anchor.bestOther)} (${configs[medians.indexOf(best)]})` : '',
    ];
  });

  const rotHead = ['budget', 'function (rotated)', ...configs];
  const rot = keys.map((key) => {
    const [b, fn] = key.split('|') as [string, string];
    const budget = Number(b);
    return [
      b,
      fn,
      ...configs.map((c) => {
        const r = cell(budget, fn, c, true);
        const p = cell(budget, fn, c, false);
        if (!r || !p) return '';
        return `${fmt(r.median)} (${ratio(r.median, p.median)})`;
      }),
    ];
  });
  return `${table(plainHead, plain)}\n\nRotated (in brackets: rotated median / plain median):\n\n${table(rotHead, rot)}`;
}

/**
 * Below 1e-20 a value says more about doubles than about the search: a gene u in [0, 1] is mapped to
 * low + u * (high - low), whose spacing near the optimum (8.9e-16 for +-5.12) bounds what a strategy on the
 * cube can reach, while Optuna searches the box itself. Two such values are reported as a tie.
 */
const SOLVED = 1e-20;
const verdict = (ours: number, anchor: number) =>
  ours < SOLVED && anchor < SOLVED ? 'tie (both < 1e-20)' : ours <= anchor ? 'yes' : 'NO';

const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 'x1' : 'x inf') : `x${fmtRatio(a / b)}`);
const fmtRatio = (v: number) => (v >= 0.01 && v < 1000 ? v.toPrecision(2) : v.toExponential(0));

const fmt = (v: number) =>
  Number.isNaN(v) ? '' : v === 0 ? '0' : Math.abs(v) >= 0.01 && Math.abs(v) < 1e5 ? v.toPrecision(3) : v.toExponential(2);

export interface SweepRow {
  readonly dim: number;
  readonly budget: number;
  readonly strategy: string;
  /** Mean over the problems of the strategy's rank by median best (1 = best). */
  readonly meanRank: number;
  /** Problems on which its median best was the lowest. */
  readonly wins: number;
}

/**
 * Which strategy to default to, by dimension and budget: every registered strategy with its defaults (grid aside:
 * its point count is a budget decision of its own) on the four functions with the optimum moved off the centre,
 * plain and rotated, ranked by median best over `seeds`.
 */
export function runSweep(opts: { dims?: readonly number[]; budgets?: readonly number[]; seeds?: number } = {}): SweepRow[] {
  const { dims = [2, 5, 10, 20, 40], budgets = [20, 50, 200, 1000], seeds = 5 } = opts;
  const names = strategyNames().filter((s) => s !== 'grid');
  const rows: SweepRow[] = [];
  for (const dim of dims) {
    const R = randomRotation(dim, 1);
    const problems = FUNCTIONS.flatMap((fn) => [shifted(fn, dim, 2), rotated(shifted(fn, dim, 2), R)]);
    for (const budget of budgets) {
      const rank = new Map(names.map((n) => [n, 0]));
      const wins = new Map(names.map((n) => [n, 0]));
      for (const fn of problems) {
        const medians = names.map((name) =>
          median(Array.from({ length: seeds }, (_, seed) => minimize({ strategy: getStrategy(name), dim, budget, seed, objective: onCube(fn) }).best)),
        );
        const order = names.map((_, i) => i).sort((a, b) => medians[a]! - medians[b]!);
        order.forEach((i, r) => rank.set(names[i]!, rank.get(names[i]!)! + r + 1));
        wins.set(names[order[0]!]!, wins.get(names[order[0]!]!)! + 1);
      }
      for (const n of names) rows.push({ dim, budget, strategy: n, meanRank: rank.get(n)! / problems.length, wins: wins.get(n)! });
    }
  }
  return rows;
}

export function sweepToMarkdown(rows: readonly SweepRow[]): string {
  const names = [...new Set(rows.map((r) => r.strategy))];
  const keys = [...new Set(rows.map((r) => `${r.dim}|${r.budget}`))];
  const head = ['dim', 'budget', ...names.map((n) => `${n} rank (wins)`)];
  const body = keys.map((key) => {
    const [dim, budget] = key.split('|').map(Number) as [number, number];
    return [
      String(dim),
      String(budget),
      ...names.map((n) => {
        const r = rows.find((x) => x.dim === dim && x.budget === budget && x.strategy === n)!;
        return `${r.meanRank.toFixed(2)} (${r.wins})`;
      }),
    ];
  });
  return table(head, body);
}

function count(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw errors.option(flag, 'a whole number >= 1', text);
  return n;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      budgets: { type: 'string' },
      sweep: { type: 'boolean', default: false },
    },
  });
  const list = (flag: string, text: string) => text.split(',').map((b) => count(flag, b.trim()));
  const t0 = Date.now();
  if (values.sweep) {
    const seeds = count('--seeds', values.seeds ?? (values.quick ? '3' : '5'));
    const budgets = values.budgets === undefined ? undefined : list('--budgets', values.budgets);
    console.log(`Shifted functions, plain and rotated; mean rank by median best of ${seeds} seeds (wins in brackets)\n`);
    console.log(sweepToMarkdown(runSweep({ seeds, budgets })));
  } else {
    const seeds = count('--seeds', values.seeds ?? (values.quick ? '3' : '10'));
    const budgets = list('--budgets', values.budgets ?? '500,5000');
    console.log(`10 dimensions, median best of ${seeds} seeds (anchors: 10 seeds)\n`);
    console.log(toMarkdown(runPopulationFamily({ seeds, budgets })));
  }
  console.log(`\n(${((Date.now() - t0) / 1000).toFixed(0)} s on a shared 2-core machine; timings are noisy)`);
}
