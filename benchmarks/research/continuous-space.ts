/**
 * Is GA's lead on the bundled tasks about their discrete parameters? The same searches as `evotune bench` (60
 * evaluations, LR bounds from the range test) on a space of floats only (lr, momentum, weightDecay, dropout; the
 * task's defaults for the rest), GA against CMA-ES, with the rank test the bench uses.
 *   node dist/benchmarks/research/continuous-space.js [--tasks digits,spirals,wine] [--seeds 10] [--budget 60]
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { StrategyName } from '../../strategies/index.js';
import { search } from '../../src/search.js';
import type { ParamSpec } from '../../src/space/spec.js';
import { mannWhitneyU, summarize } from '../../src/bench/stats.js';

export const CONTINUOUS_SPACE: Record<string, ParamSpec> = {
  lr: { type: 'float', low: 1e-4, high: 0.1, log: true },
  momentum: { type: 'float', low: 0.5, high: 0.99, log: false },
  weightDecay: { type: 'float', low: 1e-6, high: 1e-2, log: true },
  dropout: { type: 'float', low: 0, high: 0.5, log: false },
};

async function main() {
  const { values } = parseArgs({
    options: {
      tasks: { type: 'string', default: 'digits,spirals,wine' },
      seeds: { type: 'string', default: '10' },
      budget: { type: 'string', default: '60' },
      strategies: { type: 'string', default: 'ga,cmaes' },
    },
  });
  const strategies = values.strategies.split(',');
  const fmt = (v: number) => Number(v.toPrecision(3)).toString();
  console.log(`| task | ${strategies.join(' | ')} | p (Mann-Whitney, ${strategies.join(' vs ')}) |`);
  console.log(`| --- | ${strategies.map(() => '---').join(' | ')} | --- |`);
  for (const task of values.tasks.split(',')) {
    const bests: number[][] = [];
    for (const strategy of strategies) {
      const b: number[] = [];
      for (let seed = 0; seed < Number(values.seeds); seed++) {
        const r = await search({
          task,
          space: CONTINUOUS_SPACE,
          strategy: strategy as StrategyName,
          budget: Number(values.budget),
          seed,
          workers: 2,
          lrBounds: 'auto',
        });
        b.push(r.best?.value ?? Infinity);
      }
      bests.push(b);
      console.error(`${task}/${strategy}: ${b.map(fmt).join(' ')}`);
    }
    const cells = bests.map((b) => {
      const s = summarize(b);
      return `${fmt(s.median)} [${fmt(s.q1)}, ${fmt(s.q3)}]`;
    });
    const p = bests.length === 2 ? mannWhitneyU(bests[0]!, bests[1]!).p.toFixed(3) : '-';
    console.log(`| ${task} | ${cells.join(' | ')} | ${p} |`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
