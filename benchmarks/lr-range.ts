/**
 * The LR range test against the truth: per bundled task and optimizer (Adam; SGD with momentum 0.9), the grid-best
 * LR for the task's training budget (quarter decades 1e-5..1, 3 seeds) against the default suggestion (one per sweep
 * seed), the validation loss measured by training at the suggestion (same 3 seeds), and the bounds.
 *   node dist/benchmarks/lr-range.js [--quick] [--data FILE] [--backend wasm]
 * --data reuses (and extends) a file written by lr-range-collect; the full run collects about 20 minutes of data.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import type { OptimizerName } from '../src/tasks/config.js';
import type { BackendChoice } from '../src/tf/backend.js';
import { lrRangeOptionsSchema } from '../src/lr-range/options.js';
import { defaultSteps } from '../src/lr-range/index.js';
import { collect, FULL, QUICK } from './lr-range-collect.js';
import { gridBest, loadBackend, validationLoss, type CaseData } from './lr-range-data.js';
import { meetsGoal, scoreVariant, type Scored } from './lr-range-rules.js';

const fmt = (v: number) => (v >= 1e-3 && v < 1e3 ? Number(v.toPrecision(3)).toString() : v.toExponential(1));
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

interface Row {
  readonly c: CaseData;
  readonly scored: Scored[];
  /** Measured mean validation loss at each suggestion over the grid's. */
  readonly measured: number[];
  readonly anchors: Record<string, number[]>;
}

async function main() {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, data: { type: 'string' }, backend: { type: 'string', default: 'wasm' } },
  });
  const plan = values.quick ? QUICK : FULL;
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const t0 = performance.now();
  const cases = await collect(plan, values.backend as BackendChoice, values.data, log);
  const defaults = lrRangeOptionsSchema.parse({});
  const t = await loadBackend(values.backend as BackendChoice);
  const rows: Row[] = [];
  for (const c of cases) {
    const steps = defaultSteps(c.stepsPerEpoch);
    if (!c.sweeps[steps]) throw new Error(`no sweeps of ${steps} steps collected for ${c.task}/${c.optimizer}`);
    const variant = { signal: defaults.signal, steps, beta: defaults.beta, lagCorrected: false, rule: defaults.rule };
    const scored = scoreVariant([c], variant);
    const best = gridBest(c.grid);
    const measured: number[] = [];
    for (const s of scored) measured.push(mean(await validationLoss(t, BUNDLED_TASKS[c.task]!, c.optimizer as OptimizerName, s.suggestion, plan.gridSeeds)) / best.loss);
    const anchors: Record<string, number[]> = {};
    for (const rule of ['valley', 'steepest', 'minimum']) {
      anchors[rule] = scoreVariant([c], { signal: 'train', steps, beta: 0.98, lagCorrected: false, rule }).map((s) => s.ratio);
    }
    rows.push({ c, scored, measured, anchors });
  }
  const ratios = (xs: number[]) => xs.map((r) => `${fmt(r)}x`).join(' ');
  console.log(`Default: ${defaults.signal === 'val' ? 'validation' : 'training'} loss, rule ${defaults.rule}, steps max(${defaultSteps(0)}, one epoch), beta ${defaults.beta}; ${plan.rangeSeeds.length} sweep seeds, grid ${plan.grid.length} LRs x ${plan.gridSeeds.length} seeds\n`);
  console.log('| task / optimizer | grid-best LR (val loss) | suggestion / grid-best | val loss at suggestion / grid-best (measured) | meets goal | bounds | decades | hold grid-best | rules of the anchors on the same curves: valley; steepest; minimum/10 (x grid-best) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  let goal = 0;
  let n = 0;
  for (const { c, scored, measured, anchors } of rows) {
    const best = gridBest(c.grid);
    const ok = scored.map((s, i) => meetsGoal({ ...s, lossRatio: measured[i]! }));
    goal += ok.filter(Boolean).length;
    n += ok.length;
    const b = scored[0]!.bounds;
    console.log(
      `| ${c.task} / ${c.optimizer} | ${fmt(best.lr)} (${best.loss.toFixed(3)}) | ${ratios(scored.map((s) => s.ratio))} | ${measured.map((m) => m.toFixed(2)).join(' ')} | ${ok.filter(Boolean).length}/${ok.length} | ${fmt(b[0])} .. ${fmt(b[1])} | ${Math.log10(b[1] / b[0]).toFixed(1)} | ${scored.filter((s) => s.boundsHoldBest).length}/${scored.length} | ${Object.values(anchors).map(ratios).join('; ')} |`,
    );
  }
  console.log(`\n${goal}/${n} suggestions within 1.5x of the grid-best LR and 5% of its validation loss. ${((performance.now() - t0) / 1000).toFixed(0)} s on a shared 2-core machine (timings noisy).`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
