import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packReports, reportsJson, TrialReports, unpackReports } from '../src/eval/reporting.js';
import type { Report, TrialOutcome } from '../src/eval/types.js';
import { search, type SearchInput } from '../src/search.js';
import { halvingRule, mergeSorted, recordRungs, emptyRungs } from '../src/study/schedulers/rungs.js';
import { readJournal } from '../src/journal/reader.js';
import { trialRows } from '../src/journal/trials.js';

const curve = new URL('./fixtures/curve.mjs', import.meta.url);
const curveSpace = new URL('./fixtures/curve-space.json', import.meta.url).pathname;
const pairs = (list: readonly Report[]) => JSON.stringify(list.map((r) => [r.step, r.value]));
/** Numbers whose decimal text is easy to get wrong: signed zero, subnormals, exponents, the largest double. */
const awkward = [0, -0, 5e-324, 1e-7, -1e-7, 0.1 + 0.2, 1e21, 123456789012345680000, 1.7976931348623157e308, -2.5, 2 ** 53 + 2];

describe('TrialReports (what ctx.report does)', () => {
  it('records finite values in order, prunes at the first check it fails, then answers false without recording', () => {
    const t = new TrialReports({ checks: [{ step: 2, threshold: 1 }] });
    expect(t.report(1, 5)).toBe(true); // no check due before step 2
    expect(t.report(2, Number.NaN)).toBe(true); // not recorded, not checked
    expect(t.report(3, 1.5)).toBe(false); // the step-2 check applies at the first report at or past it
    expect(t.shouldStop()).toBe(true);
    expect(t.report(4, 0)).toBe(false);
    expect(t.outcome(0.5, 1, 'w')).toEqual({
      state: 'pruned',
      value: 1.5,
      step: 3,
      metrics: {},
      durationMs: 1,
      worker: 'w',
      reports: [
        { step: 1, value: 5 },
        { step: 3, value: 1.5 },
      ],
    });
  });

  it('keeps every one of many reports, refuses decreasing steps, and leaves `reports` out when there were none', () => {
    const t = new TrialReports(undefined);
    for (let s = 1; s <= 1000; s++) expect(t.report(s, 1 / s)).toBe(true);
    expect(() => t.report(999, 0)).toThrow(/ctx\.report: steps must not decrease: step 999 after step 1000/);
    const o = t.outcome({ loss: 2, epochs: 1000 }, 3, 'w');
    expect(o.state === 'complete' && o.reports?.length).toBe(1000);
    expect(o.reports?.[999]).toEqual({ step: 1000, value: 1 / 1000 });
    expect('reports' in new TrialReports(undefined).outcome(1, 0, 'w')).toBe(false);
  });
});

describe('reports crossing threads (packReports / unpackReports)', () => {
  const outcomes: TrialOutcome[] = [
    { state: 'complete', value: 1, metrics: { acc: 0.5 }, durationMs: 1, worker: 'a' },
    { state: 'complete', value: 2, metrics: {}, durationMs: 2, worker: 'a', reports: awkward.map((v, i) => ({ step: i + 1, value: v })) },
    { state: 'pruned', value: 3, step: 1, metrics: {}, durationMs: 3, worker: 'a', reports: [{ step: 1, value: 3 }] },
    { state: 'failed', kind: 'error', message: 'boom', durationMs: 4, worker: 'a', reports: [{ step: 0.5, value: -0 }] },
    { state: 'complete', value: 5, metrics: {}, durationMs: 5, worker: 'a', reports: [] },
    { state: 'failed', kind: 'timeout', message: 'late', durationMs: 6, worker: 'a' },
  ];

  it.each([false, true])('give back the same outcomes, `reports` present exactly where it was (journal text: %s)', (json) => {
    const back = unpackReports(structuredClone(packReports(outcomes, json)));
    expect(back).toEqual(outcomes);
    expect(back.map((o) => 'reports' in o)).toEqual(outcomes.map((o) => 'reports' in o));
    expect(Object.is(back[3]!.reports![0]!.value, -0)).toBe(true);
  });

  it('carry every report in one Float64Array, whatever the number of trials', () => {
    const packed = packReports(outcomes, false);
    expect(packed.reports).toBeInstanceOf(Float64Array);
    expect(packed.outcomes.every((o) => o.reports === undefined)).toBe(true);
  });

  it('the journal text a worker formats is what JSON.stringify writes, and the main thread formats the same', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.oneof(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true })), fc.double({ noNaN: true, noDefaultInfinity: true })),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        (raw) => {
          const list = raw.map(([step, value]) => ({ step, value }));
          const o: TrialOutcome = { state: 'complete', value: 0, metrics: {}, durationMs: 0, worker: 'a', reports: list };
          const [fromWorker] = unpackReports(structuredClone(packReports([o], true)));
          expect(reportsJson(fromWorker!.reports!)).toBe(pairs(list));
          expect(reportsJson(list)).toBe(pairs(list));
        },
      ),
    );
  });
});

describe('rung values kept sorted', () => {
  it('give the same thresholds as sorting every value seen, generation after generation', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.double({ noNaN: true, min: -10, max: 10 }), { maxLength: 12 }), { maxLength: 8 }), (gens) => {
        let rungs = emptyRungs([1]);
        const seen: number[] = [];
        gens.forEach((values, g) => {
          rungs = recordRungs(
            rungs,
            values.map((value, i) => ({ number: g * 100 + i, state: 'complete' as const, reports: [{ step: 1, value }] })),
          );
          seen.push(...values);
          const sorted = [...seen].sort((a, b) => a - b);
          expect(rungs.values[0]).toEqual(sorted);
          const m = Math.max(1, Math.floor((seen.length + 1) / 3));
          expect(halvingRule(rungs, 3, 1).checks).toEqual(seen.length === 0 ? [] : [{ step: 1, threshold: sorted[m - 1] }]);
        });
      }),
    );
    expect(mergeSorted([1, 3, 5], [4, 0, 6])).toEqual([0, 1, 3, 4, 5, 6]);
  });
});

describe('reports through the worker pool and the journal', () => {
  it('a module reporting in 2 workers journals every report exactly as it returned it, and a resume replays them', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'evotune-reporting-')), 'run');
    const base = {
      fitness: curve,
      space: curveSpace,
      strategy: 'random',
      seed: 4,
      workers: 2,
      scheduler: 'asha',
      schedulerOptions: { maxResource: 20 },
    } satisfies SearchInput;
    const live = await search({ ...base, budget: 96, out });
    expect(live.pruned).toBeGreaterThan(0);
    const rows = trialRows(readJournal(out), out);
    expect(rows.map((r) => r.outcome.reports)).toEqual(live.history.map((t) => t.outcome.reports));
    // The text itself is JSON.stringify's: every finished line holds its trial's reports as [step, value] pairs.
    const lines = readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n');
    for (const t of live.history) {
      const line = lines.find((l) => l.startsWith(`{"type":"finished","trial":${t.number},`));
      expect(line).toContain(`"reports":${pairs(t.outcome.reports!)}`);
    }
    const replayed = await search({ fitness: curve, resume: out, budget: 128 });
    expect(replayed.history.slice(0, 96).map((t) => t.outcome)).toEqual(live.history.map((t) => t.outcome));
    expect(replayed.history).toHaveLength(128);
  });
});
