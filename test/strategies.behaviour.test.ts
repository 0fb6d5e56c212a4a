import { describe, expect, it } from 'vitest';
import { isEvotuneError } from '../src/errors.js';
import { Space } from '../src/space/index.js';
import { rngFor, type Rng } from '../src/util/rng.js';
import { ga } from '../strategies/ga.js';
import { grid } from '../strategies/grid.js';
import { resolveStrategy } from '../strategies/index.js';
import { pso } from '../strategies/pso.js';
import type { Strategy } from '../strategies/types.js';

/** What a user of grid, ga and pso can see beyond the generic contract (test/strategies.conformance.test.ts). */

const start = (strategy: Strategy, dim: number, raw: unknown = {}, seeds?: number[][], rng: Rng = rngFor(1, 'init')) =>
  strategy.init({ dim, options: resolveStrategy(strategy.name, raw).options, rng, seeds });

/** Asks and tells until `ask` comes back empty or `rounds` is reached; returns every point asked. */
function drain(strategy: Strategy, state: unknown, objective: (x: readonly number[]) => number, rounds = 1000): number[][] {
  const all: number[][] = [];
  for (let round = 0; round < rounds; round++) {
    const { xs, state: asked } = strategy.ask(state, rngFor(1, 'ask', round));
    if (xs.length === 0) break;
    all.push(...xs);
    state = strategy.tell(
      asked,
      xs.map((x) => ({ x, value: objective(x) })),
      rngFor(1, 'tell', round),
    );
  }
  return all;
}

const noRandomness: Rng = () => {
  throw new Error('the rng was used');
};

const key = (x: readonly number[]) => x.map((v) => v.toFixed(9)).join(',');

function expectOptionError(fn: () => unknown, option: string) {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(isEvotuneError(error) && error.code).toBe('E_STRATEGY_OPTION');
  expect((error as Error).message).toContain(`"${option}"`);
}

describe('grid', () => {
  it('without shuffle, walks bin centres in order (last parameter fastest) and uses no randomness', () => {
    const state = start(grid, 2, { pointsPerParam: 3, shuffle: false, batch: 4 }, undefined, noRandomness);
    const { xs } = grid.ask(state, noRandomness);
    expect(xs).toEqual([
      [1 / 6, 1 / 6],
      [1 / 6, 0.5],
      [1 / 6, 5 / 6],
      [0.5, 1 / 6],
    ]);
  });

  it('visits every point of the grid exactly once, then asks nothing more', () => {
    const points = drain(grid, start(grid, 3, { pointsPerParam: 4, batch: 7 }), () => 1);
    expect(points).toHaveLength(64);
    expect(new Set(points.map(key)).size).toBe(64);
    const centres = [0.125, 0.375, 0.625, 0.875];
    for (const x of points) for (const v of x) expect(centres).toContain(v);
  });

  it('shuffles the order with the seed, and keeps it when shuffle is off', () => {
    const order = (raw: object, seed: number) =>
      grid.ask(start(grid, 4, { ...raw, batch: 20 }, undefined, rngFor(seed, 'init')), rngFor(seed, 'ask')).xs;
    expect(order({}, 1)).not.toEqual(order({}, 2));
    expect(order({}, 1)).toEqual(order({}, 1));
    expect(order({ shuffle: false }, 1)).toEqual(order({ shuffle: false }, 2));
  });

  it('gives a log parameter log-spaced values', () => {
    const space = new Space({ lr: { type: 'float', low: 1e-5, high: 1e-1, log: true } });
    const lrs = drain(grid, start(grid, 1, { pointsPerParam: 4, shuffle: false }), () => 1).map((x) => space.decode(x).lr as number);
    const ratios = lrs.slice(1).map((v, i) => v / lrs[i]!);
    for (const r of ratios) expect(r).toBeCloseTo(10, 9);
  });

  it('asks again the points of a batch that was cut short, so a resumed study misses none', () => {
    const state = start(grid, 2, { pointsPerParam: 3, batch: 5 });
    const first = grid.ask(state, rngFor(1, 'ask', 0));
    const afterTwo = grid.tell(
      first.state,
      first.xs.slice(0, 2).map((x) => ({ x, value: 0 })),
      rngFor(1, 'tell', 0),
    );
    expect(grid.ask(afterTwo, rngFor(1, 'ask', 1)).xs.slice(0, 3)).toEqual(first.xs.slice(2));
  });

  it('refuses a grid too large to enumerate, naming pointsPerParam', () => {
    expectOptionError(() => start(grid, 40, { pointsPerParam: 3 }), 'pointsPerParam');
  });
});

describe('ga', () => {
  it('refuses an elite as large as the population, naming elite', () => {
    expectOptionError(() => start(ga, 3, { populationSize: 6, elite: 6 }), 'elite');
  });

  it('reaches a categorical choice far from every starting point thanks to uniform redraws (resetRate)', () => {
    // One gene with four choices; only the last is good, and the whole population starts in the first.
    const objective = (x: readonly number[]) => (x[0]! >= 0.75 ? 0 : 1);
    // Ten different points (GA would redraw repeats of one), all inside the first choice's bin [0, 0.25).
    const seeds = Array.from({ length: 10 }, (_, i) => [0.02 + 0.02 * i]);
    const bestAfterFiveGenerations = (resetRate: number) => Math.min(...drain(ga, start(ga, 1, { resetRate }, seeds), objective, 6).map(objective));
    expect(bestAfterFiveGenerations(0.4)).toBe(0);
    expect(bestAfterFiveGenerations(0)).toBe(1);
  });
});

describe('pso', () => {
  it.each(['reflect', 'clip', 'random'])('with boundary "%s", keeps fast particles inside the cube', (boundary) => {
    for (const topology of ['global', 'ring']) {
      const points = drain(pso, start(pso, 5, { boundary, topology, vmax: 1, w: 1, c1: 3, c2: 3 }), (x) => (x[0]! - 1) ** 2, 20);
      for (const v of points.flat()) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
  });

  it('treats a ring that reaches round the whole swarm as the global topology', () => {
    const run = (raw: object) => drain(pso, start(pso, 3, { swarmSize: 6, ...raw }), (x) => x.reduce((s, v) => s + v * v, 0), 5);
    expect(run({ topology: 'ring', neighbours: 4 })).toEqual(run({ topology: 'global' }));
    expect(run({ topology: 'ring', neighbours: 1 })).not.toEqual(run({ topology: 'global' }));
  });
});
