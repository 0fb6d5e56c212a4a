import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../src/journal/reader.js';
import { renderSvg } from '../src/report/chart.js';
import { runData, type RunData } from '../src/report/data.js';
import { trialRecords } from '../src/report/table.js';
import { historyFigure, learningFigure, parallelFigure, runFigures } from '../src/report/figures.js';
import { fanova, importances, pedAnova, permutation, ranks } from '../src/report/importance.js';
import { rngFor } from '../src/util/rng.js';
import { appendReported, makeRun } from './helpers/dashboard-runs.js';

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
  it('reads pruned trials and reports from the journal, marks them in the history, draws a curve per trial', async () => {
    const dir = await makeRun(join(mkdtempSync(join(tmpdir(), 'evotune-figs-')), 'run'), 10);
    appendReported(
      dir,
      [
        [1, 0.9],
        [2, 0.7],
      ],
      true,
    );
    appendReported(dir, [[1, 1.1]], true);
    const done = appendReported(
      dir,
      [
        [1, 0.8],
        [2, 0.5],
        [3, 0.4],
      ],
      false,
    );
    const d = runData(dir, readJournal(dir));
    expect(d.trials.filter((t) => t.state === 'pruned').map((t) => [t.value, t.step])).toEqual([
      [0.7, 2],
      [1.1, 1],
    ]);
    expect(d.trials.find((t) => t.trial === done)!.reports).toEqual([
      [1, 0.8],
      [2, 0.5],
      [3, 0.4],
    ]);
    const history = await renderSvg(historyFigure(d).spec!);
    expect(marks(history, 'pruned')).toBe(2);
    expect(history).toContain('pruned trial');
    const svg = await renderSvg(learningFigure(d).spec!);
    expect(svg.match(/curves_marks"/g)).toHaveLength(3); // one line per trial with reports
    expect(marks(svg, 'ends')).toBe(3); // and a dot where each stopped
    expect(learningFigure(base).empty).toBe('no trial reported intermediate values');
    expect(trialRecords(d.rows, d.space).columns).toContain('step');
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
