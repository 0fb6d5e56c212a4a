/**
 * What the LR range test buys a search: GA and PSO on a task's space with `lrBounds: 'auto'` against the same search
 * with the LR over a wide range (1e-6..1), at equal cost: the auto runs give up as many evaluations as the test
 * cost, counted in trainings of the task's budget (refine's trainings, plus the sweep's steps as a share of one
 * training, rounded up). Two finders: the curve alone (refine 0) and the default (curve, then refine).
 *   node dist/benchmarks/lr-range-search.js [--task digits] [--budget 30] [--seeds 0,1,2,3,4] [--workers 1]
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { lrRangeTest, type LrRangeResult } from '../src/lr-range/index.js';
import { lrRangeOptionsSchema } from '../src/lr-range/options.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import type { StrategyName } from '../strategies/index.js';
import { search, type SearchResult } from '../src/search.js';
import { mean } from './stats.js';

const WIDE: [number, number] = [1e-6, 1];

/** The test's cost in trainings of the task's budget, what one search evaluation runs. */
const costInEvaluations = (r: LrRangeResult) => Math.ceil(r.cost.evaluations + r.cost.sweepSteps / r.cost.trainingSteps);

async function main() {
  const { values } = parseArgs({
    options: {
      task: { type: 'string', default: 'digits' },
      budget: { type: 'string', default: '30' },
      seeds: { type: 'string', default: '0,1,2,3,4' },
      workers: { type: 'string', default: '1' },
      strategies: { type: 'string', default: 'ga,pso' },
    },
  });
  const budget = Number(values.budget);
  const seeds = values.seeds.split(',').map(Number);
  const common = { task: values.task, backend: 'wasm' as const, workers: Number(values.workers) };
  const finders = [
    { name: 'curve only', options: { refine: 0 } },
    { name: `curve + refine ${lrRangeOptionsSchema.parse({}).refine}`, options: {} },
  ];
  console.log(`task ${values.task}, budget ${budget} evaluations, seeds ${seeds.join(',')}, ${common.workers} worker(s), backend wasm\n`);
  console.log(`| strategy | seed | wide 1e-6..1: best val loss (LR) | ${finders.map((f) => `auto, ${f.name}: cost (evals) | best val loss (LR) | bounds`).join(' | ')} |`);
  console.log(`| --- | --- | --- |${finders.map(() => ' --- | --- | --- |').join('')}`);
  const best = (r: SearchResult) => (r.best ? `${r.best.value.toFixed(4)} (${Number(r.best.params.lr).toExponential(1)})` : '-');
  const sums: Record<string, number[]> = {};
  const add = (key: string, r: SearchResult) => (sums[key] ??= []).push(r.best?.value ?? NaN);
  // The test depends on the seed and the finder's options, not on the strategy: each runs once.
  const tests = new Map<string, LrRangeResult>();
  for (const strategy of values.strategies.split(',') as StrategyName[]) {
    for (const seed of seeds) {
      const wide = await search({ ...common, strategy, seed, budget, lrBounds: WIDE });
      add(`${strategy} wide`, wide);
      const cells: string[] = [];
      for (const f of finders) {
        // The search would run this same test (its seed, the task's params); run here to choose its options.
        const key = `${f.name} ${seed}`;
        const test = tests.get(key) ?? (await lrRangeTest(BUNDLED_TASKS[values.task]!, { ...f.options, backend: 'wasm' }, seed));
        tests.set(key, test);
        const cost = costInEvaluations(test);
        const auto = await search({ ...common, strategy, seed, budget: Math.max(1, budget - cost), lrBounds: 'auto', lrRange: test });
        add(`${strategy} ${f.name}`, auto);
        cells.push(`${cost} | ${best(auto)} | ${test.bounds[0].toExponential(1)} .. ${test.bounds[1].toExponential(1)}`);
      }
      console.log(`| ${strategy} | ${seed} | ${best(wide)} | ${cells.join(' | ')} |`);
    }
  }
  console.log('\nMean best validation loss over the seeds:');
  for (const [k, xs] of Object.entries(sums)) console.log(`- ${k}: ${mean(xs).toFixed(4)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
