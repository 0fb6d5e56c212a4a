import { describe, expect, it } from 'vitest';
import { analyseCurve, BOUNDS_MARGIN, NO_MARGIN, searchBounds } from '../src/lr-range/analyse.js';
import { CurveRecorder, scheduledLr } from '../src/lr-range/sweep.js';
import { validateTaskData } from '../src/tasks/validate.js';
import { decideBetween, type Graded, type MarginResult } from '../benchmarks/lr-range-margin.js';
import { tabular30 } from '../benchmarks/tabular30.js';

/** A clean curve: flat, falling from 1e-4 to its lowest at 1e-2, then rising until it diverges. */
function curve() {
  const rec = new CurveRecorder({ signal: 'train', beta: 0.98, divergence: 4 });
  for (let i = 0; i < 300; i++) {
    const lr = scheduledLr('exponential', 1e-7, 10, 300, i);
    const x = Math.log10(lr);
    const loss = 2 - 1.8 * Math.min(1, Math.max(0, (x + 4) / 2)) + (x > -2 ? 10 ** (2 * (x + 2)) - 1 : 0);
    if (!rec.add(i, lr, loss, loss)) break;
  }
  return rec.curve();
}

describe('search bounds margin', () => {
  const a = analyseCurve(curve(), 'minimum-or-valley', [1e-7, 10]);
  const falling = a.diagnosis.regions.falling!;

  it('without a margin the upper bound is the falling region end (the lowest loss); the library default is what the benchmark chose', () => {
    expect(searchBounds(a.suggestion, falling, [1e-7, 10], NO_MARGIN)[1]).toBeCloseTo(falling[1], 12);
    expect(a.bounds).toEqual(searchBounds(a.suggestion, falling, [1e-7, 10], BOUNDS_MARGIN));
  });

  it('a margin widens the bounds past the falling region by its factors, still inside the tested range', () => {
    const [lo, hi] = searchBounds(a.suggestion, falling, [1e-7, 10], NO_MARGIN);
    const [lo2, hi2] = searchBounds(a.suggestion, falling, [1e-7, 10], { lower: 2, upper: 3 });
    expect(hi2).toBeCloseTo(3 * hi, 12);
    expect(lo2).toBeCloseTo(lo / 2, 12);
    expect(searchBounds(a.suggestion, falling, [1e-7, 1.5 * falling[1]], { lower: 1, upper: 3 })[1]).toBe(1.5 * falling[1]);
  });
});

describe('the LR margin benchmark', () => {
  it('tabular30 follows the task contract: 30 standardised features, one-hot labels, the same rows from the same seed', async () => {
    const d = validateTaskData('tabular30', 'classification', await tabular30.data(0), 0);
    expect(d.inputShape).toEqual([30]);
    expect(d.nTrain + d.nVal).toBe(1000);
    const col = Array.from({ length: d.nTrain }, (_, i) => d.xTrain[i * 30 + 3]!);
    expect(Math.abs(col.reduce((s, v) => s + v, 0) / d.nTrain)).toBeLessThan(1e-5);
    const ones = Array.from({ length: d.nTrain }, (_, i) => d.yTrain[2 * i + 1]!).reduce((s, v) => s + v, 0);
    expect(ones / d.nTrain).toBeGreaterThan(0.4);
    expect(ones / d.nTrain).toBeLessThan(0.6);
    expect((await tabular30.data(0)).xVal).toEqual(d.xVal);
    expect((await tabular30.data(1)).xVal).not.toEqual(d.xVal);
  });

  it('the decision rule takes a margin only when the search gains at both budgets and the race does not lose', () => {
    const g = (candidate: Graded['candidate'], search: [number, number], race: number): Graded => ({
      reading: 'one curve',
      candidate,
      repeat: 0,
      bounds: [1e-3, 1e-1],
      holds: true,
      overUpper: 0.1,
      overLower: 10,
      inBoundsBest: 1,
      search,
      race,
      raceTrainings: 17,
      suggestion: 1.1,
    });
    const result = (x2: Graded, x3: Graded): MarginResult => ({
      plan: { tasks: ['a'], optimizers: ['adam'], repeats: 1 },
      backend: 'cpu',
      current: NO_MARGIN,
      cases: [{ task: 'a', optimizer: 'adam', bundled: true, oracle: { lr: 0.01, loss: 0.1 }, graded: [g('none (x1)', [1.2, 1.1], 1.05), x2, x3] }],
    });
    const base = { reading: 'one curve', candidate: 'none (x1)' } as const;
    const arms = [
      { reading: 'one curve', candidate: 'upper x2' },
      { reading: 'one curve', candidate: 'upper x3' },
    ] as const;
    expect(decideBetween(result(g('upper x2', [1.1, 1.05], 1.05), g('upper x3', [1.1, 1.0], 1.05)), base, arms).choice).toBe('upper x3');
    // x3's race loses: x2 it is.
    expect(decideBetween(result(g('upper x2', [1.1, 1.05], 1.05), g('upper x3', [1.1, 1.0], 1.2)), base, arms).choice).toBe('upper x2');
    // Gains at one budget only: no margin.
    expect(decideBetween(result(g('upper x2', [1.1, 1.2], 1.05), g('upper x3', [1.3, 1.0], 1.05)), base, arms).choice).toBe('none (x1)');
  });
});
