import { afterEach, describe, expect, it } from 'vitest';
import { seedsToRun } from '../benchmarks/multi-fidelity.js';

const TASKS = ['digits', 'digits-cnn', 'spirals'];

describe('MULTI_FIDELITY_SEEDS', () => {
  const saved = process.env.MULTI_FIDELITY_SEEDS;
  afterEach(() => {
    if (saved === undefined) delete process.env.MULTI_FIDELITY_SEEDS;
    else process.env.MULTI_FIDELITY_SEEDS = saved;
  });
  const counts = (value: string | undefined) => {
    if (value === undefined) delete process.env.MULTI_FIDELITY_SEEDS;
    else process.env.MULTI_FIDELITY_SEEDS = value;
    return seedsToRun(15, TASKS);
  };

  it("runs the plan's seeds on every task when unset", () => {
    expect(counts(undefined)).toEqual({ digits: 15, 'digits-cnn': 15, spirals: 15 });
  });

  it('takes one count for every task, and task=N for one task', () => {
    expect(counts('6')).toEqual({ digits: 6, 'digits-cnn': 6, spirals: 6 });
    expect(counts('15, digits-cnn=8')).toEqual({ digits: 15, 'digits-cnn': 8, spirals: 15 });
    expect(counts('digits-cnn=4,spirals=2')).toEqual({ digits: 15, 'digits-cnn': 4, spirals: 2 });
  });

  it('refuses an unknown task or a count out of range, naming the variable', () => {
    for (const bad of ['0', '16', 'x', 'wine=3', 'digits=', '3,']) expect(() => counts(bad), bad).toThrow(/MULTI_FIDELITY_SEEDS/);
  });
});
