/**
 * The LR range test against the truth, end to end: per bundled task and optimizer (Adam; SGD with momentum 0.9) and
 * range-test seed, the finder runs as `lr-find` does (default options: curve, then refine), and its suggestion is
 * trained on the grid's seeds to measure its validation loss against the grid-best's. Two truths:
 *  - the issue's: the grid of the data file (quarter decades 1e-5..1, training seeds 1-3);
 *  - with --truth, a steadier one: the same grid over more seeds (lr-range-grid-seeds), the suggestion then also
 *    trained on all of them.
 *   node dist/benchmarks/lr-range.js [--quick] [--data FILE] [--truth FILE] [--backend wasm] [--refine N] [--refine-seeds N]
 * --data reuses (and extends) a file written by lr-range-collect; the full run collects about 20 minutes of data.
 * --quick: two tasks on a small grid it collects itself (a few minutes).
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import type { OptimizerName } from '../src/tasks/config.js';
import type { BackendChoice } from '../src/tf/backend.js';
import { lrRangeTest, type LrRangeResult } from '../src/lr-range/index.js';
import { lrRangeOptionsSchema } from '../src/lr-range/options.js';
import { collect, FULL, QUICK } from './lr-range-collect.js';
import { gridBest, loadBackend, validationLoss, type CaseData, type GridPoint, type Tf } from './lr-range-data.js';
import { readSeededGrids, seededGridOf } from './lr-range-grid-seeds.js';
import { GOAL_LR_FACTOR, lossWithin, lrWithin, meetsGoal } from './lr-range-goal.js';
import { mean } from '../src/bench/stats.js';

const fmt = (v: number) => (v >= 1e-3 && v < 1e3 ? Number(v.toPrecision(3)).toString() : v.toExponential(1));

/** A truth: a grid over training seeds, and those seeds (to train a suggestion on). */
interface Truth {
  readonly grid: readonly GridPoint[];
  readonly seeds: readonly number[];
}

/** One suggestion against one truth. */
interface Graded {
  readonly ratio: number;
  /** Measured mean validation loss at the suggestion over the grid-best's (Infinity if a seed diverged). */
  readonly loss: number;
  readonly holds: boolean;
  readonly meets: boolean;
}

async function gradeAgainst(t: Tf, c: CaseData, r: LrRangeResult, truth: Truth): Promise<Graded> {
  const best = gridBest(truth.grid);
  const losses = await validationLoss(t, BUNDLED_TASKS[c.task]!, c.optimizer, r.suggestion, truth.seeds);
  const loss = losses.every(Number.isFinite) ? mean(losses) / best.loss : Infinity;
  const ratio = r.suggestion / best.lr;
  return { ratio, loss, holds: r.bounds[0] <= best.lr && best.lr <= r.bounds[1], meets: meetsGoal(ratio, loss) };
}

interface Row {
  readonly c: CaseData;
  readonly results: LrRangeResult[];
  readonly issue: Graded[];
  readonly steady: Graded[] | undefined;
  readonly steadyBest: number | undefined;
}

function summary(name: string, graded: readonly Graded[]): string {
  const n = graded.length;
  const losses = graded.map((g) => g.loss).sort((a, b) => a - b);
  return (
    `${name}: meets goal ${graded.filter((g) => g.meets).length}/${n}, val loss within 5% ${graded.filter((g) => lossWithin(g.loss)).length}/${n}, ` +
    `within 1.5x ${graded.filter((g) => lrWithin(g.ratio, GOAL_LR_FACTOR)).length}/${n}, within 2x ${graded.filter((g) => lrWithin(g.ratio, 2)).length}/${n}, ` +
    `bounds hold the grid-best ${graded.filter((g) => g.holds).length}/${n}, median val loss ratio ${losses[Math.floor(n / 2)]!.toFixed(3)}, worst ${losses[n - 1]!.toFixed(2)}`
  );
}

