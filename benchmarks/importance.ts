/**
 * Which importance estimator should the charts use? Runs searches on synthetic objectives whose important
 * parameter is known (a quadratic, a log-scale LR, a categorical, a step, a noisy kink; the important one at
 * different positions among 4-5 parameters), with random search and GA at two budgets, and counts how often each
 * estimator ranks the known parameter first, and the share it gives it.
 *   node dist/benchmarks/importance.js [--seeds 10] [--out benchmarks/results/importance.md]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { search } from '../src/search.js';
import { importances, type ImportanceMethod } from '../src/report/importance.js';
import type { Params } from '../src/space/spec.js';
import type { StudyEvent } from '../src/study/types.js';
import { gaussian, rngFor } from '../src/util/rng.js';
import { median, quantile } from '../src/bench/stats.js';

type SpaceInput = Record<string, { type: 'float' | 'int'; low: number; high: number; log?: boolean } | { type: 'categorical'; choices: string[] }>;
interface Case {
  readonly name: string;
  readonly space: SpaceInput;
  readonly important: string;
  readonly f: (p: Params, noise: () => number) => number;
}

const unit = (names: string[]): SpaceInput => Object.fromEntries(names.map((n) => [n, { type: 'float' as const, low: 0, high: 1 }]));
const small = (p: Params, names: string[]) => names.reduce((a, n) => a + 0.3 * (Number(p[n]) - 0.5) ** 2, 0);

export const CASES: readonly Case[] = [
  {
    name: 'quadratic (x0 of 4)',
    space: unit(['x0', 'x1', 'x2', 'x3']),
    important: 'x0',
    f: (p) => 10 * (Number(p.x0) - 0.3) ** 2 + small(p, ['x1', 'x2', 'x3']),
  },
  {
    name: 'log LR (lr of 4)',
    space: {
      units: { type: 'int', low: 8, high: 256, log: true },
      lr: { type: 'float', low: 1e-5, high: 1, log: true },
      x: { type: 'float', low: 0, high: 1 },
      y: { type: 'float', low: 0, high: 1 },
    },
    important: 'lr',
    f: (p) => (Math.log10(Number(p.lr)) + 2.5) ** 2 + 0.2 * Math.abs(Math.log2(Number(p.units) / 64)) + small(p, ['x', 'y']),
  },
  {
    name: 'categorical (opt of 4)',
    space: { ...unit(['x0', 'x1', 'x2']), opt: { type: 'categorical', choices: ['adam', 'sgd', 'rmsprop', 'adagrad'] } },
    important: 'opt',
    f: (p) => ({ adam: 0, sgd: 1.5, rmsprop: 0.7, adagrad: 2 })[String(p.opt) as 'adam'] + small(p, ['x0', 'x1', 'x2']),
  },
  {
    name: 'step (x2 of 5)',
    space: unit(['x0', 'x1', 'x2', 'x3', 'x4']),
    important: 'x2',
    f: (p) => (Number(p.x2) > 0.7 ? 0 : 1) + small(p, ['x0', 'x1', 'x3', 'x4']),
  },
  {
    name: 'noisy kink (x3 of 4)',
    space: unit(['x0', 'x1', 'x2', 'x3']),
    important: 'x3',
    f: (p, noise) => 4 * Math.abs(Number(p.x3) - 0.6) + 0.4 * noise() + small(p, ['x0', 'x1', 'x2']),
  },
];
export const METHODS: readonly ImportanceMethod[] = ['ped-anova', 'fanova', 'permutation'];
const SETTINGS = [
  { strategy: 'random', budget: 40 },
  { strategy: 'random', budget: 150 },
  { strategy: 'ga', budget: 40 },
  { strategy: 'ga', budget: 150 },
] as const;

export interface Row {
  readonly case: string;
  readonly strategy: string;
  readonly budget: number;
  readonly seed: number;
  readonly method: ImportanceMethod;
  readonly top1: boolean;
  readonly share: number;
  readonly ms: number;
}

export async function measureImportance(seeds: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const c of CASES) {
    for (const s of SETTINGS) {
      for (let seed = 1; seed <= seeds; seed++) {
        const rng = rngFor(seed, 'importance-noise', c.name);
        const done: Array<{ params: Params; value: number }> = [];
        const onEvent = (e: StudyEvent) => {
          if (e.type === 'finished' && e.record.outcome.state === 'complete') done.push({ params: e.record.params, value: e.record.outcome.value });
        };
        const result = await search({
          fitness: (p: Params) => c.f(p, () => gaussian(rng)),
          space: c.space as never,
          strategy: s.strategy,
          budget: s.budget,
          seed,
          onEvent,
        });
        const names = Object.keys(c.space);
        const at = names.indexOf(c.important);
        for (const method of METHODS) {
          const t0 = performance.now();
          const imp = importances(
            result.space as never,
            done.map((d) => d.params),
            done.map((d) => d.value),
            method,
            seed,
          )!;
          const ms = performance.now() - t0;
          const top = imp.indexOf(Math.max(...imp));
          rows.push({ case: c.name, strategy: s.strategy, budget: s.budget, seed, method, top1: top === at, share: imp[at]!, ms });
        }
      }
    }
  }
  return rows;
}

export function toMarkdown(rows: readonly Row[], seeds: number): string {
  const pct = (xs: readonly Row[]) => `${xs.filter((r) => r.top1).length}/${xs.length}`;
  const shares = (xs: readonly Row[]) => {
    const v = xs.map((r) => r.share);
    return `${median(v).toFixed(2)} (${quantile(v, 0.25).toFixed(2)}-${quantile(v, 0.75).toFixed(2)})`;
  };
  const head = ['', ...METHODS.map((m) => `${m}: top-1`), ...METHODS.map((m) => `${m}: share`)];
  const line = (label: string, xs: readonly Row[]) =>
    `| ${[label, ...METHODS.map((m) => pct(xs.filter((r) => r.method === m))), ...METHODS.map((m) => shares(xs.filter((r) => r.method === m)))].join(' | ')} |`;
  const byCase = CASES.map((c) =>
    line(
      c.name,
      rows.filter((r) => r.case === c.name),
    ),
  );
  const bySetting = SETTINGS.map((s) =>
    line(
      `${s.strategy}, ${s.budget} trials`,
      rows.filter((r) => r.strategy === s.strategy && r.budget === s.budget),
    ),
  );
  const time = METHODS.map((m) => `${m} ${median(rows.filter((r) => r.method === m).map((r) => r.ms)).toFixed(1)} ms`).join(', ');
  return [
    '# Hyperparameter importance: which estimator',
    '',
    `Command: \`node dist/benchmarks/importance.js --seeds ${seeds}\`. ${CASES.length} objectives x ${SETTINGS.length} search settings x ${seeds} seeds;`,
    'each estimator scores the same trials. top-1: runs where the known important parameter ranks first;',
    'share: the share of importance it gets, median (IQR).',
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    line('all', rows),
    ...byCase,
    ...bySetting,
    '',
    `Median time per run: ${time}.`,
    '',
    'Picked: fanova (DEFAULT_IMPORTANCE in src/report/importance.ts): as often right as permutation importance, and',
    'it gives the important parameter the clearer share. PED-ANOVA, comparing the top 10% with all trials, loses',
    'the signal on runs a strategy concentrated (GA), where top and all trials sit in the same region.',
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { seeds: { type: 'string', default: '10' }, out: { type: 'string', default: 'benchmarks/results/importance.md' } },
  });
  const seeds = Number(values.seeds);
  const rows = await measureImportance(seeds);
  const md = toMarkdown(rows, seeds);
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, md);
  writeFileSync(values.out.replace(/\.md$/, '.json'), `${JSON.stringify(rows)}\n`);
  process.stdout.write(md);
}
