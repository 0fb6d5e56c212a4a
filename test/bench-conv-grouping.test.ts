/**
 * The conv-grouping benchmark's reading of its measurements (Amdahl's bound, the line through the step times, the
 * shareable fractions), and its written-out conv net gradients against the tape's: the benchmark's "direct" step is
 * only a fair stand-in for a group program if it computes the same gradients.
 */
import { describe, expect, it } from 'vitest';
import {
  bounds,
  directConvGradients,
  fitLine,
  groupingBound,
  kernelGroup,
  sharedFractions,
  type ConvGroupingResult,
  type VariantResult,
} from '../benchmarks/conv-grouping.js';
import { loadTf } from '../src/tf/backend.js';
import { tapeProgram } from '../src/tf/gradients.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { taskData } from '../src/tasks/train.js';

describe("Amdahl's bound for a group", () => {
  it('is 1 with nothing shared, K with everything shared, and in between otherwise', () => {
    expect(groupingBound(0, 16)).toBe(1);
    expect(groupingBound(1, 16)).toBe(16);
    expect(groupingBound(0.5, 16)).toBeCloseTo(1 / (0.5 + 0.5 / 16), 12);
    expect(groupingBound(0.5, 1)).toBe(1);
  });

  it('refuses a fraction outside [0, 1] or a group size that is not a whole number >= 1', () => {
    expect(() => groupingBound(1.2, 4)).toThrow(/shared: expected a fraction/);
    expect(() => groupingBound(Number.NaN, 4)).toThrow(/shared/);
    expect(() => groupingBound(0.3, 0)).toThrow(/k: expected a whole number/);
    expect(() => groupingBound(0.3, 2.5)).toThrow(/k:/);
  });
});

describe('reading the step times', () => {
  it('fits a line exactly through points on one, and refuses a single x', () => {
    const f = fitLine([
      [1, 1010],
      [4, 1040],
      [32, 1320],
    ]);
    expect(f.intercept).toBeCloseTo(1000, 9);
    expect(f.slope).toBeCloseTo(10, 9);
    expect(() => fitLine([[2, 1]])).toThrow(/two distinct x/);
  });

  it('puts conv, pooling and products in their groups', () => {
    expect(['Conv2D', 'FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'].map(kernelGroup)).toEqual(['conv', 'conv', 'conv', 'conv']);
    expect(['MaxPool', 'MaxPoolGrad', '_FusedMatMul', 'BatchMatMul', 'Add'].map(kernelGroup)).toEqual(['pool', 'pool', 'matMul', 'matMul', 'other']);
  });

  // Steps of 1000 us + 10 us per example; at batch 1 the conv and matMul kernels cost 200 us, which a group still pays per member.
  const variant = (name: 'tape' | 'direct', scale: number): VariantResult => ({
    variant: name,
    byBatch: [1, 4, 32].map((b) => {
      const us = scale * (1000 + 10 * b);
      return { batch: b, stepUs: { median: us, q1: us, q3: us } };
    }),
    census: [
      {
        batch: 1,
        stepUs: scale * 1010,
        kernelsPerStep: 3,
        outsideKernelsUs: 0,
        kernels: [
          { kernel: 'Conv2D', group: 'conv', callsPerStep: 1, usPerStep: scale * 150 },
          { kernel: '_FusedMatMul', group: 'matMul', callsPerStep: 1, usPerStep: scale * 50 },
          { kernel: 'MaxPool', group: 'pool', callsPerStep: 1, usPerStep: scale * 400 },
        ],
      },
    ],
  });

  it('shares the intercept (upper) and the intercept less the per-member kernels (realisable)', () => {
    const f = sharedFractions(variant('tape', 1), 32);
    expect(f.upper).toBeCloseTo(1000 / 1320, 9);
    expect(f.realisable).toBeCloseTo(800 / 1320, 9);
  });

  it("gives a group on a faster program its speed-up over today's step times the bound", () => {
    const result = { batch: 32, variants: [variant('tape', 1), variant('direct', 0.5)] } as unknown as ConvGroupingResult;
    const rows = bounds(result);
    const at = (v: string, k: number) => rows.find((r) => r.variant === v && r.k === k)!;
    expect(at('tape', 1).upper).toBeCloseTo(1, 12);
    expect(at('direct', 1).upper).toBeCloseTo(2, 12);
    expect(at('direct', 16).upper).toBeCloseTo(2 * groupingBound(1000 / 1320, 16), 9);
    expect(at('direct', 16).realisable).toBeCloseTo(2 * groupingBound(800 / 1320, 16), 9);
  });
});

describe("the benchmark's written-out conv net step", () => {
  it("computes the tape's gradients for digits-cnn on wasm (to float rounding)", async () => {
    const { tf, backend } = await loadTf({ backend: 'wasm' });
    const task = BUNDLED_TASKS['digits-cnn']!;
    const data = await taskData(task, 0);
    const model = task.build(task.defaults, { tf, backend, seed: 3 });
    try {
      const before = tf.memory().numTensors;
      const gaps = tf.tidy(() => {
        const x = tf.tensor(data.xTrain.slice(0, 32 * 64), [32, 8, 8, 1]);
        const y = tf.tensor2d(data.yTrain.slice(0, 32 * 10), [32, 10]);
        const program = tapeProgram(tf, task.kind, model);
        const tape = program.gradients(x, y, 0, 0, false).grads;
        const direct = directConvGradients(tf, program.vars, x, y);
        expect(direct.map((g) => g.shape)).toEqual(tape.map((g) => g.shape));
        return tape.map((g, i) => {
          const scale = tf.max(tf.abs(g)).dataSync()[0]!;
          return tf.max(tf.abs(tf.sub(g, direct[i]!))).dataSync()[0]! / scale;
        });
      });
      expect(Math.max(...gaps)).toBeLessThan(1e-5);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });
});
