import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lrRangeTest, type LrRangeResult } from '../src/lr-range/index.js';
import { medianCurve, quantile, sweepMembers, type Curve, type CurvePoint } from '../src/lr-range/sweep.js';
import { parseLrRangeOptions } from '../src/lr-range/options.js';
import { loadTf } from '../src/tf/backend.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { rangeTestParams } from '../src/tasks/train.js';
import { runCli } from './helpers/cli.js';

/** A curve of `n` points at LR 10^(step/10) whose smoothed loss is `f(step)`, stopped as given. */
function synthetic(n: number, f: (step: number) => number, stop: Curve['stop'] = { reason: 'end' }): Curve {
  const points: CurvePoint[] = Array.from({ length: n }, (_, step) => ({ step, lr: 10 ** (step / 10), loss: f(step) + 0.5, smoothed: f(step) }));
  return { signal: 'train', points, stop };
}

const run = (task: string, seed: number, o: Parameters<typeof lrRangeTest>[1]) =>
  lrRangeTest(BUNDLED_TASKS[task]!, { refine: 0, backend: 'wasm', ...o }, seed);

describe('the median of K curves', () => {
  it('is the median and quartiles of the members at every step', () => {
    const curves = [1, 2, 3, 4, 5].map((level) => synthetic(10, (s) => level * 10 - s));
    const { curve, band } = medianCurve(curves);
    expect(curve.points.map((p) => p.smoothed)).toEqual(curves[2]!.points.map((p) => p.smoothed));
    expect(curve.points[4]!.loss).toBe(30 - 4 + 0.5);
    expect(band[0]).toEqual({ step: 0, lr: 1, q1: 20, q3: 40, alive: 5 });
    expect(curve.stop).toEqual({ reason: 'end' });
  });

  it('counts a member that stopped as above every live one: the median ends when half have stopped', () => {
    // Four members: two diverge (at steps 5 and 7), two run on to step 19.
    const curves = [
      synthetic(6, () => 1, { reason: 'diverged', step: 5, lr: 10 ** 0.5 }),
      synthetic(7, () => 2, { reason: 'non-finite', step: 7, lr: 10 ** 0.7 }),
      synthetic(20, () => 3),
      synthetic(20, () => 4),
    ];
    const { curve, band } = medianCurve(curves);
    // Steps 0-5: all four live, median between 2 and 3; step 6: member 0 gone, so it counts above 4: median (3+4)/2.
    expect(curve.points[0]!.smoothed).toBe(2.5);
    expect(curve.points[6]!.smoothed).toBe(3.5);
    expect(band[6]).toMatchObject({ alive: 3, q3: null }); // a quarter stopped: the upper quartile is unbounded
    // Step 7: two of four stopped: the median curve stops there, diverged, while two members still ran.
    expect(curve.points).toHaveLength(7);
    expect(curve.stop).toEqual({ reason: 'diverged', step: 7, lr: 10 ** 0.7 });
    // Survivors alone would have read 3.5 on at steps 7-19: this median does not pretend the stopped ones are fine.
  });

  it('of one curve is that curve; quantiles interpolate and carry Infinity', () => {
    const c = synthetic(12, (s) => 5 - s / 3, { reason: 'diverged', step: 11, lr: 10 ** 1.1 });
    expect(medianCurve([c]).curve).toEqual(c);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, Infinity], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, Infinity], 0.75)).toBe(Infinity);
  });
});

