/** Random search: what a user sees beyond the shared contract (test/strategies.conformance.test.ts). */
import { describe, expect, it } from 'vitest';
import { rngFor } from '../../src/util/rng.js';
import { random } from '../../strategies/random.js';
import { ask, batches, session, tell } from '../helpers/strategy-session.js';

describe('random', () => {
  it('asks `batch` points at a time, initial points first', () => {
    const initialPoints = [
      [0.1, 0.2],
      [0.3, 0.4],
    ];
    const got = batches(session(random, 2, { batch: 5 }, { initialPoints }), () => 1, 3);
    expect(got.map((b) => b.length)).toEqual([5, 5, 5]);
    expect(got[0]!.slice(0, 2)).toEqual(initialPoints);
  });

  it('samples the cube uniformly: every tenth of every gene gets about a tenth of the points', () => {
    const points = batches(session(random, 3, { batch: 100 }), () => 1, 30).flat();
    for (let d = 0; d < 3; d++) {
      const counts = Array.from({ length: 10 }, () => 0);
      for (const x of points) counts[Math.min(9, Math.floor(x[d]! * 10))]!++;
      for (const c of counts) expect(Math.abs(c - 300)).toBeLessThan(75); // ~4.5 standard deviations
    }
  });

  it('ignores the results: what comes next depends only on the seed', () => {
    const next = (value: number) => {
      const s = session(random, 2);
      tell(
        s,
        ask(s).map((x) => ({ x, value })),
      );
      return ask(s, rngFor(1, 'ask', 1));
    };
    expect(next(0)).toEqual(next(Infinity));
  });
});
