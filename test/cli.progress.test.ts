import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, ProgressStats, progressMode, stageLine } from '../src/cli/progress.js';
import { parseSearchOptions } from '../src/options.js';
import type { StudyEvent, TrialRecord } from '../src/study/types.js';

/** A stream that keeps what was written; `isTTY` as a terminal would have it. */
const sink = (isTTY: boolean) => {
  let text = '';
  const s = new Writable({ write: (chunk, _enc, cb) => ((text += String(chunk)), cb()) }) as Writable & { isTTY: boolean; columns: number };
  s.isTTY = isTTY;
  s.columns = 120;
  return { stream: s, text: () => text };
};

/** Events of `n` trials on a fake clock: each trial asked, then finished 500 ms later; trial 3 fails. */
function* trials(n: number, budget: number, clock: { t: number }, replayed = 0): Generator<StudyEvent> {
  let best: { value: number; params: Record<string, never>; trial: number } | undefined;
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const isReplayed = i < replayed;
    if (!isReplayed) yield { type: 'asked', trial: i, generation: 0, x: [0.5], params: {}, seed: 1 };
    if (!isReplayed) clock.t += 500;
    const ok = i !== 3;
    const value = 10 - i;
    if (ok && (!best || value < best.value)) best = { value, params: {}, trial: i };
    if (!ok) failed++;
    const record = {
      number: i,
      generation: 0,
      x: [0.5],
      params: {},
      seed: 1,
      outcome: ok
        ? { state: 'complete', value, metrics: {}, durationMs: 500, worker: 'w' }
        : { state: 'failed', kind: 'error', message: 'boom', durationMs: 500, worker: 'w' },
      replayed: isReplayed,
    } as TrialRecord;
    yield { type: 'finished', record, best, done: i + 1, failed, pruned: 0, budget, resourceSpent: i + 1 };
  }
}

describe('progress', () => {
  it('is a bar on a terminal, plain lines otherwise, and nothing with --json', () => {
    expect(progressMode(false, { isTTY: true })).toBe('bar');
    expect(progressMode(false, { isTTY: false })).toBe('lines');
    expect(progressMode(true, { isTTY: true })).toBe('off');
  });

  it('prints a plain line every 5% of the budget and at the end: done of budget, best, failures, speed, ETA', () => {
    const out = sink(false);
    const clock = { t: 0 };
    const p = createProgress('lines', 40, out.stream, () => clock.t);
    for (const e of trials(40, 40, clock)) p.onEvent(e);
    p.stop();
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe('trial 2/40  best 9 (trial 1)  failed 0  2.0 trials/s  ETA 19s');
    expect(lines.at(-1)).toBe('trial 40/40  best -29 (trial 39)  failed 1  2.0 trials/s  ETA 0s');
  });

  it('counts speed on trials run now, not on trials replayed from the journal', () => {
    const out = sink(false);
    const clock = { t: 0 };
    const p = createProgress('lines', 20, out.stream, () => clock.t);
    for (const e of trials(20, 20, clock, 10)) p.onEvent(e);
    // 10 live trials at 2 per second: the 10 replayed ones, which took no time, do not inflate it.
    expect(out.text()).toContain('trial 20/20  best -9 (trial 19)  failed 1  2.0 trials/s  ETA 0s');
  });

  it('draws a bar with the same facts on a terminal', () => {
    const out = sink(true);
    const clock = { t: 0 };
    const p = createProgress('bar', 12, out.stream, () => clock.t);
    for (const e of trials(12, 12, clock)) p.onEvent(e);
    p.stop();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the terminal escapes the progress bar writes
    const screen = out.text().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(screen).toContain('12/12 trials | best -1 (trial 11) | failed 1 | 2.0/s | ETA 0s');
  });

  it('bases the first ETA on measured trials: 2 workers finishing 1 s trials make 2 per second from the first result', () => {
    const stats = new ProgressStats(20, 2);
    // A generation of 4 asked at once; the pool runs 2 at a time, each trial takes 1 s.
    for (let i = 0; i < 4; i++) stats.update({ type: 'asked', trial: i, generation: 0, x: [0.5], params: {}, seed: 1 }, 0);
    expect(stats.fields(900)).toMatchObject({ rate: '-', remaining: '-' }); // nothing measured yet: no guess
    const finish = (i: number, t: number) => {
      const record = {
        number: i,
        generation: 0,
        x: [0.5],
        params: {},
        seed: 1,
        outcome: { state: 'complete', value: 1, metrics: {}, durationMs: 1000, worker: 'w' },
        replayed: false,
      } as TrialRecord;
      stats.update(
        { type: 'finished', record, best: { value: 1, params: {}, trial: 0 }, done: i + 1, failed: 0, pruned: 0, budget: 20, resourceSpent: i + 1 },
        t,
      );
    };
    finish(0, 1000);
    // The wall clock alone (1 trial in 1 s) would say 1/s and 19 s; the truth is 2/s and 9.5 s.
    expect(stats.fields(1000)).toMatchObject({ rate: '2.0', remaining: '10s' });
    for (const [i, t] of [
      [1, 1000],
      [2, 2000],
      [3, 2000],
    ] as const)
      finish(i, t);
    // Every worker has finished two: from here the wall clock, which sees waits that durations miss.
    expect(stats.fields(2000)).toMatchObject({ rate: '2.0', remaining: '8s' });
  });

  it('says what happens before the first trial: the LR range test, then workers loading tfjs and warming up', () => {
    const o = parseSearchOptions({ task: 'digits', workers: 2, lrBounds: 'auto' });
    expect(stageLine('lr-range-test', o)).toBe('LR range test on the digits task (in this process, before the workers start)...');
    expect(stageLine('workers', o)).toBe('starting 2 workers: loading tfjs (wasm) and the digits task, warming up...');
    expect(stageLine('workers', parseSearchOptions({ fitness: './f.mjs', workers: 1 }))).toBe('starting 1 worker: loading the fitness module...');
  });

  it('writes durations a person reads at a glance', () => {
    expect([42, 185, 3725].map(formatDuration)).toEqual(['42s', '3m05s', '1h02m']);
  });
});
