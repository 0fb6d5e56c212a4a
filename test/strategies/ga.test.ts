/** The genetic algorithm: what a user sees beyond the shared contract (test/strategies.conformance.test.ts). */
import { describe, expect, it } from 'vitest';
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
});
