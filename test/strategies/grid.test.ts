/** Grid search: what a user sees beyond the shared contract (test/strategies.conformance.test.ts). */
import { describe, expect, it } from 'vitest';
import { Space } from '../../src/space/index.js';
import { rngFor } from '../../src/util/rng.js';
import { grid } from '../../strategies/grid.js';
import { ask, drain, noRandomness, optionError, session, tell } from '../helpers/strategy-session.js';

const key = (x: readonly number[]) => x.map((v) => v.toFixed(9)).join(',');

describe('grid', () => {
  it('without shuffle, walks bin centres in order (last parameter fastest) and uses no randomness', () => {
    const s = session(grid, 2, { pointsPerParam: 3, shuffle: false, batch: 4 }, { rng: noRandomness });
    expect(ask(s, noRandomness)).toEqual([
      [1 / 6, 1 / 6],
      [1 / 6, 0.5],
      [1 / 6, 5 / 6],
      [0.5, 1 / 6],
    ]);
  });

  it('covers the lattice: every point of the grid exactly once, then asks nothing more', () => {
    const points = drain(session(grid, 3, { pointsPerParam: 4, batch: 7 }), () => 1);
    expect(points).toHaveLength(64);
    expect(new Set(points.map(key)).size).toBe(64);
    const centres = [0.125, 0.375, 0.625, 0.875];
    for (const x of points) for (const v of x) expect(centres).toContain(v);
  });

  it('asks initial points first, then the whole grid besides them', () => {
    const initialPoints = [[0.01, 0.99]];
    const points = drain(session(grid, 2, { pointsPerParam: 2, batch: 3 }, { initialPoints }), () => 1);
    expect(points[0]).toEqual(initialPoints[0]);
    expect(points).toHaveLength(5);
  });

  it('shuffles the order with the seed, and keeps it when shuffle is off', () => {
    const order = (raw: object, seed: number) => ask(session(grid, 4, { ...raw, batch: 20 }, { rng: rngFor(seed, 'init') }), rngFor(seed, 'ask'));
    expect(order({}, 1)).not.toEqual(order({}, 2));
    expect(order({}, 1)).toEqual(order({}, 1));
    expect(order({ shuffle: false }, 1)).toEqual(order({ shuffle: false }, 2));
  });

  it('gives a log parameter log-spaced values', () => {
    const space = new Space({ lr: { type: 'float', low: 1e-5, high: 1e-1, log: true } });
    const lrs = drain(session(grid, 1, { pointsPerParam: 4, shuffle: false }), () => 1).map((x) => space.decode(x).lr as number);
    const ratios = lrs.slice(1).map((v, i) => v / lrs[i]!);
    for (const r of ratios) expect(r).toBeCloseTo(10, 9);
  });

  it('asks again the points of a batch that was cut short, so a resumed study misses none', () => {
    const s = session(grid, 2, { pointsPerParam: 3, batch: 5 });
    const first = ask(s);
    tell(
      s,
      first.slice(0, 2).map((x) => ({ x, value: 0 })),
    );
    expect(ask(s).slice(0, 3)).toEqual(first.slice(2));
  });

  it('refuses a grid too large to enumerate, naming pointsPerParam', () => {
    expect(optionError(() => session(grid, 40, { pointsPerParam: 3 }), 'pointsPerParam')).toMatch(/2\^52/);
  });
});
