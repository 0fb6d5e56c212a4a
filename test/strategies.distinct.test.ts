import { describe, expect, it } from 'vitest';
import { search, type SpaceInput } from '../src/index.js';
import { Space } from '../src/space/index.js';
import { rngFor } from '../src/util/rng.js';
import { decodedKey } from '../strategies/distinct.js';

/** 4 x 3 x 2 = 24 configurations. */
const SPACE: SpaceInput = {
  opt: { type: 'categorical', choices: ['adam', 'sgd', 'rmsprop', 'adagrad'] },
  layers: { type: 'int', low: 1, high: 3 },
  bn: { type: 'categorical', choices: [true, false] },
};

/** A noisy fitness: a repeat of a configuration would score differently, and the luckier run could win. */
const noisy = (p: Record<string, unknown>, ctx: { seed: number }) =>
  (p.opt === 'sgd' ? 0 : 1) + Number(p.layers) / 10 + rngFor(ctx.seed, 'noise')() / 5;

const configs = (history: readonly { params: Record<string, unknown> }[]) => history.map((t) => JSON.stringify(t.params));
const repeats = (list: readonly string[]) => list.length - new Set(list).size;

describe('no configuration asked twice', () => {
  it('decodedKey: two points have the same key exactly when they decode to the same parameters', () => {
    const space = new Space({
      ...SPACE,
      lr: { type: 'float', low: 1e-4, high: 1, log: true },
      units: { type: 'int', low: 8, high: 512, log: true },
    } as never);
    const bins = space.binEdges();
    const rng = rngFor(1, 'keys');
    // Points on a coarse grid, so that many share bins (and floats), plus every bin edge exactly.
    const points = Array.from({ length: 400 }, () => Array.from({ length: space.dim }, () => Math.floor(rng() * 9) / 8));
    points.push(...bins.flatMap((edges, i) => edges.map((e) => points[0]!.map((v, j) => (j === i ? e : v)))));
    for (const a of points.slice(0, 120)) {
      for (const b of points) {
        const same = JSON.stringify(space.decode(a)) === JSON.stringify(space.decode(b));
        expect(decodedKey(a, bins) === decodedKey(b, bins), `${a} vs ${b}`).toBe(same);
      }
    }
  });

  it('GA asks 20 different configurations of 24, where random sampling repeats some', async () => {
    for (const seed of [0, 1, 2]) {
      const ga = await search({ fitness: noisy, space: SPACE, strategy: 'ga', strategyOptions: { populationSize: 6, elite: 1 }, budget: 20, seed });
      expect(repeats(configs(ga.history)), `seed ${seed}`).toBe(0);
    }
    // The space is small enough that repeats are what a strategy gets unless it avoids them.
    const random = await search({ fitness: noisy, space: SPACE, strategy: 'random', budget: 20, seed: 0 });
    expect(repeats(configs(random.history))).toBeGreaterThan(0);
  });

  it('GA on a space it has exhausted still finishes its budget, having asked every configuration first', async () => {
    const r = await search({ fitness: noisy, space: SPACE, strategy: 'ga', strategyOptions: { populationSize: 6, elite: 1 }, budget: 40, seed: 5 });
    expect(r.trials).toBe(40);
    expect(new Set(configs(r.history).slice(0, 24)).size).toBe(24);
  });

  it('is reproducible: the same seed gives the same trials', async () => {
    const run = () => search({ fitness: noisy, space: SPACE, strategy: 'ga', budget: 18, seed: 9 });
    expect(configs((await run()).history)).toEqual(configs((await run()).history));
  });
});
