/**
 * How often can ANY finder meet the issue's goal? The goal grades a suggestion against the best LR of a grid of
 * trainings over a few seeds; that grid-best moves with the seeds. This asks the question without training: from
 * the 20-seed grid (lr-range-grid-seeds), split the seeds into a truth (3, as in the issue) and a disjoint set
 * that a finder may use, and let the finder be a full grid search over the same LRs on its seeds: the most a
 * finder could know short of the truth's own seeds. Its grid-best is graded against the truth's by the goal.
 * Over many random splits, the share that meets the goal is the ceiling for a finder with that much information.
 *   node dist/benchmarks/lr-range-ceiling.js [--truth benchmarks/results/lr-range-grid20.json] [--draws 2000]
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { randInt, rngFor, type Rng } from '../src/util/rng.js';
import { gridBest, gridMeans, type GridPoint } from './lr-range-data.js';
import { GRID20_FILE, readSeededGrids, type SeededGrid } from './lr-range-grid-seeds.js';
import { GOAL_LR_FACTOR, lossWithin, lrWithin, meetsGoal } from './lr-range-goal.js';
import { mean } from '../src/bench/stats.js';

/** Shares of splits (0..1) where the finder's pick met each part of the goal. */
export interface Ceiling {
  readonly goal: number;
  readonly lr: number;
  readonly loss: number;
}

/** The grid restricted to some of its seeds (indices into each point's losses). */
export const onSeeds = (grid: readonly GridPoint[], seeds: readonly number[]): GridPoint[] =>
  grid.map((g) => ({ lr: g.lr, losses: seeds.map((s) => g.losses[s]!) }));

/** The finder's pick graded against the truth: LR ratio and the truth's mean loss at the pick over its best. */
export function gradePick(truth: readonly GridPoint[], pickLr: number): { ratio: number; lossRatio: number } {
  const best = gridBest(truth);
  const atPick = gridMeans(truth).find((g) => g.lr === pickLr)!.loss;
  return { ratio: pickLr / best.lr, lossRatio: atPick / best.loss };
}

/** One split of the grid's own seeds: the truth's seeds and the finder's (a grid search on them). */
export function gradeSplit(grid: readonly GridPoint[], truthSeeds: readonly number[], finderSeeds: readonly number[]) {
  return gradePick(onSeeds(grid, truthSeeds), gridBest(onSeeds(grid, finderSeeds)).lr);
}

/** Who picks the LR: a grid search on `seeds` fresh seeds, or an oracle that knows the mean of the whole pool. */
export type Finder = { readonly seeds: number } | 'oracle';

/** `n` seed indices drawn with replacement from a pool of `pool`: a fresh sample from the pool's distribution. */
const draw = (pool: number, n: number, rng: Rng) => Array.from({ length: n }, () => randInt(rng, pool));

/**
 * The ceiling over `draws` bootstrap samples: the grid's seeds stand for the population of seeds; each draw takes a
 * truth of `truthSize` seeds with replacement, and the finder's seeds independently of it. (Splitting the 20 seeds
 * into disjoint halves instead would make the halves' argmins anti-correlated: with a near tie in the pool's mean,
 * one half's winner is the other half's loser.)
 */
export function ceiling(grid: readonly GridPoint[], truthSize: number, finder: Finder, draws: number, rng: Rng): Ceiling {
  const pool = grid[0]!.losses.length;
  const oraclePick = gridBest(grid).lr;
  let goal = 0;
  let lr = 0;
  let loss = 0;
  for (let d = 0; d < draws; d++) {
    const truth = onSeeds(grid, draw(pool, truthSize, rng));
    const pick = finder === 'oracle' ? oraclePick : gridBest(onSeeds(grid, draw(pool, finder.seeds, rng))).lr;
    const g = gradePick(truth, pick);
    goal += Number(meetsGoal(g.ratio, g.lossRatio));
    lr += Number(lrWithin(g.ratio, GOAL_LR_FACTOR));
    loss += Number(lossWithin(g.lossRatio));
  }
  return { goal: goal / draws, lr: lr / draws, loss: loss / draws };
}

/** The finders the report compares, and the truths they are graded against (the issue's 3 seeds; 20). */
export const FINDERS: ReadonlyArray<{ readonly finder: Finder; readonly name: string }> = [
  { finder: { seeds: 1 }, name: 'grid search, 1 seed per LR' },
  { finder: { seeds: 2 }, name: 'grid search, 2 seeds per LR' },
  { finder: { seeds: 3 }, name: 'grid search, 3 seeds per LR' },
  { finder: { seeds: 20 }, name: 'grid search, 20 seeds per LR' },
  { finder: 'oracle', name: 'oracle (knows the mean over the population)' },
];
const TRUTHS = [3, 20] as const;

const pct = (x: number) => `${Math.round(100 * x)}%`;

export function report(cases: readonly SeededGrid[], draws: number): string {
  const lines: string[] = [];
  const at = (c: SeededGrid, f: Finder, truth: number, k: number) =>
    ceiling(c.grid, truth, f, draws, rngFor(1, 'lr-ceiling', c.task, c.optimizer, truth, k));
  // per finder and truth: the per-case shares
  const shares = FINDERS.map((f, k) => TRUTHS.map((t) => cases.map((c) => at(c, f.finder, t, k))));
  const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
  const grids = cases[0]!.grid.length;
  lines.push(
    `| finder | trainings | ${TRUTHS.map((t) => `meets the goal, truth ${t} seeds (LR within ${GOAL_LR_FACTOR}x / val loss within 5%)`).join(' | ')} | chance that all ${cases.length} cases meet it, truth 3 seeds |`,
  );
  lines.push(`| --- | --- | ${TRUTHS.map(() => '---').join(' | ')} | --- |`);
  FINDERS.forEach((f, k) => {
    const cells = shares[k]!.map(
      (per) => `**${pct(mean(per.map((x) => x.goal)))}** (${pct(mean(per.map((x) => x.lr)))} / ${pct(mean(per.map((x) => x.loss)))})`,
    );
    const all = prod(shares[k]![0]!.map((x) => x.goal));
    lines.push(`| ${f.name} | ${f.finder === 'oracle' ? '-' : grids * f.finder.seeds} | ${cells.join(' | ')} | ${all.toExponential(1)} |`);
  });
  lines.push('');
  const oracle = FINDERS.findIndex((f) => f.finder === 'oracle');
  lines.push(
    `| task / optimizer | oracle, truth 3 seeds | oracle, truth 20 seeds | grid search on seeds 4-20 against the issue's own truth (seeds 1-3) |`,
  );
  lines.push('| --- | --- | --- | --- |');
  cases.forEach((c, i) => {
    const n = c.seeds.length;
    const fixed = gradeSplit(
      c.grid,
      [0, 1, 2],
      Array.from({ length: n - 3 }, (_, j) => j + 3),
    );
    const verdict = `${meetsGoal(fixed.ratio, fixed.lossRatio) ? 'meets' : 'misses'} (${fixed.ratio.toPrecision(2)}x, loss ${fixed.lossRatio.toFixed(2)})`;
    lines.push(`| ${c.task} / ${c.optimizer} | ${TRUTHS.map((_, t) => pct(shares[oracle]![t]![i]!.goal)).join(' | ')} | ${verdict} |`);
  });
  return lines.join('\n');
}

async function main() {
  const { values } = parseArgs({
    options: {
      truth: { type: 'string', default: GRID20_FILE },
      draws: { type: 'string', default: '2000' },
    },
  });
  console.log(report(readSeededGrids(values.truth), Number(values.draws)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
