import { describe, expect, it } from 'vitest';
import { ceiling, FINDERS, gradePick, gradeSplit, report } from '../benchmarks/lr-range-ceiling.js';
import type { GridPoint } from '../benchmarks/lr-range-data.js';
import { rngFor } from '../src/util/rng.js';

const QUARTER = 10 ** 0.25;
/** A grid of quarter-decade LRs from 1e-3 whose seeds' losses are given per LR. */
const gridOf = (perLr: number[][]): GridPoint[] => perLr.map((losses, i) => ({ lr: 1e-3 * QUARTER ** i, losses }));
const seeds = (n: number, f: (s: number) => number) => Array.from({ length: n }, (_, s) => f(s));

describe('LR range test: ceiling of the goal', () => {
  it('is reached every time when every seed agrees on one best LR', () => {
    const grid = gridOf([seeds(20, () => 0.5), seeds(20, () => 0.2), seeds(20, () => 0.3)]);
    for (const { finder } of FINDERS) expect(ceiling(grid, 3, finder, 200, rngFor(1, 'test'))).toEqual({ goal: 1, lr: 1, loss: 1 });
  });

  it('stays far below 100% for an oracle when two LRs tie and the seeds split between them', () => {
    // Half the seeds favour the first LR, half the second, by 20%: their means tie; a 3-seed truth picks either.
    const a = seeds(20, (s) => (s % 2 === 0 ? 0.1 : 0.12));
    const b = seeds(20, (s) => (s % 2 === 0 ? 0.12 : 0.1));
    const r = ceiling(gridOf([a, b, seeds(20, () => 1)]), 3, 'oracle', 2000, rngFor(1, 'test'));
    expect(r.goal).toBeGreaterThan(0.3);
    expect(r.goal).toBeLessThan(0.7);
    // The neighbouring LR is 1.78x away: a miss on the LR is a miss of the goal.
    expect(r.goal).toBe(r.lr);
  });

  it('grades the LR and the loss separately, and a seed that diverged makes its LR unusable for that truth', () => {
    const grid = gridOf([
      [0.104, 0.104],
      [0.1, 0.1],
      [NaN, 0.05],
    ]);
    expect(gradePick(grid, grid[0]!.lr)).toEqual({ ratio: expect.closeTo(1 / QUARTER, 9), lossRatio: expect.closeTo(1.04, 6) });
    expect(gradePick(grid, grid[2]!.lr).lossRatio).toBe(Infinity);
    // Truth on the second seed alone: its best is the third LR; a finder on the first seed picks the second.
    expect(gradeSplit(grid, [1], [0])).toEqual({ ratio: expect.closeTo(1 / QUARTER, 9), lossRatio: expect.closeTo(2, 6) });
  });

  it('gives the same shares for the same seed, and a table row per case with one summary per finder', () => {
    const grid = gridOf([seeds(20, (s) => 0.1 + 0.01 * (s % 3)), seeds(20, (s) => 0.1 + 0.01 * (s % 5)), seeds(20, () => 0.3)]);
    expect(ceiling(grid, 3, { seeds: 2 }, 300, rngFor(7, 'x'))).toEqual(ceiling(grid, 3, { seeds: 2 }, 300, rngFor(7, 'x')));
    const md = report([{ task: 'toy', optimizer: 'adam', seeds: seeds(20, (s) => s + 1), grid }], 50);
    for (const { name } of FINDERS) expect(md).toContain(`| ${name} |`);
    expect(md).toMatch(/\| toy \/ adam \| \d+% \| \d+% \| (meets|misses) \(/);
  });
});
