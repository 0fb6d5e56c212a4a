import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { search, type SearchInput, type SearchResult } from '../src/search.js';
import { journalLineSchema } from '../src/journal/format.js';
import type { FitnessContext } from '../src/eval/types.js';
import type { Params } from '../src/space/spec.js';

const space = {
  lr: { type: 'float', low: 1e-4, high: 1, log: true },
  units: { type: 'int', low: 8, high: 64, log: false },
  act: { type: 'categorical', choices: ['relu', 'tanh'] },
} as const;
const score = (p: Params) => (Math.log10(Number(p.lr)) + 2) ** 2 + (Number(p.units) - 32) ** 2 / 100 + (p.act === 'tanh' ? 0.5 : 0);
const fitness = (p: Params) => score(p);
const base = { fitness, space, strategy: 'ga', strategyOptions: { populationSize: 8 }, seed: 11 } satisfies SearchInput;
const tmp = () => join(mkdtempSync(join(tmpdir(), 'evotune-resume-')), 'run');

/** What must not change when a run is interrupted and resumed: every trial's point and value, and the best. */
const trialsOf = (r: SearchResult) => r.history.map((t) => [t.number, t.x, t.outcome.state !== 'failed' ? t.outcome.value : t.outcome.kind]);
const journalLines = (dir: string) =>
  readFileSync(join(dir, 'journal.jsonl'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => journalLineSchema.parse(JSON.parse(l)));

describe('resume', () => {
  it('after a stop between generations: finished trials are not rerun; trials and best equal an uninterrupted run', async () => {
    const whole = await search({ ...base, budget: 40 });
    const out = tmp();
    const stop = new AbortController();
    // The study stops asking once the generation that was running when it was told to stop has finished.
    const first = await search({
      ...base,
      budget: 40,
      out,
      stopSignal: stop.signal,
      onEvent: (e) => e.type === 'finished' && e.done === 10 && stop.abort(),
    });
    expect(first.stoppedBy).toBe('stopped');
    expect(first.trials).toBe(14);

    let calls = 0;
    const resumed = await search({ fitness: (p: Params) => (calls++, score(p)), resume: out });
    expect(calls).toBe(40 - 14);
    expect(trialsOf(resumed)).toEqual(trialsOf(whole));
    expect(resumed.best).toEqual(whole.best);
    expect(resumed.history.filter((t) => t.replayed)).toHaveLength(14);
  });

  it('after an abort in the middle of a generation: the trial that was running runs again', async () => {
    const whole = await search({ ...base, budget: 30 });
    const out = tmp();
    const abort = new AbortController();
    // Aborted while trial 13 runs (generation 1 of 8-trial generations): trials 8..12 finished, 13 did not.
    const aborting = async (p: Params, ctx: FitnessContext) => {
      if (ctx.trial === 13) {
        abort.abort();
        await new Promise((r) => setTimeout(r, 5));
      }
      return score(p);
    };
    const first = await search({ ...base, fitness: aborting, budget: 30, out, abortSignal: abort.signal });
    expect(first.stoppedBy).toBe('stopped');
    const finished = journalLines(out).flatMap((l) => (l.type === 'finished' ? [l.trial] : []));
    expect(finished).toEqual([...Array(13).keys()]);

    const ran: number[] = [];
    const resumed = await search({ fitness: (p: Params, ctx: FitnessContext) => (ran.push(ctx.trial), score(p)), resume: out });
    expect(ran[0]).toBe(13);
    expect(trialsOf(resumed)).toEqual(trialsOf(whole));
    expect(resumed.best).toEqual(whole.best);
  });

  it('may raise the budget: the result equals a run made with the larger budget, and the journal says what changed', async () => {
    const whole = await search({ ...base, budget: 45 });
    const out = tmp();
    await search({ ...base, budget: 20, out });
    const more = await search({ fitness, resume: out, budget: 45 });
    expect(trialsOf(more)).toEqual(trialsOf(whole));
    expect(more.best).toEqual(whole.best);
    expect(journalLines(out).filter((l) => l.type === 'resumed')).toEqual([expect.objectContaining({ changed: { budget: { from: 20, to: 45 } } })]);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).budget).toBe(45);
  });

  it('refuses options that would change the trials, naming the option and what may change', async () => {
    const out = tmp();
    await search({ ...base, budget: 8, out });
    await expect(search({ fitness, resume: out, seed: 12 })).rejects.toMatchObject({
      code: 'E_RESUME',
      message: `resume ${out}: "seed" is 12 but the run used 11`,
      hint: expect.stringContaining('"budget"'),
    });
    await expect(search({ fitness, resume: out, strategy: 'random' })).rejects.toMatchObject({
      code: 'E_RESUME',
      message: expect.stringContaining('"strategy" is "random" but the run used "ga"'),
    });
  });

  it('refuses a space file edited since the run started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evotune-resume-'));
    const spaceFile = join(dir, 'space.json');
    writeFileSync(spaceFile, JSON.stringify(space));
    const out = join(dir, 'run');
    await search({ ...base, space: spaceFile, budget: 8, out });
    writeFileSync(spaceFile, JSON.stringify({ ...space, units: { type: 'int', low: 8, high: 128, log: false } }));
    await expect(search({ fitness, resume: out })).rejects.toMatchObject({ code: 'E_RESUME', message: expect.stringContaining('the space differs') });
  });

  it('needs the same function again for a run of a function passed in code', async () => {
    const out = tmp();
    await search({ ...base, budget: 8, out });
    await expect(search({ resume: out })).rejects.toMatchObject({ code: 'E_RESUME', hint: expect.stringContaining('search({ resume: dir, fitness') });
  });

  it('tolerates a torn last line: warns, cuts it off and keeps appending whole lines', async () => {
    const whole = await search({ ...base, budget: 24 });
    const out = tmp();
    const stop = new AbortController();
    await search({ ...base, budget: 24, out, stopSignal: stop.signal, onEvent: (e) => e.type === 'finished' && e.done === 10 && stop.abort() });
    appendFileSync(join(out, 'journal.jsonl'), '{"type":"asked","trial":8,"gen');
    const warnings: string[] = [];
    const resumed = await search({ fitness, resume: out, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([expect.stringContaining('ignored a truncated last line')]);
    expect(() => journalLines(out)).not.toThrow();
    expect(trialsOf(resumed)).toEqual(trialsOf(whole));
  });
});
