/** SMS-EMOA: what a user sees beyond the shared contract; its hypervolume survival is in test/nsga2.test.ts. */
import { describe, expect, it } from 'vitest';
import { smsemoa } from '../../strategies/smsemoa.js';
import { batches, session } from '../helpers/strategy-session.js';

const zdt1 = (x: readonly number[]) => {
  const g = 1 + (9 * (x[1]! + x[2]!)) / 2;
  return [x[0]!, g * (1 - Math.sqrt(x[0]! / g))];
};
const score = (x: readonly number[]) => ({ value: zdt1(x)[0]!, values: zdt1(x) });

describe('smsemoa', () => {
  it('asks the population first, then `offspring` children per generation (1: the original steady state)', () => {
    expect(batches(session(smsemoa, 3, { populationSize: 12, offspring: 4 }), score, 4).map((b) => b.length)).toEqual([12, 4, 4, 4]);
    expect(batches(session(smsemoa, 3, { populationSize: 12, offspring: 1 }), score, 3).map((b) => b.length)).toEqual([12, 1, 1]);
  });

  it('keeps its children spread along the front', () => {
    const last = batches(session(smsemoa, 3, { populationSize: 20 }), score, 60)
      .slice(-10)
      .flat()
      .map((x) => x[0]!);
    expect(Math.max(...last) - Math.min(...last)).toBeGreaterThan(0.5);
  });
});
