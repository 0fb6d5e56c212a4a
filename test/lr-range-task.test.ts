import { describe, expect, it } from 'vitest';
import { lrRangeTest, pointsAroundSuggestion } from '../src/lr-range/index.js';
import { Space } from '../src/space/codec.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { prepareSearch } from '../src/search.js';
import { describeResult, lr, lrRangeSummary } from '../src/cli/commands/lr-find.js';

const iris = BUNDLED_TASKS.iris!;
const quick = { steps: 60, backend: 'wasm' } as const;

describe('LR range test on a bundled task', () => {
  it('gives the same curve for the same seed, and another for another seed', async () => {
    const a = await lrRangeTest(iris, quick, 3);
    const b = await lrRangeTest(iris, quick, 3);
    const c = await lrRangeTest(iris, quick, 4);
    expect(b.curve).toEqual(a.curve);
    expect(b.suggestion).toBe(a.suggestion);
    expect(c.curve.points.map((p) => p.loss)).not.toEqual(a.curve.points.map((p) => p.loss));
  });

  it('tests the optimizer asked for, and reports bounds inside the tested range', async () => {
    const r = await lrRangeTest(iris, { ...quick, optimizer: 'sgd', startLr: 1e-5, endLr: 1 }, 0);
    expect(r.params.optimizer).toBe('sgd');
    expect(r.curve.points[0]!.lr).toBeCloseTo(1e-5, 12);
    expect(r.bounds[0]).toBeGreaterThanOrEqual(1e-5);
    expect(r.bounds[1]).toBeLessThanOrEqual(1);
    expect(r.bounds[0]).toBeLessThan(r.bounds[1]);
  });

  it('rejects options a user got wrong, naming the field', async () => {
    await expect(lrRangeTest(iris, { startLr: 1, endLr: 0.1 })).rejects.toThrow(/endLr/);
    await expect(lrRangeTest(iris, { beta: 1 })).rejects.toThrow(/beta: expected a number in \[0, 1\)/);
    await expect(lrRangeTest(iris, { refine: -1 })).rejects.toThrow(/refine: expected 0 \(off\) or a whole number >= 1/);
    await expect(lrRangeTest(iris, { refine: 1.5 })).rejects.toThrow(/refine: expected 0 \(off\) or a whole number >= 1/);
    await expect(lrRangeTest(iris, { refineSeeds: 0 })).rejects.toThrow(/refineSeeds: expected a whole number >= 1/);
  });

  it('with refine 0 suggests what the curve says; refine trains around that, inside the same bounds, and reports its cost', async () => {
    const curveOnly = await lrRangeTest(iris, { ...quick, refine: 0 }, 3);
    expect(curveOnly.refinement).toBeUndefined();
    expect(curveOnly.suggestion).toBe(curveOnly.suggestions[curveOnly.rule]);
    expect(curveOnly.cost).toMatchObject({ sweepSteps: 60, evaluations: 0, refineMs: 0 });

    const refined = await lrRangeTest(iris, { ...quick, refine: 2, refineSeeds: 3 }, 3);
    expect(refined.curve).toEqual(curveOnly.curve);
    expect(refined.bounds).toEqual(curveOnly.bounds);
    expect(refined.refinement!.from).toBe(curveOnly.suggestion);
    expect(refined.cost.evaluations).toBe(refined.refinement!.probes.length + 2 * 2);
    expect(refined.refinement!.probes.length).toBeGreaterThanOrEqual(4); // bounds span at least a decade
    expect(refined.refinement!.finalists).toContain(refined.suggestion);
    expect(refined.suggestion).toBeGreaterThanOrEqual(refined.bounds[0]);
    expect(refined.suggestion).toBeLessThanOrEqual(refined.bounds[1]);
    expect(refined.cost.trainingSteps).toBe(30 * 7); // iris: 30 epochs of 7 steps, what one search trial trains

    const printed = describeResult(refined);
    expect(printed).toContain(`refined from the curve's ${lr(curveOnly.suggestion)}`);
    expect(printed).toContain(`refine ${refined.cost.evaluations} trainings`);
    expect(describeResult(curveOnly)).not.toContain('refine');
    const summary = lrRangeSummary(curveOnly);
    expect(summary).toContain(`suggested lr ${lr(curveOnly.suggestion)} (rule ${curveOnly.rule})`);
    expect(summary).toContain(`searched within ${lr(curveOnly.bounds[0])} .. ${lr(curveOnly.bounds[1])}`);
    expect(summary).toContain('sweep 60 steps');
  });
});

describe('seed points', () => {
  it('put the LR gene at and around the suggestion and the other genes at the task defaults', () => {
    const space = { ...iris.space, lr: { type: 'float', low: 1e-4, high: 1e-1, log: true } } as const;
    const pts = pointsAroundSuggestion(space, 'lr', 3e-3, iris.defaults);
    const decoded = pts.map((x) => new Space(space).decode(x));
    expect(decoded[0]!.lr).toBeCloseTo(3e-3, 9);
    const decades = decoded.map((p) => Math.log10(Number(p.lr) / 3e-3)).sort((a, b) => a - b);
    expect(decades.map((d) => Math.round(d * 1e6) / 1e6 + 0)).toEqual([-0.5, -0.25, 0, 0.25]);
    for (const p of decoded) {
      expect(p.optimizer).toBe(iris.defaults.optimizer);
      expect(p.epochs).toBe(iris.defaults.epochs);
      expect(p.units).toBe(iris.defaults.units);
    }
  });
});

describe('search with --lr-bounds auto', () => {
  it('runs the test first, searches inside its bounds, seeds the population and records the test', async () => {
    const prepared = await prepareSearch({ task: 'iris', lrBounds: 'auto', backend: 'wasm', strategy: 'ga', seed: 5 });
    const r = prepared.lrRange!;
    expect(r.task).toBe('iris');
    const lr = prepared.space.lr!;
    expect(lr).toEqual({ type: 'float', low: r.bounds[0], high: r.bounds[1], log: true });
    expect(prepared.initialPoints.length).toBeGreaterThan(0);
    expect(new Space(prepared.space).decode(prepared.initialPoints[0]!).lr).toBeCloseTo(r.suggestion, 9);
    expect(r.refinement).toBeUndefined(); // the search refines the LR with its own trials
    expect(r.cost.evaluations).toBe(0);
  });

  it('leaves the space as given without the flag', async () => {
    const prepared = await prepareSearch({ task: 'iris', backend: 'wasm' });
    expect(prepared.space.lr).toEqual(iris.space.lr);
    expect(prepared.lrRange).toBeUndefined();
  });
});
