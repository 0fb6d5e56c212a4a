/** NSGA-II: what a user sees beyond the shared contract; its survival and fronts are in test/nsga2.test.ts. */
import { describe, expect, it } from 'vitest';
import { nsga2 } from '../../strategies/nsga2.js';
import { batches, session, type Scorer } from '../helpers/strategy-session.js';

// Two objectives in conflict along gene 0 (ZDT1-like on 3 genes).
const zdt1 = (x: readonly number[]) => {
  const g = 1 + (9 * (x[1]! + x[2]!)) / 2;
  return [x[0]!, g * (1 - Math.sqrt(x[0]! / g))];
};

describe('nsga2', () => {
  it('asks populationSize children per generation', () => {
    const got = batches(session(nsga2, 3, { populationSize: 12 }), (x) => zdt1(x)[0]!, 4);
    expect(got.map((b) => b.length)).toEqual([12, 12, 12, 12]);
  });

  it('spreads its children along the front rather than collapsing onto one objective', () => {
    // Each value of gene 0 is a different trade-off: with both objectives, most children sit away from its end.
    const lastChildren = (score: Scorer) => batches(session(nsga2, 3, { populationSize: 20 }), score, 30).at(-1)!;
    const awayFromTheEnd = (xs: number[][]) => xs.filter((x) => x[0]! > 0.25).length;
    expect(awayFromTheEnd(lastChildren((x) => ({ value: zdt1(x)[0]!, values: zdt1(x) })))).toBeGreaterThanOrEqual(10);
    // Told only the first objective, the same loop drives gene 0 to its end (mutation sends a few elsewhere).
    expect(awayFromTheEnd(lastChildren((x) => zdt1(x)[0]!))).toBeLessThanOrEqual(4);
  });
});
