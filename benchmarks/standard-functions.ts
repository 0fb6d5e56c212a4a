import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { errors } from '../src/errors.js';
import { getStrategy, strategyNames } from '../strategies/index.js';
import { minimize } from './driver.js';
import { FUNCTIONS, onCube } from './functions.js';
import { table } from './report-markdown.js';
import { median } from './stats.js';

/**
 * Reference medians at the benchmark's full setting (10 dimensions, 5000 evaluations, median best of 10 seeds),
 * as given in the project brief: uniform random search, DEAP's real-coded GA and pyswarms' global-best PSO.
 * evotune's GA must beat the DEAP column and its PSO the pyswarms column on every function.
 */
export const ANCHORS: Readonly<Record<string, { random: number; deapGa: number; pyswarmsPso: number }>> = {
  sphere: { random: 14.8, deapGa: 0.002, pyswarmsPso: 0.00013 },
  rastrigin: { random: 78.6, deapGa: 2.43, pyswarmsPso: 10.4 },
  rosenbrock: { random: 2735, deapGa: 5.93, pyswarmsPso: 7.79 },
  ackley: { random: 17.4, deapGa: 0.485, pyswarmsPso: 0.157 },
};

export interface StandardFunctionsOptions {
  dim?: number;
  budget?: number;
  seeds?: number;
  strategies?: readonly string[];
  /** Raw options per strategy name; defaults otherwise. */
  options?: Readonly<Record<string, unknown>>;
}

export interface StandardFunctionsRow {
  readonly fn: string;
  readonly strategy: string;
  /** Median over seeds of the best value found. */
  readonly median: number;
  readonly bests: readonly number[];
}

export function runStandardFunctions(opts: StandardFunctionsOptions = {}): StandardFunctionsRow[] {
  const { dim = 10, budget = 5000, seeds = 10, strategies = strategyNames(), options = {} } = opts;
  const rows: StandardFunctionsRow[] = [];
  for (const fn of FUNCTIONS) {
    for (const name of strategies) {
      const strategy = getStrategy(name);
      const bests = Array.from({ length: seeds }, (_, seed) =>
        minimize({ strategy, options: options[name], dim, budget, seed, objective: onCube(fn) }).best,
      );
      rows.push({ fn: fn.name, strategy: name, median: median(bests), bests });
    }
  }
  return rows;
}

/** One line per function: each strategy's median, then the anchors. */
export function toMarkdown(rows: readonly StandardFunctionsRow[]): string {
  const strategies = [...new Set(rows.map((r) => r.strategy))];
  const fns = [...new Set(rows.map((r) => r.fn))];
  const head = ['function', ...strategies, 'anchor: random', 'anchor: DEAP GA', 'anchor: pyswarms PSO'];
  const lines = fns.map((fn) => {
    const a = ANCHORS[fn];
    const ours = strategies.map((s) => fmt(rows.find((r) => r.fn === fn && r.strategy === s)!.median));
    return [fn, ...ours, ...(a ? [a.random, a.deapGa, a.pyswarmsPso].map(fmt) : ['', '', ''])];
  });
  return table(head, lines);
}

type Anchor = 'deapGa' | 'pyswarmsPso';

/**
 * The bar set for the defaults: ga under the DEAP GA anchor and pso under the pyswarms PSO anchor on every
 * function, and the better of the two under both anchors on at least three. One line each, saying where it fails.
 */
export function verdicts(rows: readonly StandardFunctionsRow[]): string[] {
  const medianOf = (strategy: string, fn: string) => rows.find((r) => r.strategy === strategy && r.fn === fn)?.median;
  const fns = [...new Set(rows.map((r) => r.fn))].filter((fn) => ANCHORS[fn]);
  const line = (label: string, beats: (fn: string) => boolean | undefined) => {
    const judged = fns.filter((fn) => beats(fn) !== undefined);
    const lost = judged.filter((fn) => !beats(fn));
    return `${label}: better on ${judged.length - lost.length}/${judged.length}${lost.length ? ` (not on ${lost.join(', ')})` : ''}`;
  };
  const under = (strategy: string, anchor: Anchor) => (fn: string) => {
    const m = medianOf(strategy, fn);
    return m === undefined ? undefined : m < ANCHORS[fn]![anchor];
  };
  const bestOfBoth = (fn: string) => {
    const ms = ['ga', 'pso'].map((s) => medianOf(s, fn)).filter((m): m is number => m !== undefined);
    return ms.length === 0 ? undefined : Math.min(...ms) < Math.min(ANCHORS[fn]!.deapGa, ANCHORS[fn]!.pyswarmsPso);
  };
  return [
    line('ga vs DEAP GA', under('ga', 'deapGa')),
    line('pso vs pyswarms PSO', under('pso', 'pyswarmsPso')),
    line('better of ga and pso vs both anchors', bestOfBoth),
  ];
}

function count(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw errors.option(flag, 'a whole number >= 1', text);
  return n;
}

const fmt = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 0.01 && Math.abs(v) < 1e5 ? v.toPrecision(3) : v.toExponential(2));

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      budget: { type: 'string' },
      strategies: { type: 'string' },
    },
  });
  const seeds = count('--seeds', values.seeds ?? (values.quick ? '3' : '10'));
  const budget = count('--budget', values.budget ?? (values.quick ? '1000' : '5000'));
  const strategies = values.strategies?.split(',').map((s) => s.trim());
  const rows = runStandardFunctions({ seeds, budget, strategies });
  console.log(`10 dimensions, ${budget} evaluations, median best of ${seeds} seeds (anchors: 5000 evaluations, 10 seeds)\n`);
  console.log(toMarkdown(rows));
  if (budget === 5000) console.log(`\n${verdicts(rows).join('\n')}`);
}
