import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../src/journal/reader.js';
import type { TrialRow } from '../src/journal/trials.js';
import { renderSvg } from '../src/report/chart.js';
import { runData, trialView, type RunData } from '../src/report/data.js';
import { historyFigure, learningFigure, parallelFigure, runFigures } from '../src/report/figures.js';
import { fanova, importances, pedAnova, permutation, ranks } from '../src/report/importance.js';
import { rngFor } from '../src/util/rng.js';
import { makeRun } from './helpers/dashboard-runs.js';

/** A row as the journal reader will return a pruned trial (state, last value, step, reports). */
const prunedRow = (trial: number, reports: Array<[number, number]>): TrialRow =>
  ({
    trial,
    generation: 9,
    seed: 1,
    x: [0.5, 0.5, 0.25],
    params: { lr: 0.01, units: 32, act: 'relu' },
    outcome: { state: 'pruned', value: reports.at(-1)![1], step: reports.at(-1)![0], metrics: {}, durationMs: 5, worker: 'w1', reports: reports.map(([step, value]) => ({ step, value })) },
    finishedAt: new Date().toISOString(),
  }) as unknown as TrialRow;

let base: RunData;
beforeAll(async () => {
  const dir = await makeRun(join(mkdtempSync(join(tmpdir(), 'evotune-figs-')), 'run'), 20);
  base = runData(dir, readJournal(dir));
}, 60_000);

/** Marks of a named layer in Vega's SVG. */
const marks = (svg: string, name: string) => {
  const at = svg.indexOf(`${name}_marks"`);
  return at < 0 ? 0 : (svg.slice(at, svg.indexOf('</g>', at)).match(/<path\b/g) ?? []).length;
};

describe('charts of pruned trials and intermediate values', () => {
  it('reads a pruned trial: its last reported value, the step it reached, its reports', () => {
    const v = trialView(prunedRow(50, [[1, 0.9], [2, 0.7]]));
    expect(v).toMatchObject({ state: 'pruned', value: 0.7, step: 2, reports: [[1, 0.9], [2, 0.7]] });
    // Reports as the journal line carries them: [step, value] pairs.
    const raw = { ...prunedRow(51, [[3, 0.5]]), outcome: { state: 'complete', value: 0.4, metrics: {}, durationMs: 1, worker: 'w', reports: [[1, 0.8], [3, 0.5]] } } as unknown as TrialRow;
    expect(trialView(raw).reports).toEqual([[1, 0.8], [3, 0.5]]);
  });

  it('marks pruned trials in the history and draws a learning curve per trial that reported', async () => {
    const trials = [...base.trials, trialView(prunedRow(50, [[1, 0.9], [2, 0.7]])), trialView(prunedRow(51, [[1, 1.1]]))];
    const d = { ...base, trials };
    const history = await renderSvg(historyFigure(d).spec!);
    expect(marks(history, 'pruned')).toBe(2);
    expect(history).toContain('pruned trial');
    const learning = learningFigure(d);
    expect(learning.spec).toBeDefined();
    const svg = await renderSvg(learning.spec!);
    expect(svg.match(/curves_marks"/g)).toHaveLength(2); // one line per trial with reports
    expect(learningFigure(base).empty).toBe('no trial reported intermediate values');
  });
});

describe('parallel coordinates colour', () => {
  it('keeps the colours of ordinary trials apart when one value is an outlier (quantile scale)', async () => {
    const trials = base.trials.map((t, i) => (i === 0 && t.value !== undefined ? { ...t, value: 1e9 } : t));
    const svg = await renderSvg(parallelFigure({ ...base, trials }).spec!);
    // The lines are the paths drawn 1.2 wide; a linear scale would paint all but the outlier one colour.
    const colours = [...svg.matchAll(/<path[^>]*stroke="([^"]+)"[^>]*stroke-width="1.2"/g)].map((m) => m[1]);
    expect(colours.length).toBe(trials.filter((t) => t.state === 'complete').length);
    expect(new Set(colours).size).toBeGreaterThanOrEqual(4);
  });

  it('gives every run the same list of charts, the LR test only with one', () => {
    expect(runFigures(base).map((f) => f.id)).toEqual(['history', 'parallel', 'slice', 'contour', 'importance', 'edf', 'learning', 'timeline']);
  });
});

describe('importance', () => {
  /** 80 random points in 4 dimensions; the value depends on x2 strongly and on x0 a little. */
  const sample = (seed: number) => {
    const rng = rngFor(seed, 'imp-test');
    const x = Array.from({ length: 80 }, () => Array.from({ length: 4 }, () => rng()));
    return { x, y: ranks(x.map((r) => 10 * (r[2]! - 0.4) ** 2 + 0.3 * r[0]! + 0.05 * rng())) };
  };
  const specs = Array.from({ length: 4 }, () => ({ type: 'float' as const, low: 0, high: 1, log: false }));
  const argmax = (v: number[]) => v.indexOf(Math.max(...v));

  it('finds the parameter that decides the value, with each estimator', () => {
    for (const seed of [1, 2, 3]) {
      const s = sample(seed);
      expect(argmax(fanova(s, rngFor(seed, 'f')))).toBe(2);
      expect(argmax(permutation(s, rngFor(seed, 'p')))).toBe(2);
      expect(argmax(pedAnova(s, specs))).toBe(2);
    }
  });

  it('gives shares that sum to 1, the same for the same seed, nothing with too few trials', () => {
    const space = { a: { type: 'float', low: 0, high: 1, log: false }, b: { type: 'categorical', choices: ['x', 'y'] } } as const;
    const rng = rngFor(5, 'imp');
    const params = Array.from({ length: 30 }, () => ({ a: rng(), b: rng() < 0.5 ? 'x' : 'y' }));
    const values = params.map((p) => (p.b === 'y' ? 1 : 0) + 0.1 * p.a);
    const shares = importances(space, params, values)!;
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(argmax(shares)).toBe(1);
    expect(importances(space, params, values)).toEqual(shares);
    expect(importances(space, params.slice(0, 5), values.slice(0, 5))).toBeUndefined();
  });

  it('ranks with ties sharing their mean rank', () => {
    expect(ranks([3, 1, 3, 2])).toEqual([(2 + 3) / 2 / 3, 0, (2 + 3) / 2 / 3, 1 / 3]);
  });
});
