import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInOrder } from '../src/eval/dispatch.js';

/** Records what ran and how many ran at once; item i takes `ms(i)` milliseconds and resolves to i. */
function tracker(ms: (i: number) => number, fail?: (i: number) => boolean) {
  const started: number[] = [];
  let running = 0;
  let peak = 0;
  const run = async (i: number) => {
    started.push(i);
    peak = Math.max(peak, ++running);
    await sleep(ms(i));
    running--;
    if (fail?.(i)) throw new Error(`item ${i} broke`);
    return i;
  };
  return { run, started, peak: () => peak };
}

const items = [...Array(20).keys()];

describe('runInOrder (how the study hands trials to an evaluator)', () => {
  it('starts every item in order, never more than the window at once, and returns results in item order', async () => {
    const t = tracker((i) => (i % 3) * 3);
    const r = await runInOrder(items, { window: () => 3, run: t.run });
    expect(r.results).toEqual(items);
    expect(t.started).toEqual(items);
    expect(t.peak()).toBe(3);
  });

  it('stops starting items once halt says so, and keeps the results of every item that started', async () => {
    const t = tracker(() => 2);
    const r = await runInOrder(items, { window: () => 2, run: t.run, halt: (v) => v === 6 });
    expect(r.haltedAt).toBe(6);
    // Item 7 was already running when 6 finished.
    expect(r.results).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(t.started).toEqual(r.results);
  });

  it('judges results in item order even when they finish out of order', async () => {
    const seen: number[] = [];
    await runInOrder(items.slice(0, 6), { window: () => 6, run: async (i) => (await sleep(12 - 2 * i), i), halt: (v) => (seen.push(v), false) });
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('waits for running items after one throws, and returns the error with the results before it', async () => {
    const t = tracker(
      (i) => (i === 4 ? 1 : 5),
      (i) => i === 4,
    );
    const r = await runInOrder(items, { window: () => 3, run: t.run });
    expect(r.error).toMatchObject({ message: 'item 4 broke' });
    expect(r.results).toEqual([0, 1, 2, 3]);
    expect(t.started.length).toBeLessThan(items.length);
  });

  it('follows a window that grows while it runs', async () => {
    let window = 1;
    const t = tracker(() => 1);
    await runInOrder(items, { window: () => window, run: async (i) => ((window = i >= 5 ? 4 : 1), t.run(i)) });
    expect(t.peak()).toBe(4);
  });
});
