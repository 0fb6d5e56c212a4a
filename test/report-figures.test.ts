import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../src/journal/reader.js';
import { renderSvg } from '../src/report/chart.js';
import { runData, type RunData } from '../src/report/data.js';
import { trialRecords } from '../src/report/table.js';
import { historyFigure, learningFigure, parallelFigure, runFigures, type Figure } from '../src/report/figures.js';
import { frontFigure, hypervolumeFigure } from '../src/report/figures-mo.js';
import { rungFigure } from '../src/report/figures-rungs.js';
import { LR_SCHEDULE_FILE, runPayload } from '../src/report/payload.js';
import { writeReport } from '../src/report/report.js';
import { hypervolume } from '../src/study/pareto.js';
import { fanova, importances, pedAnova, permutation, ranks } from '../src/report/importance.js';
import { rngFor } from '../src/util/rng.js';
import { appendLrRange, appendReported, makeRun } from './helpers/dashboard-runs.js';
import { frontRun, maximiseRun, pbtRun, schedulerRun } from './helpers/kind-runs.js';

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

describe('figures of a kind of run (small real runs)', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'evotune-kinds-'));
  });
  const dataOf = (dir: string) => runData(dir, readJournal(dir));
  type RungRow = { bracket: number; rung: string; step: number; outcome: string; trials: number; reached: number };
  const rungRows = (f: Figure) => {
    const s = f.spec as unknown as { data?: { values: RungRow[] }; concat?: Array<{ data: { values: RungRow[] } }> };
    return s.concat ? s.concat.flatMap((p) => p.data.values) : s.data!.values;
  };
  const sum = (rows: RungRow[], keep: (r: RungRow) => boolean) => rows.filter(keep).reduce((a, r) => a + r.trials, 0);

  it('asha: every trial at the first rung, the pruned stopped at the rung they reached, fewer trials at each rung', async () => {
    const r = await schedulerRun(join(root, 'asha'), 'asha');
    const d = dataOf(join(root, 'asha'));
    const figs = runFigures(d);
    expect(figs.map((f) => f.id)).toContain('rungs');
    expect(figs.map((f) => f.id)).not.toContain('lineage');
    const rows = rungRows(figs.find((f) => f.id === 'rungs')!);
    expect([...new Set(rows.map((x) => x.rung))]).toEqual(['1', '3', '9', '20 (full)']);
    expect(r.pruned).toBeGreaterThan(0);
    for (const [step, n] of Object.entries(r.prunedByStep)) expect(sum(rows, (x) => x.step === Number(step) && x.outcome === 'stopped here')).toBe(n);
    const reached = ['1', '3', '9', '20 (full)'].map((rung) => rows.find((x) => x.rung === rung)?.reached ?? 0);
    expect(reached[0]).toBe(r.trials);
    expect(reached.at(-1)).toBe(r.trials - r.pruned);
    for (let k = 1; k < reached.length; k++) expect(reached[k]).toBeLessThanOrEqual(reached[k - 1]!);
    const svg = await renderSvg(figs.find((f) => f.id === 'rungs')!.spec!);
    expect(marks(svg, 'rungs0')).toBe(rows.filter((x) => x.trials > 0).length);
  }, 60_000);

  it('hyperband: one panel per bracket; a bracket never stops a trial below its first rung', async () => {
    const r = await schedulerRun(join(root, 'hb'), 'hyperband');
    const f = rungFigure(dataOf(join(root, 'hb')))!;
    expect(f.title).toBe('Rungs and brackets');
    const rows = rungRows(f);
    const brackets = [...new Set(rows.map((x) => x.bracket))];
    expect(brackets.length).toBeGreaterThanOrEqual(2);
    expect((f.spec as unknown as { concat: unknown[] }).concat).toHaveLength(brackets.length);
    // Each trial is in one bracket: the first rungs together hold every trial.
    expect(brackets.reduce((a, b) => a + rows.find((x) => x.bracket === b)!.reached, 0)).toBe(r.trials);
    for (const b of brackets) {
      expect(Math.min(...rows.filter((x) => x.bracket === b).map((x) => x.step))).toBe(3 ** b);
      expect(sum(rows, (x) => x.bracket === b && x.outcome === 'stopped here' && x.step < 3 ** b)).toBe(0);
    }
    expect(sum(rows, (x) => x.outcome === 'stopped here')).toBe(r.pruned);
  }, 60_000);

  it('pbt: a dot per member and round, the winner chain, its LR schedule as search --json gives it, written as data', async () => {
    const dir = join(root, 'pbt');
    const r = await pbtRun(dir);
    appendLrRange(dir);
    const d = dataOf(dir);
    const figs = runFigures(d);
    const lineage = figs.find((f) => f.id === 'lineage')!;
    const svg = await renderSvg(lineage.spec!);
    expect(marks(svg, 'members')).toBe(r.trials);
    const layer = (f: Figure, name: string) =>
      (f.spec as unknown as { layer: Array<{ name: string; data: { values: unknown[] } }> }).layer.find((l) => l.name === name)!.data.values;
    expect(layer(lineage, 'winner')).toHaveLength(r.lineage!.steps.length - 1);
    expect(layer(lineage, 'links').length + layer(lineage, 'winner').length).toBe(d.trials.filter((t) => t.parent !== undefined).length);
    const schedule = figs.find((f) => f.id === 'lr-schedule')!;
    expect(layer(schedule, 'schedule')).toEqual(r.lineage!.lrSchedule!.map((p) => ({ from: p.from, to: p.to, lr: p.value })));
    expect(layer(schedule, 'bounds')).toHaveLength(1);
    expect(await renderSvg(schedule.spec!)).toContain('LR range test bounds 0.0001 .. 0.01');
    await writeReport(dir);
    expect(JSON.parse(readFileSync(join(dir, LR_SCHEDULE_FILE), 'utf8'))).toEqual(r.lineage!.lrSchedule);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain(`<h2>Evolved lr schedule</h2><p>The winner's (trial ${r.best!.trial})`);
    expect(html).toContain(`<td>${r.lineage!.lrSchedule![0]!.from} .. ${r.lineage!.lrSchedule![0]!.to}</td>`);
  }, 60_000);

  it('several objectives: the front, infeasible trials crossed, a hypervolume that only grows; best is feasible first', async () => {
    const dir = join(root, 'mo');
    const r = await frontRun(dir);
    const d = dataOf(dir);
    expect(d.best!.trial).toBe(r.best!.trial);
    expect(d.best!.violation).toBeUndefined();
    const front = frontFigure(d)!;
    const svg = await renderSvg(front.spec!);
    expect(marks(svg, 'front')).toBe(r.front!.length);
    expect(r.infeasible).toBeGreaterThan(0);
    expect(marks(svg, 'infeasible')).toBe(r.infeasible);
    const complete = d.trials.filter((t) => t.state === 'complete').length;
    expect(marks(svg, 'dominated')).toBe(complete - r.front!.length - r.infeasible!);
    const hv = hypervolumeFigure(d)!;
    // The reference: 1.1 of the way from the best to the worst feasible trial (size <= 10000 is the constraint).
    const sizes = r.history.flatMap((t) =>
      t.outcome.state === 'complete' && Number(t.outcome.metrics.size) <= 10_000 ? [Number(t.outcome.metrics.size)] : [],
    );
    const reference = Math.min(...sizes) + 1.1 * (Math.max(...sizes) - Math.min(...sizes));
    const shown = /reference point 1\.1 in each \(loss [\d.]+, size (\d+)\)/.exec(hv.caption)?.[1];
    expect(Math.abs(Number(shown) - reference) / reference).toBeLessThan(1e-3);
    const values = (hv.spec as unknown as { data: { values: Array<{ hypervolume: number }> } }).data.values.map((p) => p.hypervolume);
    expect(values).toHaveLength(d.trials.length);
    for (let k = 1; k < values.length; k++) expect(values[k]).toBeGreaterThanOrEqual(values[k - 1]!);
    // The incremental front gives what the volume of every feasible trial at once is.
    const pts = r.front!.map((m) => [m.values.loss!, m.values.size!]);
    const feasible = r.history.flatMap((t) => {
      const o = t.outcome;
      return o.state === 'complete' && Number(o.metrics.size) <= 10000 ? [[o.value, Number(o.metrics.size)]] : [];
    });
    const lo = [0, 1].map((k) => Math.min(...feasible.map((p) => p[k]!)));
    const hi = [0, 1].map((k) => Math.max(...feasible.map((p) => p[k]!)));
    const scaled = feasible.map((p) => p.map((v, k) => (v - lo[k]!) / (hi[k]! - lo[k]!)));
    expect(values.at(-1)).toBeCloseTo(hypervolume(scaled, [1.1, 1.1]), 12);
    expect(pts.length).toBeGreaterThan(2);
  }, 60_000);

  it('three objectives: a pairs plot with the front in every panel', async () => {
    const r = await frontRun(join(root, 'mo3'), ['loss', 'size', 'accuracy']);
    const f = frontFigure(dataOf(join(root, 'mo3')))!;
    const svg = await renderSvg(f.spec!);
    for (const pair of ['0_1', '0_2', '1_2']) expect(marks(svg, `front_${pair}`)).toBe(r.front!.length);
  }, 60_000);

  it('maximise: the best and the best-so-far line follow the direction', async () => {
    const dir = join(root, 'max');
    const r = await maximiseRun(dir);
    const d = dataOf(dir);
    const accuracies = d.trials.flatMap((t) => (t.state === 'complete' ? [Number(t.metrics.accuracy)] : []));
    expect(d.best!.value).toBe(Math.max(...accuracies));
    expect(d.best!.trial).toBe(r.best!.trial);
    const p = runPayload(d);
    expect(p.best!.label).toBe('accuracy (maximised)');
    const history = historyFigure(d);
    const best = (history.spec as unknown as { layer: Array<{ name: string; data: { values: Array<{ value: number }> } }> }).layer.find(
      (l) => l.name === 'best',
    )!.data.values;
    expect(best.at(-1)!.value).toBe(Math.max(...accuracies));
    expect(await renderSvg(history.spec!)).toContain('accuracy (higher is better)');
  }, 60_000);
});
