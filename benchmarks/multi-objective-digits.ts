/**
 * A Pareto front on a bundled task: validation loss against training time on digits, searched by SMS-EMOA, with
 * each front member's accuracy, parameter count and params. Training time is measured, so the front differs a
 * little from run to run and machine to machine; the losses and params of a trial do not.
 *   node dist/benchmarks/multi-objective-digits.js [--budget 80] [--seed 0] [--workers 2] > benchmarks/results/multi-objective-digits.md
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { search } from '../src/search.js';
import { num, table } from '../src/bench/report-markdown.js';

async function main() {
  const { values } = parseArgs({
    options: { budget: { type: 'string', default: '80' }, seed: { type: 'string', default: '0' }, workers: { type: 'string', default: '2' } },
  });
  const budget = Number(values.budget);
  const r = await search({
    task: 'digits',
    objectives: ['loss', 'trainMs'],
    strategy: 'smsemoa',
    budget,
    seed: Number(values.seed),
    workers: Number(values.workers),
    backend: 'wasm',
  });
  const front = [...(r.front ?? [])].sort((a, b) => a.values.trainMs! - b.values.trainMs!);
  const paramNames = Object.keys(front[0]?.params ?? {});
  const rows = front.map((m) => [
    String(m.trial),
    num(m.values.loss!),
    String(m.values.trainMs),
    typeof m.metrics.accuracy === 'number' ? num(m.metrics.accuracy) : '',
    String(m.metrics.params ?? ''),
    ...paramNames.map((k) => (typeof m.params[k] === 'number' ? num(m.params[k] as number) : String(m.params[k]))),
  ]);
  const completed = r.trials - r.failed;
  console.log(
    [
      `digits, SMS-EMOA, ${budget} trials (${completed} completed), seed ${values.seed}, backend ${r.backend ?? 'wasm'}, ${r.workers} workers: the ${front.length} trials no other beats on both validation loss and training time, fastest first.`,
      '',
      table(['trial', 'validation loss', 'train ms', 'accuracy', 'model params', ...paramNames], rows),
    ].join('\n'),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
