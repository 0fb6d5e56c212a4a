/**
 * A trial's group key without a model: bundled tasks give their layout (Task.layout), a task without one has its
 * model built once per distinct architecture. Either way the key must be the one the built model gives.
 */
import { describe, expect, it } from 'vitest';
import { Space } from '../src/space/codec.js';
import type { Params } from '../src/space/spec.js';
import { loadTf } from '../src/tf/backend.js';
import { stagesOf } from '../src/tf/gradients.js';
import { layoutOf } from '../src/tf/vectorised.js';
import { trainConfig } from '../src/tasks/config.js';
import { groupKey } from '../src/tasks/group-train.js';
import { BUNDLED_TASKS, resolveTask } from '../src/tasks/registry.js';
import type { Task } from '../src/tasks/types.js';
import { rngFor } from '../src/util/rng.js';

/** The derivation before Task.layout: build the trial's model, read its stages, key them. */
function builtKey(task: Task, params: Params, ctx: { tf: Awaited<ReturnType<typeof loadTf>>['tf']; backend: string }): string | undefined {
  const merged = { ...task.defaults, ...params };
  const cfg = trainConfig(task.name, merged);
  const model = task.build(merged, { ...ctx, seed: 0 });
  try {
    const stages = stagesOf(model);
    return stages && JSON.stringify([task.name, layoutOf(stages).layout, cfg.batchSize, cfg.epochs, cfg.optimizer.kind]);
  } finally {
    model.dispose();
  }
}

/** Params drawn uniformly from the task's space, plus the edge cases that change a layout (no dropout, defaults). */
function sampled(task: Task, n: number): Params[] {
  const space = new Space(task.space);
  const rng = rngFor(7, 'group-key', task.name);
  const draws = Array.from({ length: n }, () => space.decode(Array.from({ length: space.dim }, () => rng())));
  return [{}, ...draws, ...draws.slice(0, 3).map((p) => ({ ...p, dropout: 0 }))];
}

/** The task with a build that counts its calls. */
function counting(task: Task): { task: Task; builds: () => number } {
  let builds = 0;
  return {
    task: {
      ...task,
      build: (p, ctx) => {
        builds++;
        return task.build(p, ctx);
      },
    },
    builds: () => builds,
  };
}

describe('group keys without building models', () => {
  it('every bundled task: the key from its layout equals the built model key on sampled params, and builds nothing', async () => {
    const { tf, backend } = await loadTf({ backend: 'cpu' });
    for (const task of Object.values(BUNDLED_TASKS)) {
      expect(task.layout, task.name).toBeTypeOf('function');
      const params = sampled(task, 40);
      const old = params.map((p) => builtKey(task, p, { tf, backend }));
      const { task: watched, builds } = counting(task);
      const before = tf.memory().numTensors;
      // No tfjs at all: groupKey gets no context, so it could not build a model if it tried.
      const keys = params.map((p) => groupKey(watched, p));
      expect(tf.memory().numTensors, task.name).toBe(before);
      expect(builds(), task.name).toBe(0);
      expect(keys, task.name).toEqual(old);
      if (task.name !== 'digits-cnn') expect(new Set(keys).size, task.name).toBeGreaterThan(1);
    }
    expect(groupKey(BUNDLED_TASKS['digits-cnn']!, {})).toBeUndefined();
  });

  it('a task without layout: one model per distinct architecture, the same keys, no tensors left', async () => {
    const { tf, backend } = await loadTf({ backend: 'cpu' });
    const tiny = await resolveTask(new URL('./fixtures/tiny-task.mjs', import.meta.url).href);
    expect(tiny.layout).toBeUndefined();
    const params: Params[] = sampled(tiny, 30)
      .filter((p) => !('dropout' in p))
      .map((p, i) => ({ ...p, batchSize: [4, 8][i % 2]! }));
    const old = params.map((p) => builtKey(tiny, p, { tf, backend }));
    const { task, builds } = counting(tiny);
    const before = tf.memory().numTensors;
    expect(params.map((p) => groupKey(task, p, { tf, backend }))).toEqual(old);
    expect(tf.memory().numTensors).toBe(before);
    // lr and batchSize vary on every trial; only units changes the model.
    const architectures = new Set(params.map((p) => p.units ?? tiny.defaults.units)).size;
    expect(builds()).toBe(architectures);
    expect(architectures).toBeLessThan(params.length);
    // Asked again, nothing is built.
    params.forEach((p) => groupKey(task, p, { tf, backend }));
    expect(builds()).toBe(architectures);
  });
});