describe('lr-find --seeds K', () => {
  // The stated tolerance of the vectorised trainer is zero (test/vectorised.test.ts): member k's curve is bit-for-bit
  // the one-curve test's with seed + k, stops included, whichever members stop first.
  it.each([
    ['digits', 'adam', 'train'],
    ['wine', 'sgd', 'val'],
    ['sine', 'rmsprop', 'train'],
  ] as const)(
    '%s/%s (%s loss): member k is the one-curve test with seed + k',
    async (task, optimizer, signal) => {
      const many = await run(task, 20, { seeds: 4, optimizer, signal, steps: 200 });
      expect(many.members?.vectorised).toBe(true);
      expect(many.members?.seeds).toEqual([20, 21, 22, 23]);
      for (let k = 0; k < 4; k++) {
        const one = await run(task, 20 + k, { optimizer, signal, steps: 200 });
        expect(many.members!.curves[k]).toEqual(one.curve);
        expect(many.members!.suggestions[k]).toBe(one.suggestion);
      }
      // The sweep's cost counts every member's steps.
      expect(many.cost.sweepSteps).toBe(many.members!.curves.reduce((n, c) => n + (c.stop.reason === 'end' ? 200 : c.stop.step + 1), 0));
    },
    120_000,
  );

  it('a member that diverges ends its own curve; the others train on, as they would alone', async () => {
    const t = await loadTf({ backend: 'wasm' });
    const task = BUNDLED_TASKS.digits!;
    // Dropout too: each member draws its own masks, also after others have left the program.
    const params = { ...rangeTestParams(task, { lr: 1e-7 }), dropout: 0.3 };
    const o = parseLrRangeOptions({ steps: 200 });
    const seeds = [3, 4, 5, 6];
    const ctx = { tf: t.tf, backend: t.backend, dataSeed: 0 };
    const before = t.tf.memory().numTensors;
    const together = await sweepMembers(task, params, seeds, o, ctx);
    expect(t.tf.memory().numTensors).toBe(before); // members that left and the session itself freed everything
    const alone = await sweepMembers(task, params, seeds, o, ctx, false);
    expect(together.vectorised).toBe(true);
    expect(alone.vectorised).toBe(false);
    expect(together.curves).toEqual(alone.curves);
    const ends = together.curves.map((c) => (c.stop.reason === 'end' ? 200 : c.stop.step));
    // On this schedule the members stop at different steps: the first to stop did not stop the others.
    expect(new Set(ends).size).toBeGreaterThan(1);
    expect(Math.max(...ends)).toBeGreaterThan(Math.min(...ends));
  }, 120_000);

  it('a conv net runs K one-curve tests one after another, with the same output shape', async () => {
    const many = await run('digits-cnn', 7, { seeds: 2, steps: 30, rule: 'steepest' });
    expect(many.members?.vectorised).toBe(false);
    const second = await run('digits-cnn', 8, { steps: 30, rule: 'steepest' });
    expect(many.members!.curves[1]).toEqual(second.curve);
    expect(many.members!.band).toHaveLength(many.curve.points.length);
  }, 120_000);

  it('reads the median: the band brackets it, and suggestion and bounds come from it', async () => {
    const r = await run('iris', 0, { seeds: 8, optimizer: 'sgd' });
    const m = r.members!;
    expect(m.band).toHaveLength(r.curve.points.length);
    r.curve.points.forEach((p, i) => {
      const b = m.band[i]!;
      expect(b.q1).toBeLessThanOrEqual(p.smoothed);
      if (b.q3 !== null) expect(b.q3).toBeGreaterThanOrEqual(p.smoothed);
    });
    // The suggestion is the rule's on the median curve, not any member's.
    const { analyseCurve } = await import('../src/lr-range/analyse.js');
    const read = analyseCurve(r.curve, r.rule, [r.options.startLr, r.options.endLr]);
    expect(r.suggestion).toBe(read.suggestion);
    expect(r.bounds).toEqual(read.bounds);
  }, 120_000);

  it('is deterministic: the same seed gives the same curves, band and suggestion', async () => {
    const strip = (r: LrRangeResult) => ({ ...r, elapsedMs: 0, cost: { ...r.cost, sweepMs: 0, refineMs: 0 } });
    const a = await run('spirals', 5, { seeds: 3, steps: 150 });
    const b = await run('spirals', 5, { seeds: 3, steps: 150 });
    expect(strip(a)).toEqual(strip(b));
    const c = await run('spirals', 6, { seeds: 3, steps: 150 });
    expect(c.members!.curves[0]).toEqual(a.members!.curves[1]); // seed 6 is member 1 of the test from seed 5
    expect(c.curve).not.toEqual(a.curve);
  }, 120_000);
});

describe('lr-find --seeds on the command line', () => {
  it.each(['0', '2.5', '65', '-3'])('--seeds %s: one line naming --seeds, exit 2', async (value) => {
    const r = await runCli(['lr-find', '--task', 'iris', '--seeds', value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`evotune: --seeds: expected a whole number from 1 to 64, got ${value}\n`);
  });

  it('prints the members, writes their quartiles into the plot and the JSON', async () => {
    const plot = join(mkdtempSync(join(tmpdir(), 'evotune-lr-seeds-')), 'curve.svg');
    const r = await runCli(['lr-find', '--task', 'iris', '--seeds', '4', '--refine', '0', '--json', '--plot', plot]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { members: { seeds: number[]; band: unknown[]; stops: unknown[]; curves?: unknown } };
    expect(json.members.seeds).toEqual([0, 1, 2, 3]);
    expect(json.members.stops).toHaveLength(4);
    expect(json.members.band.length).toBeGreaterThan(100);
    expect(json.members.curves).toBeUndefined();
    const svg = readFileSync(plot, 'utf8');
    expect(svg).toContain('band_marks');
    expect(svg).toContain('quartiles of 4 curves (seeds 0..3)');
    const text = await runCli(['lr-find', '--task', 'iris', '--seeds', '4', '--refine', '0', '--plot', plot]);
    expect(text.stdout).toMatch(/^seeds {9}4 curves \(seeds 0\.\.3, one vectorised program\), suggestion and bounds from their median/m);
  }, 120_000);
});