async function main() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      data: { type: 'string' },
      truth: { type: 'string' },
      backend: { type: 'string', default: 'wasm' },
      refine: { type: 'string' },
      'refine-seeds': { type: 'string' },
    },
  });
  // Other refine settings than the default, to compare them end to end.
  const finder = {
    ...(values.refine !== undefined ? { refine: Number(values.refine) } : {}),
    ...(values['refine-seeds'] !== undefined ? { refineSeeds: Number(values['refine-seeds']) } : {}),
  };
  const plan = values.quick ? QUICK : FULL;
  const backend = values.backend as BackendChoice;
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const t0 = performance.now();
  const cases = await collect(plan, backend, values.data, log);
  const steadyGrids = values.truth ? readSeededGrids(values.truth) : undefined;
  const t = await loadBackend(backend);
  const rows: Row[] = [];
  for (const c of cases) {
    const results: LrRangeResult[] = [];
    const issue: Graded[] = [];
    const steady: Graded[] = [];
    const sg = steadyGrids && seededGridOf(steadyGrids, c);
    for (const seed of plan.rangeSeeds) {
      const r = await lrRangeTest(BUNDLED_TASKS[c.task]!, { ...finder, optimizer: c.optimizer as OptimizerName, backend }, seed);
      results.push(r);
      issue.push(await gradeAgainst(t, c, r, { grid: c.grid, seeds: plan.gridSeeds }));
      if (sg) steady.push(await gradeAgainst(t, c, r, sg));
      log(
        `${c.task}/${c.optimizer} seed ${seed}: suggestion ${fmt(r.suggestion)} (curve ${fmt(r.refinement?.from ?? r.suggestion)}), ${r.cost.evaluations} trainings, ${(r.elapsedMs / 1000).toFixed(1)} s`,
      );
    }
    rows.push({ c, results, issue, steady: sg ? steady : undefined, steadyBest: sg ? gridBest(sg.grid).lr : undefined });
  }

  const o = lrRangeOptionsSchema.parse(finder);
  const ratios = (gs: readonly Graded[]) => gs.map((g) => `${fmt(g.ratio)}x`).join(' ');
  const losses = (gs: readonly Graded[]) => gs.map((g) => g.loss.toFixed(2)).join(' ');
  const count = (gs: readonly Graded[], f: (g: Graded) => boolean) => `${gs.filter(f).length}/${gs.length}`;
  console.log(
    `Finder: curve of the training loss (300 steps or one epoch, rule ${o.rule}), then ${o.refine > 0 ? `refine: one training at each quarter-decade LR in the bounds, the best ${o.refine} raced to ${o.refineSeeds} seeds` : 'no refine'}; ` +
      `${plan.rangeSeeds.length} range-test seeds; issue truth: grid ${plan.grid.length} LRs x ${plan.gridSeeds.length} seeds` +
      `${steadyGrids ? `; steady truth: the same grid x ${steadyGrids[0]!.seeds.length} seeds` : ''}. Suggestions trained on each truth's seeds.\n`,
  );
  const steadyCols = steadyGrids
    ? " steady grid-best LR | suggestion / steady grid-best | val loss / steady grid-best's | meets goal (steady) | bounds hold steady grid-best |"
    : '';
  console.log(
    `| task / optimizer | grid-best LR (val loss) | curve's suggestion / grid-best | suggestion / grid-best | val loss at suggestion / grid-best's | meets goal |${steadyCols} bounds | decades | hold grid-best | refine: trainings, s |`,
  );
  console.log(`| --- | --- | --- | --- | --- | --- |${steadyGrids ? ' --- | --- | --- | --- | --- |' : ''} --- | --- | --- | --- |`);
  for (const { c, results, issue, steady, steadyBest } of rows) {
    const best = gridBest(c.grid);
    const b = results[0]!.bounds;
    const widths = results.map((r) => Math.log10(r.bounds[1] / r.bounds[0]));
    const steadyPart = steady
      ? ` ${fmt(steadyBest!)} | ${ratios(steady)} | ${losses(steady)} | ${count(steady, (g) => g.meets)} | ${count(steady, (g) => g.holds)} |`
      : '';
    console.log(
      `| ${c.task} / ${c.optimizer} | ${fmt(best.lr)} (${best.loss.toFixed(3)}) | ${results.map((r) => `${fmt((r.refinement?.from ?? r.suggestion) / best.lr)}x`).join(' ')} | ${ratios(issue)} | ${losses(issue)} | ${count(issue, (g) => g.meets)} |${steadyPart} ` +
        `${fmt(b[0])} .. ${fmt(b[1])} | ${Math.max(...widths).toFixed(1)} | ${count(issue, (g) => g.holds)} | ${mean(results.map((r) => r.cost.evaluations)).toFixed(0)}, ${mean(results.map((r) => r.cost.refineMs / 1000)).toFixed(1)} |`,
    );
  }
  const all = (f: (r: Row) => readonly Graded[] | undefined) => rows.flatMap((r) => f(r) ?? []);
  const results = rows.flatMap((r) => r.results);
  console.log('');
  console.log(
    summary(
      `Issue truth (${plan.gridSeeds.length} seeds)`,
      all((r) => r.issue),
    ),
  );
  if (steadyGrids)
    console.log(
      summary(
        `Steady truth (${steadyGrids[0]!.seeds.length} seeds)`,
        all((r) => r.steady),
      ),
    );
  console.log(
    `Bounds: at most ${Math.max(...results.map((r) => Math.log10(r.bounds[1] / r.bounds[0]))).toFixed(2)} decades wide. ` +
      `Cost per test: sweep ${mean(results.map((r) => r.cost.sweepMs / 1000)).toFixed(1)} s, refine ${mean(results.map((r) => r.cost.evaluations)).toFixed(1)} trainings in ` +
      `${mean(results.map((r) => r.cost.refineMs / 1000)).toFixed(1)} s (mean; ${fmt(mean(results.map((r) => r.cost.sweepSteps / r.cost.trainingSteps)))} of a training for the sweep). ` +
      `${((performance.now() - t0) / 1000).toFixed(0)} s in all on a shared 2-core machine (timings noisy).`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
