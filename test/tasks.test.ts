import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isEvotuneError } from '../src/errors.js';
import type { Params } from '../src/space/spec.js';
import { loadTf } from '../src/tf/backend.js';
import { BUNDLED_TASKS, resolveTask } from '../src/tasks/registry.js';
import { loadTaskFitness } from '../src/tasks/runtime.js';
import { openSession, trainAndEvaluate } from '../src/tasks/train.js';
import type { Task, TaskContext } from '../src/tasks/types.js';

const tiny = fileURLToPath(new URL('./fixtures/tiny-task.mjs', import.meta.url));
const caught = async (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

async function ctx(backend: 'wasm' | 'cpu', seed: number): Promise<TaskContext> {
  const { tf } = await loadTf({ backend });
  return { tf, backend, seed };
}

/** A short budget: one epoch of large batches. */
const SHORT: Params = { epochs: 1, batchSize: 64 };

describe('bundled tasks', () => {
  it('are the six the issue lists', () => {
    expect(Object.keys(BUNDLED_TASKS).sort()).toEqual(['digits', 'digits-cnn', 'iris', 'sine', 'spirals', 'wine']);
  });

  for (const task of Object.values(BUNDLED_TASKS)) {
    it(`${task.name}: builds, trains and scores with a finite validation loss`, async () => {
      const r = await trainAndEvaluate(task, SHORT, await ctx('wasm', 1));
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.steps).toBeGreaterThan(0);
      if (task.kind === 'classification') expect(r.accuracy).toBeGreaterThanOrEqual(0);
      else expect(r.accuracy).toBeUndefined();
    });
  }

  it('learn: a default digits evaluation beats chance by far', async () => {
    const r = await trainAndEvaluate(BUNDLED_TASKS.digits!, {}, await ctx('wasm', 3));
    expect(r.accuracy).toBeGreaterThan(0.9);
    expect(r.loss).toBeLessThan(0.5);
  });
});

describe('determinism', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`same params and seed give the same validation loss on ${backend}; another seed does not`, async () => {
      const task = BUNDLED_TASKS.digits!;
      const params = { ...SHORT, dropout: 0.3, schedule: 'onecycle' };
      const a = await trainAndEvaluate(task, params, await ctx(backend, 7));
      const b = await trainAndEvaluate(task, params, await ctx(backend, 7));
      const c = await trainAndEvaluate(task, params, await ctx(backend, 8));
      expect(b.loss).toBe(a.loss);
      expect(c.loss).not.toBe(a.loss);
    });
  }

  it('the conv task (direct conv gradients) is reproducible too', async () => {
    const task = BUNDLED_TASKS['digits-cnn']!;
    const a = await trainAndEvaluate(task, SHORT, await ctx('wasm', 5));
    const b = await trainAndEvaluate(task, SHORT, await ctx('wasm', 5));
    expect(a.gradients).toBe('direct');
    expect(b.loss).toBe(a.loss);
  });
});

describe('the direct MLP gradients', () => {
  it('train exactly like tfjs autodiff on the same model', async () => {
    // The same layers as a functional model take the tape path; weights are seeded alike.
    const base = BUNDLED_TASKS.digits!;
    const functional: Task = {
      ...base,
      build: (p, c) => {
        const seq = base.build(p, c);
        const model = c.tf.model({ inputs: seq.inputs, outputs: seq.outputs });
        return model;
      },
    };
    for (const [backend, optimizer] of [
      ['cpu', 'adam'],
      ['cpu', 'sgd'],
      ['cpu', 'rmsprop'],
      ['wasm', 'adam'],
    ] as const) {
      const params = { ...SHORT, optimizer, weightDecay: 1e-3, lr: 0.01 };
      const direct = await trainAndEvaluate(base, params, await ctx(backend, 11));
      const tape = await trainAndEvaluate(functional, params, await ctx(backend, 11));
      expect(direct.gradients).toBe('direct');
      expect(tape.gradients).toBe('tape');
      expect(direct.loss).toBeCloseTo(tape.loss, 4);
    }
  });
});

describe('training outcomes', () => {
  it('a diverging run scores NaN, so that the study records a failed trial', async () => {
    const r = await trainAndEvaluate(BUNDLED_TASKS.iris!, { epochs: 3, optimizer: 'sgd', lr: 1e6, momentum: 0.9 }, await ctx('wasm', 1));
    expect(r.loss).toBeNaN();
    expect(r.diverged).toBe(true);
  });

  it('a bad hyperparameter is an error naming it', async () => {
    const e = await caught(trainAndEvaluate(BUNDLED_TASKS.iris!, { optimizer: 'adamw' }, await ctx('wasm', 1)));
    expect(isEvotuneError(e)).toBe(true);
    expect((e as Error).message).toBe('task iris: param "optimizer": expected one of adam, sgd, rmsprop, got "adamw"');
  });

  it('an aborted signal stops training', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    const c = { ...(await ctx('wasm', 1)), signal: controller.signal };
    await expect(trainAndEvaluate(BUNDLED_TASKS.digits!, {}, c)).rejects.toThrow('stop now');
  });
});

