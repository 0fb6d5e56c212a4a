import { describe, expect, it } from 'vitest';
import { minimize } from '../src/bench/driver.js';
import { FUNCTIONS, onCube } from '../src/bench/functions.js';
import { median } from '../src/bench/stats.js';
import { getStrategy } from '../strategies/index.js';

/**
 * Search quality at a small budget: evolution and swarms must clearly beat uniform random search on the
 * standard functions (10 genes, 2000 evaluations, median of 5 seeds). The full comparison against DEAP and
 * pyswarms lives in benchmarks/standard-functions.ts.
 */
const medianBest = (name: string, fn: (typeof FUNCTIONS)[number]) =>
  median(Array.from({ length: 5 }, (_, seed) => minimize({ strategy: getStrategy(name), dim: 10, budget: 2000, seed, objective: onCube(fn) }).best));

describe.each(FUNCTIONS.map((fn) => [fn.name, fn] as const))('on 10-d %s with 2000 evaluations', (_, fn) => {
  it.each(['ga', 'pso'])("%s ends with a median best under half of random search's", (name) => {
    expect(medianBest(name, fn)).toBeLessThan(medianBest('random', fn) / 2);
  });
});
