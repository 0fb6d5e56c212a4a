import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, progressMode } from '../src/cli/progress.js';
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
      outcome: ok ? { state: 'complete', value, metrics: {}, durationMs: 500, worker: 'w' } : { state: 'failed', kind: 'error', message: 'boom', durationMs: 500, worker: 'w' },
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

  it('writes durations a person reads at a glance', () => {
    expect([42, 185, 3725].map(formatDuration)).toEqual(['42s', '3m05s', '1h02m']);
  });
});
