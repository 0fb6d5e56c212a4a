/** The genetic algorithm: what a user sees beyond the shared contract (test/strategies.conformance.test.ts). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { search } from '../../src/search.js';
import { minimize } from '../../src/bench/driver.js';
import { onCube, rastrigin } from '../../src/bench/functions.js';
import { problem } from '../../src/bench/problems.js';
import { ga } from '../../strategies/ga.js';
import { batches, drain, optionError, session } from '../helpers/strategy-session.js';

const sphere = (x: readonly number[]) => x.reduce((s, v) => s + (v - 0.3) ** 2, 0);

describe('ga', () => {
  it('refuses an elite as large as the population, naming elite', () => {
    optionError(() => session(ga, 3, { populationSize: 6, elite: 6 }), 'elite');
  });

  it('asks a whole population first, then populationSize - elite children per generation (the elite are kept, not re-evaluated)', () => {
    const sizes = (elite: number) => batches(session(ga, 3, { populationSize: 10, elite }), sphere, 4).map((b) => b.length);
    expect(sizes(2)).toEqual([10, 8, 8, 8]);
    expect(sizes(0)).toEqual([10, 10, 10, 10]);
  });

  it('reaches a categorical choice far from every starting point thanks to uniform redraws (resetRate)', () => {
    // One gene with four choices; only the last is good, and the whole population starts in the first.
    const objective = (x: readonly number[]) => (x[0]! >= 0.75 ? 0 : 1);
    // Ten different points (GA would redraw repeats of one), all inside the first choice's bin [0, 0.25).
    const initialPoints = Array.from({ length: 10 }, (_, i) => [0.02 + 0.02 * i]);
    const bestAfterFiveGenerations = (resetRate: number) =>
      Math.min(...drain(session(ga, 1, { resetRate }, { initialPoints }), objective, 6).map(objective));
    expect(bestAfterFiveGenerations(0.4)).toBe(0);
    expect(bestAfterFiveGenerations(0)).toBe(1);
  });

  describe('population left to the search', () => {
    const space = { x: { type: 'float', low: -1, high: 1 }, y: { type: 'float', low: -1, high: 1 } } as const;
    const fitness = (p: Record<string, unknown>) => Number(p.x) ** 2 + Number(p.y) ** 2;
    const firstBatch = (r: Awaited<ReturnType<typeof search>>) => r.history.filter((t) => t.generation === 0).length;

    it('is 10 up to 1000 trials and grows with a larger budget (about budget / 100, at most 50); a given size is kept', async () => {
      const runs = await Promise.all([60, 1000, 3000].map((budget) => search({ fitness, space, strategy: 'ga', budget, seed: 1 })));
      expect(runs.map((r) => r.strategyOptions.populationSize)).toEqual([10, 10, 30]);
      expect(runs.map(firstBatch)).toEqual([10, 10, 30]);
      expect(ga.forBudget?.({ ...runs[0]!.strategyOptions, populationSize: null } as never, { trials: 20000 })).toMatchObject({ populationSize: 50 });
      const given = await search({ fitness, space, strategy: 'ga', strategyOptions: { populationSize: 20 }, budget: 3000, seed: 1 });
      expect(given.strategyOptions.populationSize).toBe(20);
      expect(firstBatch(given)).toBe(20);
    });

    it('keeps searching at 5000 trials on rotated rastrigin, where 10 individuals stall', () => {
      const p = problem(rastrigin, 'shifted+rotated', 10);
      const median = (populationSize: number | null) => {
        const bests = [0, 1, 2].map(
          (seed) => minimize({ strategy: ga, options: { populationSize }, dim: 10, budget: 5000, seed, objective: onCube(p) }).best,
        );
        return bests.sort((a, b) => a - b)[1]!;
      };
      expect(median(null)).toBeLessThan(0.6 * median(10));
    });

    it('stays what the first session chose when a resumed run raises the budget (the replay asks the same trials)', async () => {
      const out = join(mkdtempSync(join(tmpdir(), 'evotune-ga-')), 'run');
      const first = await search({ fitness, space, strategy: 'ga', budget: 1000, seed: 3, out });
      const more = await search({ fitness, resume: out, budget: 2400 });
      expect(first.strategyOptions.populationSize).toBe(10);
      expect(more.strategyOptions.populationSize).toBe(10);
      expect(more.history.slice(0, 1000).map((t) => t.x)).toEqual(first.history.map((t) => t.x));
    });
  });
});
