/** CMA-ES: what a user sees beyond the shared contract (test/strategies.conformance.test.ts, test/de-cmaes.test.ts). */
import { describe, expect, it } from 'vitest';
import { cmaes } from '../../strategies/cmaes.js';
import { batches, session } from '../helpers/strategy-session.js';

const sphereAt = (c: number) => (x: readonly number[]) => x.reduce((s, v) => s + (v - c) ** 2, 0);

/** The spread of a generation: the root mean squared distance of its points from their mean. */
function spread(xs: readonly (readonly number[])[]): number {
  const mean = xs[0]!.map((_, d) => xs.reduce((s, x) => s + x[d]!, 0) / xs.length);
  return Math.sqrt(xs.reduce((s, x) => s + x.reduce((t, v, d) => t + (v - mean[d]!) ** 2, 0), 0) / xs.length);
}

describe('cmaes', () => {
  it('asks 4 + floor(3 ln dim) points per generation by default, populationSize when given', () => {
    const size = (dim: number, raw: object = {}) => batches(session(cmaes, dim, raw), sphereAt(0.3), 1)[0]!.length;
    expect([size(2), size(10), size(30)]).toEqual([6, 10, 14]);
    expect(size(4, { populationSize: 20 })).toBe(20);
  });

  it('starts at the centre of the cube with sigma0 as the spread', () => {
    const first = batches(session(cmaes, 8, { sigma0: 0.05, populationSize: 200 }), sphereAt(0.5), 1)[0]!;
    const mean = first[0]!.map((_, d) => first.reduce((s, x) => s + x[d]!, 0) / first.length);
    for (const m of mean) expect(m).toBeCloseTo(0.5, 1);
    // E|N(0, sigma^2 I)| in 8 dimensions is about sigma * sqrt(8).
    expect(spread(first) / Math.sqrt(8)).toBeGreaterThan(0.04);
    expect(spread(first) / Math.sqrt(8)).toBeLessThan(0.06);
  });

  it('adapts the step size: it grows when the optimum is far, and shrinks as the search converges', () => {
    const opts = { restarts: 'none' };
    // From a tiny step, heading for a distant optimum: consecutive steps agree, and CSA lengthens them.
    const far = batches(session(cmaes, 5, { ...opts, sigma0: 0.005 }), sphereAt(0.9), 15);
    expect(spread(far[14]!)).toBeGreaterThan(3 * spread(far[0]!));
    // At the optimum: the step size falls by orders of magnitude.
    const near = batches(session(cmaes, 5, opts), sphereAt(0.4), 120);
    expect(spread(near[119]!)).toBeLessThan(spread(near[0]!) / 100);
  });
});
