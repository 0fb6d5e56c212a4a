import { describe, expect, it } from 'vitest';
import {
  erfc,
  holm,
  mannWhitneyU,
  median,
  normalQuantile,
  probabilityBelow,
  quantile,
  seedsForPower,
  smallestExactP,
  summarize,
} from '../src/bench/stats.js';
import { seededRandom } from '../src/util/seeded.js';

// Reference values from scipy 1.17 (scipy.stats.mannwhitneyu, numpy.percentile, scipy.special.erfc).

describe('order statistics', () => {
  it('interpolates quantiles between order statistics like numpy.percentile', () => {
    expect(quantile([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantile([1, 2, 3, 4], 0.75)).toBeCloseTo(3.25, 12);
    expect(quantile([7, 1, 3, 10, 2], 0.25)).toBe(2);
    expect(quantile([7, 1, 3, 10, 2], 0.75)).toBe(7);
  });

  it('summarises median and quartiles without reordering the input', () => {
    const values = [4, 1, 3, 2];
    expect(summarize(values)).toEqual({ n: 4, median: 2.5, q1: 1.75, q3: 3.25 });
    expect(values).toEqual([4, 1, 3, 2]);
    expect(median([5])).toBe(5);
    expect(median([])).toBeNaN();
    // A seed whose search finished no trial counts as the worst value, not as a hole in the statistics.
    expect(median([1, Infinity, Infinity])).toBe(Infinity);
    expect(median([3, 5, Infinity])).toBe(5);
    expect(quantile([1, 2, Infinity], 0.25)).toBe(1.5);
  });
});

describe('mannWhitneyU', () => {
  const males = [19, 22, 16, 29, 24];
  const females = [20, 11, 17, 12];

  it('matches scipy exactly on the scipy documentation example', () => {
    expect(mannWhitneyU(males, females)).toEqual({ u: 17, p: expect.closeTo(0.1111111111111111, 14), method: 'exact' });
    expect(mannWhitneyU(males, females, 'asymptotic').p).toBeCloseTo(0.11134688653314041, 12);
  });

  it('matches scipy on the R wilcox.test example', () => {
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const r = mannWhitneyU(x, y);
    expect(r.u).toBe(35);
    expect(r.p).toBeCloseTo(0.2544122544122544, 12);
    expect(mannWhitneyU(x, y, 'asymptotic').p).toBeCloseTo(0.24462360512698333, 12);
  });

  it('uses the tie-corrected normal approximation when values tie', () => {
    const r = mannWhitneyU([1, 2, 2, 3, 5, 5], [2, 3, 4, 5, 6, 6, 7]);
    expect(r.method).toBe('asymptotic');
    expect(r.u).toBe(9.5);
    expect(r.p).toBeCloseTo(0.11105494577590766, 12);
  });

  it('gives p = 1 when every value is the same', () => {
    expect(mannWhitneyU([1, 1, 1], [1, 1, 1])).toEqual({ u: 4.5, p: 1, method: 'asymptotic' });
  });

  it('stays exact and precise for 45 values, and switches to the approximation past 50', () => {
    const x = Array.from({ length: 20 }, (_, i) => i);
    const y = Array.from({ length: 25 }, (_, i) => i + 10.5);
    const r = mannWhitneyU(x, y);
    expect(r).toMatchObject({ u: 45, method: 'exact' });
    expect(r.p / 3.1564819313480604e-7).toBeCloseTo(1, 10);
    const big = mannWhitneyU(
      Array.from({ length: 25 }, (_, i) => i),
      Array.from({ length: 30 }, (_, i) => i + 10),
    );
    expect(big.method).toBe('asymptotic');
    expect(big.p / 9.431745960140167e-6).toBeCloseTo(1, 8);
  });

  it('is symmetric in its samples: same p, U of the other side', () => {
    const a = mannWhitneyU(males, females);
    const b = mannWhitneyU(females, males);
    expect(b.p).toBeCloseTo(a.p, 14);
    expect(a.u + b.u).toBe(males.length * females.length);
  });

  it('rejects an empty sample', () => {
    expect(() => mannWhitneyU([], [1])).toThrow(/at least one value/);
  });
});

describe('smallestExactP', () => {
  it('says 3 seeds against 3 can never reach 5% but 5 against 5 can', () => {
    expect(smallestExactP(3, 3)).toBeCloseTo(0.1, 14);
    expect(smallestExactP(5, 5)).toBeCloseTo(2 / 252, 14);
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6]).p).toBeCloseTo(smallestExactP(3, 3), 14);
  });
});

describe('holm', () => {
  it('multiplies the k-th smallest p by (m - k + 1), keeps order monotone and input order', () => {
    const adjusted = holm([0.04, 0.01, 0.03, 0.5]);
    [0.09, 0.04, 0.09, 0.5].forEach((v, i) => expect(adjusted[i]).toBeCloseTo(v, 12));
    expect(holm([0.6, 0.9])).toEqual([1, 1]);
    expect(holm([])).toEqual([]);
  });
});

describe('erfc', () => {
  it('matches scipy.special.erfc near zero, across the switch at 2.5, and in the far tail', () => {
    const cases: Array<[number, number]> = [
      [0.1, 0.8875370839817152],
      [1, 0.15729920705028516],
      [2.4, 0.0006885138966450789],
      [2.6, 0.000236034416529349],
      [5, 1.5374597944280347e-12],
      [-1, 1.8427007929497148],
    ];
    for (const [x, want] of cases) expect(erfc(x) / want).toBeCloseTo(1, 12);
  });
});

describe('normalQuantile', () => {
  it('inverts the normal distribution (values of scipy.stats.norm.ppf)', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 10);
    expect(normalQuantile(0.8)).toBeCloseTo(0.8416212335729143, 10);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 9);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });
});

describe('seedsForPower', () => {
  it("is Noether's formula: P(a < b) = 0.7 at 5% with 80% power needs 33 seeds per arm", () => {
    expect(seedsForPower(0.7, 0.05)).toBe(33);
    // Symmetric in the direction of the difference; a smaller level asks for more seeds.
    expect(seedsForPower(0.3, 0.05)).toBe(33);
    expect(seedsForPower(0.7, 0.01)).toBeGreaterThan(33);
    expect(seedsForPower(0.5, 0.05)).toBe(Infinity);
  });

  it('gives about the power it promises: normal samples with P(a < b) = 0.7, 33 per arm, found at 5% about 80% of the time', () => {
    const rng = seededRandom(7);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    // P(X < Y) = Phi(shift / sqrt 2) = 0.7.
    const shift = Math.SQRT2 * normalQuantile(0.7);
    let found = 0;
    const runs = 400;
    for (let r = 0; r < runs; r++) {
      const a = Array.from({ length: 33 }, normal);
      const b = Array.from({ length: 33 }, () => normal() + shift);
      expect(probabilityBelow(a, b)).toBeGreaterThan(0);
      if (mannWhitneyU(a, b).p < 0.05) found++;
    }
    expect(found / runs).toBeGreaterThan(0.72);
    expect(found / runs).toBeLessThan(0.9);
  });

  it('probabilityBelow counts pairs, ties as one half', () => {
    expect(probabilityBelow([1, 2], [3, 4])).toBe(1);
    expect(probabilityBelow([3, 4], [1, 2])).toBe(0);
    expect(probabilityBelow([1, 3], [2, 3])).toBe(0.625);
  });
});
