import { readFileSync } from 'node:fs';
import { search, type SearchResult } from '../../src/search.js';
import type { SpaceSpec } from '../../src/space/spec.js';

/** Small real runs of the kinds the report draws figures for (a scheduler, PBT, several objectives), in-process. */
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const space = (name: string) => JSON.parse(readFileSync(fixture(name), 'utf8')) as SpaceSpec;

/** Random search on the curve fixture (20 steps) with a scheduler: generations of 6 so the rungs fill and prune. */
export function schedulerRun(dir: string, scheduler: 'asha' | 'hyperband' | 'median', budget = 36): Promise<SearchResult> {
  return search({
    fitness: fixture('curve.mjs'),
    space: space('curve-space.json'),
    strategy: 'random',
    strategyOptions: { batch: 6 },
    budget,
    seed: 1,
    workers: 1,
    scheduler,
    schedulerOptions: scheduler === 'median' ? { minTrials: 3 } : { maxResource: 20 },
    out: dir,
  });
}

/** PBT on the toy: 6 members, rounds of 2 epochs, 10 epochs each. */
export function pbtRun(dir: string): Promise<SearchResult> {
  return search({
    fitness: fixture('pbt-toy.mjs'),
    space: space('pbt-space.json'),
    strategy: 'pbt',
    strategyOptions: { population: 6, readyEpochs: 2 },
    seed: 4,
    budgetEpochs: 60,
    workers: 1,
    out: dir,
  });
}

/** The trade-off fixture's space. */
export const TRADEOFF_SPACE = {
  lr: { type: 'float', low: 1e-4, high: 1, log: true },
  units: { type: 'int', low: 8, high: 128, log: false },
  optimizer: { type: 'categorical', choices: ['adam', 'sgd', 'rmsprop'] },
} as const;

/** NSGA-II on loss and size with a constraint on size: a front, dominated and infeasible trials. */
export function frontRun(dir: string, objectives: readonly string[] = ['loss', 'size']): Promise<SearchResult> {
  process.env.SLEEPY_MS = '0';
  return search({
    fitness: fixture('objectives-tradeoff.mjs'),
    space: TRADEOFF_SPACE as unknown as SpaceSpec,
    strategy: 'nsga2',
    strategyOptions: { populationSize: 10 },
    objectives: [...objectives],
    constraint: 'size<=10000',
    budget: 40,
    seed: 3,
    workers: 1,
    out: dir,
  });
}

/** GA maximising the fixture's accuracy (which falls as its loss grows). */
export function maximiseRun(dir: string): Promise<SearchResult> {
  process.env.SLEEPY_MS = '0';
  return search({
    fitness: fixture('objectives-tradeoff.mjs'),
    space: TRADEOFF_SPACE as unknown as SpaceSpec,
    strategy: 'ga',
    strategyOptions: { populationSize: 10 },
    objective: 'accuracy',
    direction: 'maximize',
    budget: 20,
    seed: 3,
    workers: 1,
    out: dir,
  });
}
