import { prepareSearch } from '../src/search/prepare.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { search, type SearchResult } from '../src/search.js';
import { pbt } from '../strategies/pbt.js';
import { rngFor } from '../src/util/rng.js';
import { validateOptions } from '../strategies/options.js';

const toy = new URL('./fixtures/pbt-toy.mjs', import.meta.url);
const curve = new URL('./fixtures/curve.mjs', import.meta.url);
const space = { lr: { type: 'float', low: 1e-4, high: 0.4, log: true } } as const;
const lineageOf = (r: SearchResult) =>
  r.history.map((t) => [t.number, t.parent ?? null, t.segment, t.x, t.outcome.state === 'complete' ? t.outcome.value : t.outcome.state]);

describe('pbt strategy', () => {
  const options = validateOptions('pbt', pbt.options, { population: 8, readyEpochs: 2 });

  it('asks the whole population per round with segments; the bottom quarter continues from the top quarter', () => {
    const setup = { dim: 2, options, resource: 6, mutable: [true, false] };
    let s = pbt.init({ ...setup, rng: rngFor(1, 'i') });
    const first = pbt.ask(s, rngFor(1, 'a', 0), setup);
    expect(first.xs).toHaveLength(8);
    expect(first.plans?.every((p) => p.parent === undefined && p.segment.from === 0 && p.segment.to === 2)).toBe(true);
    s = pbt.tell(
      first.state,
      first.xs.map((x, i) => ({ x, value: i })),
      rngFor(1, 't', 0),
      setup,
    );
    const second = pbt.ask(s, rngFor(1, 'a', 1), setup);
    const parents = second.plans!.map((p) => p.parent);
    // Members 0..5 continue from themselves; 6 and 7 (the worst two) from one of 0 and 1.
    expect(parents.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(parents.slice(6).every((p) => p === 0 || p === 1)).toBe(true);
    // The frozen gene (an architecture gene) is copied; the mutable one is perturbed.
    second.xs.slice(6).forEach((x, i) => expect(x[1]).toBe(first.xs[parents[6 + i]!]![1]));
    expect(second.plans![0]!.segment).toEqual({ from: 2, to: 4 });
    s = pbt.tell(
      second.state,
      second.xs.map((x) => ({ x, value: 1 })),
      rngFor(1, 't', 1),
      setup,
    );
    const third = pbt.ask(s, rngFor(1, 'a', 2), setup);
    expect(third.plans![0]!.segment).toEqual({ from: 4, to: 6 });
    s = pbt.tell(
      third.state,
      third.xs.map((x) => ({ x, value: 1 })),
      rngFor(1, 't', 2),
      setup,
    );
    expect(pbt.ask(s, rngFor(1, 'a', 3), setup).xs).toEqual([]);
  });

  it('a failed member is always replaced (it has no checkpoint to continue from)', () => {
    const setup = { dim: 1, options, resource: 4 };
    let s = pbt.init({ ...setup, rng: rngFor(2, 'i') });
    const first = pbt.ask(s, rngFor(2, 'a', 0), setup);
    s = pbt.tell(
      first.state,
      first.xs.map((x, i) => ({ x, value: i === 2 ? Infinity : i })),
      rngFor(2, 't', 0),
      setup,
    );
    const parents = pbt.ask(s, rngFor(2, 'a', 1), setup).plans!.map((p) => p.parent);
    expect(parents[2]).not.toBe(2);
  });
});

describe('pbt in a search', () => {
  const base = { fitness: toy, space, strategy: 'pbt', strategyOptions: { population: 8, readyEpochs: 2 }, seed: 4, budgetEpochs: 80 } as const;

  it('the same lineage and best with 1 and 2 workers; the lineage and LR schedule of the best are reported', async () => {
    const [one, two] = [await search({ ...base, workers: 1 }), await search({ ...base, workers: 2 })];
    expect(lineageOf(two)).toEqual(lineageOf(one));
    expect(two.best).toEqual(one.best);
    expect(one.trials).toBe(8 * 5); // 80 epochs / 8 members = 10 epochs each, in rounds of 2
    expect(one.resourceSpent).toBe(80);
    expect(one.stoppedBy).toBe('budget');
    const steps = one.lineage!.steps;
    expect(steps.map((s) => s.segment.from)).toEqual([0, 2, 4, 6, 8].slice(0, steps.length));
    expect(steps.at(-1)!.trial).toBe(one.best!.trial);
    expect(one.lineage!.lrSchedule!.length).toBeGreaterThan(0);
    // Continuing training works: the best after 10 epochs is far below any 2-epoch value of the first round.
    const firstRound = one.history.filter((t) => t.generation === 0).map((t) => (t.outcome.state === 'complete' ? t.outcome.value : Infinity));
    expect(one.best!.value).toBeLessThan(Math.min(...firstRound));
  });

  it('a resume after a stop gives the same final result (checkpoints come back from the run folder)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'evotune-pbt-')), 'run');
    const whole = await search({ ...base, workers: 1 });
    const stop = new AbortController();
    await search({ ...base, workers: 1, out, stopSignal: stop.signal, onEvent: (e) => e.type === 'finished' && e.done === 12 && stop.abort() });
    const resumed = await search({ fitness: toy, resume: out });
    expect(lineageOf(resumed)).toEqual(lineageOf(whole));
    expect(resumed.best).toEqual(whole.best);
  });

  it.each([
    [{ fitness: curve, space, strategy: 'pbt', budgetEpochs: 80 }, /does not declare that it can/],
    [{ ...base, scheduler: 'asha' }, /schedules its own trainings; it takes no --scheduler/],
    [{ ...base, budgetEpochs: undefined }, /needs to know how long a training is: give --budget-epochs/],
    [
      { ...base, strategyOptions: { population: 1 } },
      /strategy "pbt" option "population": expected a whole number >= 2, or null for automatic, got 1/,
    ],
  ])('bad input is a usage error (%#)', async (input, message) => {
    await expect(search(input as never)).rejects.toMatchObject({ kind: 'usage', message: expect.stringMatching(message) });
  });
});

describe('pbt population left to the search', () => {
  const prepared = (budgetEpochs: number, strategyOptions?: Record<string, unknown>) =>
    prepareSearch({ task: 'wine', strategy: 'pbt', budgetEpochs, ...(strategyOptions ? { strategyOptions } : {}) });

  it('holds as many full trainings as the budget (a lineage trains about one training of the task), 8 to 64', async () => {
    // wine trains at most 60 epochs (its space's largest): 3000 epochs are 50 members of 60 epochs each.
    const wide = await prepared(3000);
    expect(wide.strategy.options.population).toBe(50);
    expect(wide.lineage!.resource).toBe(60);
    // A small budget still gets a population worth selecting from; a large one is capped.
    expect((await prepared(100)).strategy.options.population).toBe(8);
    expect((await prepared(100)).lineage!.resource).toBe(12);
    expect((await prepared(60_000)).strategy.options.population).toBe(64);
  });

  it('a population the user gives is kept: the budget is then shared by those members', async () => {
    const given = await prepared(3000, { population: 16 });
    expect(given.strategy.options.population).toBe(16);
    expect(given.lineage!.resource).toBe(187);
  });
});
