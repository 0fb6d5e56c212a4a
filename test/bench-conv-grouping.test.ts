/**
 * The conv-grouping benchmark's reading of its measurements: Amdahl's bound, the line through the step times, the
 * shareable fractions and the gains they give (its direct step is the trainer's: test/gradients-conv.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  bounds,
  fitLine,
  groupingBound,
  kernelGroup,
  sharedFractions,
  type ConvGroupingResult,
  type VariantResult,
} from '../benchmarks/conv-grouping.js';

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
