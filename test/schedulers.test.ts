import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { search, type SearchInput, type SearchResult } from '../src/search.js';
import { SCHEDULERS, resolveScheduler } from '../src/study/schedulers/index.js';
import { halvingRule, recordRungs, emptyRungs, rungSteps } from '../src/study/schedulers/rungs.js';
import { bracketOf } from '../src/study/schedulers/hyperband.js';
import type { FitnessContext } from '../src/eval/types.js';
import type { Params } from '../src/space/spec.js';
import { readJournal } from '../src/journal/reader.js';
import { trialRows } from '../src/journal/trials.js';

const curve = new URL('./fixtures/curve.mjs', import.meta.url);
const curveSpace = new URL('./fixtures/curve-space.json', import.meta.url).pathname;
const tmp = () => join(mkdtempSync(join(tmpdir(), 'evotune-sched-')), 'run');

/** An in-process learning curve: the loss after step t falls towards the quadratic's value at (x, y). */
const inlineCurve = (p: Params, ctx: FitnessContext) => {
  const final = (Number(p.x) - 0.3) ** 2 + (Number(p.y) + 0.2) ** 2;
  let loss = NaN;
  for (let step = 1; step <= 20; step++) {
    loss = final + 2 / step + ((ctx.seed % 1000) / 1000 - 0.5) * 0.01;
    if (!ctx.report(step, loss)) break;
  }
  return loss;
};
const space = { x: { type: 'float', low: -2, high: 2 }, y: { type: 'float', low: -2, high: 2 } } as const;

const trialsOf = (r: SearchResult) =>
  r.history.map((t) => [
    t.number,
    t.x,
    t.outcome.state,
    t.outcome.state === 'failed' ? t.outcome.kind : t.outcome.value,
    t.outcome.state === 'pruned' ? t.outcome.step : null,
  ]);

describe('scheduler rules (plain data)', () => {
  it('rungs sit at minResource * eta^k below the full resource', () => {
    expect(rungSteps(1, 20, 3)).toEqual([1, 3, 9]);
    expect(rungSteps(2, 8, 2)).toEqual([2, 4]);
  });

  it('successive halving keeps the top 1/eta of a rung (its own value counted) and prunes nothing on too few values', () => {
    let rungs = emptyRungs([1, 3]);
    rungs = recordRungs(
      rungs,
      [1, 2, 3, 4, 5].map((v, i) => ({
        number: i,
        state: 'complete' as const,
        reports: [
          { step: 1, value: v },
          { step: 3, value: v / 2 },
        ],
      })),
    );
    // 5 earlier values: m = floor(6 / 3) = 2, so a trial at rung 1 must be at most the 2nd smallest (2).
    expect(halvingRule(rungs, 3, 3).checks).toEqual([
      { step: 1, threshold: 2 },
      { step: 3, threshold: 1 },
    ]);
    expect(halvingRule(rungs, 3, 6).checks).toEqual([]);
    // A failed trial's reports do not count; a pruned one's count at the rungs it reached.
    const more = recordRungs(rungs, [
      { number: 5, state: 'failed', reports: [{ step: 1, value: -100 }] },
      { number: 6, state: 'pruned', reports: [{ step: 1, value: 0 }] },
    ]);
    expect(more.values[0]).toHaveLength(6);
    expect(more.values[1]).toHaveLength(5);
  });

  it('hyperband gives the aggressive brackets more trials, interleaved', () => {
    const { scheduler, options } = resolveScheduler('hyperband', { maxResource: 20 });
    const state = scheduler.init(options, {});
    const counts = [0, 0, 0];
    for (let n = 0; n < 17; n++) counts[bracketOf(state.pattern, n)]!++;
    expect(counts).toEqual([9, 5, 3]);
    expect(state.brackets.map((b: { rungs: { steps: number[] } }) => b.rungs.steps)).toEqual([[1, 3, 9], [3, 9], [9]]);
  });

  it.each(Object.keys(SCHEDULERS))('%s: state survives JSON and plans the same rules from it', (name) => {
    const { scheduler, options } = resolveScheduler(name, name === 'median' ? { minTrials: 2 } : { maxResource: 20 });
    let state = scheduler.init(options, {});
    const finished = Array.from({ length: 40 }, (_, i) => ({
      number: i,
      state: 'complete' as const,
      reports: Array.from({ length: 20 }, (_, s) => ({ step: s + 1, value: ((i * 7) % 12) + 1 / (s + 1) })),
    }));
    state = scheduler.tell(state, finished);
    const copy = JSON.parse(JSON.stringify(state));
    const trials = [40, 41, 42, 43];
    expect(scheduler.plan(copy, trials)).toEqual(scheduler.plan(state, trials));
    expect(scheduler.plan(state, trials).every((r) => r !== undefined && r.checks.length > 0)).toBe(true);
  });
});

