import { describe, expect, it } from 'vitest';
import { loadTf } from '../src/tf/backend.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { trainSchedule } from '../src/tasks/replay.js';
import { trainAndEvaluate } from '../src/tasks/train.js';

describe('trainSchedule: a PBT lineage trained again from scratch', () => {
  it('pieces with the same hyperparameters equal one straight training; a changed LR changes the result', async () => {
    const { tf } = await loadTf({ backend: 'wasm' });
    const task = BUNDLED_TASKS.wine!;
    const ctx = { tf, backend: 'wasm', seed: 9 };
    const params = { epochs: 6, lr: 3e-3, optimizer: 'adam' };
    const straight = await trainAndEvaluate(task, params, ctx);
    const pieces = [0, 2, 4].map((from) => ({ segment: { from, to: from + 2 }, params }));
    const replayed = await trainSchedule(task, pieces, ctx);
    expect(replayed.loss).toBe(straight.loss);
    const evolved = pieces.map((p, i) => (i === 2 ? { ...p, params: { ...params, lr: 3e-4 } } : p));
    expect((await trainSchedule(task, evolved, ctx)).loss).not.toBe(straight.loss);
  }, 60_000);

  it('stops at a segment that diverges, with its NaN loss', async () => {
    const { tf } = await loadTf({ backend: 'wasm' });
    const params = { epochs: 4, lr: 0.05, optimizer: 'sgd', momentum: 0.9 };
    const steps = [
      { segment: { from: 0, to: 2 }, params },
      { segment: { from: 2, to: 3 }, params: { ...params, lr: 1e6 } },
      { segment: { from: 3, to: 4 }, params },
    ];
    const r = await trainSchedule(BUNDLED_TASKS.iris!, steps, { tf, backend: 'wasm', seed: 1 });
    expect(r.diverged).toBe(true);
    expect(r.loss).toBeNaN();
  }, 60_000);
});
