/** Differential evolution: what a user sees beyond the shared contract (test/strategies.conformance.test.ts, test/de-cmaes.test.ts). */
import { describe, expect, it } from 'vitest';
import { de, dePopulationSize } from '../../strategies/de.js';
import { ask, batches, session, tell } from '../helpers/strategy-session.js';

const sphere = (x: readonly number[]) => x.reduce((s, v) => s + (v - 0.3) ** 2, 0);

/** For each trial vector of the second generation, the fewest genes in which it differs from any member. */
function genesChanged(CR: number, variant = 'rand/1/bin'): number[] {
  const s = session(de, 6, { CR, variant, populationSize: 10 });
  const members = ask(s);
  tell(
    s,
    members.map((x) => ({ x, value: sphere(x) })),
  );
  // Every starting point is a member after the first generation (as many as populationSize, no initial points).
  return ask(s).map((trial) => Math.min(...members.map((m) => m.filter((v, d) => v !== trial[d]).length)));
}

describe('de', () => {
  it('sizes the population from the dimension (10 to 20 members) unless populationSize is given', () => {
    const first = (dim: number, raw: object = {}) => ask(session(de, dim, raw)).length;
    expect([first(2), first(15), first(40)]).toEqual([10, 15, 20]);
    expect(dePopulationSize(15)).toBe(15);
    expect(first(2, { populationSize: 7 })).toBe(7);
  });

  it('respects CR: with CR = 0 a trial vector takes exactly one gene from the mutant, with CR = 1 all of them', () => {
    expect(genesChanged(0)).toEqual(Array.from({ length: 10 }, () => 1));
    expect(genesChanged(1).every((n) => n === 6)).toBe(true);
    const half = genesChanged(0.5);
    expect(Math.min(...half)).toBeGreaterThanOrEqual(1);
    expect(half.some((n) => n > 1 && n < 6)).toBe(true);
  });

  it('closes in on an off-centre optimum: the best of the 20th generation is far better than the first one', () => {
    const best = batches(session(de, 4, { populationSize: 10 }), sphere, 20).map((b) => Math.min(...b.map(sphere)));
    expect(best.at(-1)!).toBeLessThan(best[0]! / 10);
  });
});