describe('schedulers in a search', () => {
  it.each(['median', 'asha', 'hyperband'])('%s: the same trials, prunings and best with 1 and 2 workers', async (scheduler) => {
    const run = (workers: number) =>
      search({
        fitness: curve,
        space: curveSpace,
        strategy: 'ga',
        budget: 60,
        workers,
        seed: 3,
        scheduler,
        ...(scheduler === 'median' ? {} : { schedulerOptions: { maxResource: 20 } }),
      });
    const [one, two] = [await run(1), await run(2)];
    expect(one.pruned).toBeGreaterThan(0);
    expect(trialsOf(two)).toEqual(trialsOf(one));
    expect(two.best).toEqual(one.best);
    expect(two.prunedByStep).toEqual(one.prunedByStep);
    // Nothing is pruned in the first generation: there is nothing earlier to compare with.
    expect(one.history.filter((t) => t.generation === 0).every((t) => t.outcome.state === 'complete')).toBe(true);
    // Pruning saves resource: fewer steps than 60 full trials.
    expect(one.resourceSpent).toBeLessThan(60 * 20);
    expect(one.best && one.history[one.best.trial]!.outcome.state).toBe('complete');
  });

  it('pruned trials are journaled with their reports and the step they reached; a resume replays them', async () => {
    const out = tmp();
    const base = {
      fitness: inlineCurve,
      space,
      strategy: 'ga',
      seed: 5,
      scheduler: 'asha',
      schedulerOptions: { maxResource: 20 },
    } satisfies SearchInput;
    const whole = await search({ ...base, budget: 60 });
    const stop = new AbortController();
    await search({ ...base, budget: 60, out, stopSignal: stop.signal, onEvent: (e) => e.type === 'finished' && e.done === 25 && stop.abort() });
    const rows = trialRows(readJournal(out), out);
    const pruned = rows.filter((r) => r.outcome.state === 'pruned');
    expect(pruned.length).toBeGreaterThan(0);
    for (const r of pruned) {
      const o = r.outcome as Extract<typeof r.outcome, { state: 'pruned' }>;
      expect(o.reports.at(-1)).toEqual({ step: o.step, value: o.value });
    }
    expect(rows.filter((r) => r.outcome.state === 'complete').every((r) => r.outcome.reports?.length === 20)).toBe(true);
    const resumed = await search({ fitness: inlineCurve, resume: out });
    expect(trialsOf(resumed)).toEqual(trialsOf(whole));
    expect(resumed.pruned).toBe(whole.pruned);
    expect(readFileSync(join(out, 'journal.jsonl'), 'utf8')).toContain('"state":"pruned"');
  });

  it('a resource budget stops the search once the trials used it, and the result says how much they used', async () => {
    const r = await search({
      fitness: inlineCurve,
      space,
      strategy: 'random',
      seed: 1,
      scheduler: 'asha',
      schedulerOptions: { maxResource: 20 },
      budgetEpochs: 300,
    });
    expect(r.resourceSpent).toBeGreaterThanOrEqual(300);
    // It stops at the first generation boundary past the budget.
    const last = r.history.at(-1)!.generation;
    const before = r.history.filter((t) => t.generation < last).reduce((s, t) => s + (t.outcome.reports?.at(-1)?.step ?? 0), 0);
    expect(before).toBeLessThan(300);
    expect(r.budgetEpochs).toBe(300);
  });

  it('a trial that throws after reporting is failed, not pruned, and keeps its reports', async () => {
    const r = await search({
      fitness: (_p: Params, ctx: FitnessContext) => {
        ctx.report(1, 5);
        ctx.report(2, 4);
        if (ctx.trial % 2 === 1) throw new Error('boom');
        return 3;
      },
      space,
      strategy: 'random',
      budget: 6,
      seed: 2,
      scheduler: 'median',
    });
    const failed = r.history.filter((t) => t.outcome.state === 'failed');
    expect(failed).toHaveLength(3);
    expect(failed.every((t) => t.outcome.reports?.length === 2)).toBe(true);
    expect(r.pruned).toBe(0);
  });

  it('a report with a decreasing step fails the trial with a message naming ctx.report', async () => {
    const r = await search({
      fitness: (_p: Params, ctx: FitnessContext) => {
        ctx.report(3, 1);
        ctx.report(2, 1);
        return 1;
      },
      space,
      strategy: 'random',
      budget: 2,
      maxConsecutiveFailures: 0,
    });
    const o = r.history[0]!.outcome;
    expect(o.state === 'failed' && o.message).toMatch(/ctx\.report: steps must not decrease/);
  });

  it.each([
    [{ scheduler: 'sha' }, /unknown scheduler "sha"; expected one of: median, asha, hyperband/],
    [{ scheduler: 'asha', schedulerOptions: { reductionFactor: 1 } }, /scheduler "asha" option "reductionFactor": expected a number >= 2, got 1/],
    [
      { scheduler: 'asha', schedulerOptions: { maxResource: 10, minResource: 10 } },
      /option "minResource": expected less than maxResource \(10\), got 10/,
    ],
    [{ scheduler: 'hyperband' }, /option "maxResource": expected the resource of a full trial/],
    [{ schedulerOptions: { maxResource: 3 } }, /schedulerOptions given without a scheduler/],
  ])('bad scheduler input is a usage error: %j', async (extra, message) => {
    await expect(search({ fitness: curve, space: curveSpace, budget: 4, ...extra } as SearchInput)).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringMatching(message),
    });
  });
});