describe('openSession (for the LR range test)', () => {
  it('trains at the LR it is given, returns one loss per step, and frees its tensors', async () => {
    const c = await ctx('wasm', 2);
    const before = c.tf.memory().numTensors;
    const s = await openSession(BUNDLED_TASKS.digits!, { batchSize: 32 }, c);
    expect(s.stepsPerEpoch).toBe(Math.floor(1438 / 32));
    s.setLearningRate(1e-3);
    const calm = await s.trainSteps(60); // crosses an epoch boundary
    expect(calm).toHaveLength(60);
    expect(calm.every(Number.isFinite)).toBe(true);
    expect(calm.slice(-10).reduce((a, b) => a + b) / 10).toBeLessThan(calm.slice(0, 10).reduce((a, b) => a + b) / 10);
    s.setLearningRate(1e4);
    const wild = await s.trainSteps(5);
    expect(Math.max(...wild.filter(Number.isFinite), 0) > 10 || wild.some((v) => !Number.isFinite(v))).toBe(true);
    const scores = await s.evaluate();
    expect(typeof scores.loss).toBe('number');
    s.dispose();
    expect(c.tf.memory().numTensors).toBe(before);
  });
});

describe('memory', () => {
  it("a worker's tensor count, backend bytes and heap do not grow over 50 trials", async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // As in a worker: the JIT warm-up first, so that what V8 still compiles and caches is not taken for a leak.
    const mlpTask = await loadTaskFitness({ task: 'iris', backend: 'wasm', warmupSteps: 600 });
    const convTask = await loadTaskFitness({ task: 'digits-cnn', backend: 'wasm', warmupSteps: 100 });
    const { tf } = await loadTf({ backend: 'wasm' });
    const signal = new AbortController().signal;
    const sample = () => {
      gc();
      return { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, heap: process.memoryUsage().heapUsed };
    };
    let start = sample();
    for (let trial = 0; trial < 50; trial++) {
      const optimizer = ['adam', 'sgd', 'rmsprop'][trial % 3]!;
      // Both gradient paths: the direct MLP program (with and without dropout) and the tape (conv net).
      if (trial % 2 === 0) await mlpTask.fitness({ epochs: 2, dropout: trial % 4 ? 0.2 : 0, optimizer }, { seed: trial, trial, signal });
      else await convTask.fitness({ epochs: 1, batchSize: 128, optimizer }, { seed: trial, trial, signal });
      if (trial === 9) start = sample(); // the first trials still settle code caches and tfjs's name counters
    }
    const end = sample();
    expect(end.tensors).toBe(start.tensors);
    expect(end.bytes).toBe(start.bytes);
    expect(end.heap - start.heap).toBeLessThan(1024 * 1024);
  });
});

describe('resolveTask', () => {
  it('loads a user task module by path and trains it like a bundled one', async () => {
    const task = await resolveTask(tiny);
    expect(task.name).toBe('tiny');
    const r = await trainAndEvaluate(task, {}, await ctx('wasm', 1));
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.accuracy).toBeGreaterThan(0.5);
  });

  it('the worker-side fitness reports the backend that ran; its JIT warm-up does not change results', async () => {
    const signal = new AbortController().signal;
    const cold = await loadTaskFitness({ task: tiny, backend: 'wasm', warmupSteps: 0 });
    const warm = await loadTaskFitness({ task: tiny, backend: 'wasm', warmupSteps: 200 });
    const a = await cold.fitness({ epochs: 2 }, { seed: 1, trial: 0, signal });
    const b = await warm.fitness({ epochs: 2 }, { seed: 1, trial: 0, signal });
    expect(cold.backend).toBe('wasm');
    expect(a.backend).toBe('wasm');
    expect(Number.isFinite(a.loss)).toBe(true);
    expect(b.loss).toBe(a.loss);
  });

  it('names the bundled tasks when a name is unknown', async () => {
    const e = await caught(resolveTask('mnist'));
    expect(isEvotuneError(e) && e.code === 'E_UNKNOWN_TASK').toBe(true);
    expect((e as Error).message).toMatch(/unknown task "mnist"; expected one of: digits, digits-cnn, wine, iris, spirals, sine/);
  });

  it('names the missing or wrong field of a user task', async () => {
    const { default: good } = (await import(tiny)) as { default: Record<string, unknown> };
    const { validateTask } = await import('../src/tasks/validate.js');
    const without = (field: string) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== field));
    expect(() => validateTask('task module t.mjs', without('build'))).toThrow(
      'task module t.mjs: default export: field "build": expected a function (params, ctx) => tf.LayersModel, got nothing',
    );
    expect(() => validateTask('task module t.mjs', without('data'))).toThrow('field "data": expected a function (seed) => TaskData, got nothing');
    expect(() => validateTask('task module t.mjs', { ...good, kind: 'ranking' })).toThrow(
      'field "kind": expected "classification" or "regression", got "ranking"',
    );
    expect(() => validateTask('task module t.mjs', { ...good, space: { lr: { type: 'float', low: 1, high: 0 } } })).toThrow(
      /field "space": space: parameter "lr": "low" must be less than "high"/,
    );
  });

  it('reports a module that cannot be imported', async () => {
    const e = await caught(resolveTask('./test/fixtures/does-not-exist.mjs'));
    expect(isEvotuneError(e) && e.code === 'E_MODULE').toBe(true);
    expect((e as Error).message).toMatch(/task module .\/test\/fixtures\/does-not-exist.mjs: could not be imported/);
  });
});
