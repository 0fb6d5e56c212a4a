/**
 * What the LR bounds buy a search: GA and PSO on a task's space with `lrBounds: 'auto'` against the same search with
 * the LR over a wide range (1e-6..1), at equal cost: the auto run gives up as many evaluations as the range test
 * took time (in units of the wide run's mean evaluation time).
 *   node dist/benchmarks/lr-range-search.js [--task digits] [--budget 30] [--seeds 0,1] [--workers 1]
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { search } from '../src/search.js';

const WIDE: [number, number] = [1e-6, 1];

async function main() {
  const { values } = parseArgs({
    options: {
      task: { type: 'string', default: 'digits' },
      budget: { type: 'string', default: '30' },
      seeds: { type: 'string', default: '0,1' },
      workers: { type: 'string', default: '1' },
      strategies: { type: 'string', default: 'ga,pso' },
    },
  });
  const budget = Number(values.budget);
  const seeds = values.seeds.split(',').map(Number);
  const common = { task: values.task, backend: 'wasm' as const, workers: Number(values.workers) };
  console.log(`task ${values.task}, budget ${budget} evaluations, seeds ${seeds.join(',')}, ${common.workers} worker(s), backend wasm\n`);
  console.log('| strategy | seed | wide 1e-6..1: best val loss (LR) | auto: test cost (evals) | auto: best val loss (LR) | auto bounds |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  const sums: Record<string, { wide: number[]; auto: number[] }> = {};
  for (const strategy of values.strategies.split(',')) {
    for (const seed of seeds) {
      const wide = await search({ ...common, strategy, seed, budget, lrBounds: WIDE });
      const perEval = wide.elapsedMs / Math.max(1, wide.trials) * common.workers;
      const t0 = performance.now();
      // The range test runs inside prepareSearch; timing the whole auto run minus its study gives the test's cost.
      const probe = await search({ ...common, strategy, seed, budget: 1, lrBounds: 'auto' });
      const testMs = performance.now() - t0 - probe.elapsedMs;
      const cost = Math.ceil(testMs / perEval);
      const auto = await search({ ...common, strategy, seed, budget: Math.max(1, budget - cost), lrBounds: 'auto' });
      const best = (r: typeof wide) => (r.best ? `${r.best.value.toFixed(4)} (${Number(r.best.params.lr).toExponential(1)})` : '-');
      const b = auto.lrRange!.bounds;
      console.log(`| ${strategy} | ${seed} | ${best(wide)} | ${cost} | ${best(auto)} | ${b[0].toExponential(1)} .. ${b[1].toExponential(1)} |`);
      const s = (sums[strategy] ??= { wide: [], auto: [] });
      s.wide.push(wide.best?.value ?? NaN);
      s.auto.push(auto.best?.value ?? NaN);
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log('');
  for (const [k, s] of Object.entries(sums)) console.log(`${k}: mean best val loss wide ${mean(s.wide).toFixed(4)}, auto ${mean(s.auto).toFixed(4)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
