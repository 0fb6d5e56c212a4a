import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { isEvotuneError } from '../src/errors.js';
import type { Params } from '../src/space/spec.js';
import { loadTf } from '../src/tf/backend.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { writeCheckpointFile } from '../src/journal/checkpoint-file.js';
import { checkpointPath } from '../src/journal/format.js';
import { asCheckpoint, readCheckpoint, transferList, type Checkpoint } from '../src/tasks/checkpoint.js';
import { loadTaskFitness } from '../src/tasks/runtime.js';
import { inference } from '../src/tf/gradients.js';
import { taskData, trainAndEvaluate, type TrainOptions } from '../src/tasks/train.js';
import type { Task, TaskContext } from '../src/tasks/types.js';

const caught = async (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const ctx = async (seed = 3): Promise<TaskContext> => ({ ...(await loadTf({ backend: 'wasm' })), seed });
const digits = BUNDLED_TASKS.digits!;
const sine = BUNDLED_TASKS.sine!;

/** Trains with reports collected, returning them beside the result. */
async function train(task: Task, params: Params, opts: Omit<TrainOptions, 'report'> = {}, stopAfter = Infinity) {
  const reports: [number, number][] = [];
  const r = await trainAndEvaluate(task, params, await ctx(), {
    ...opts,
    report: (epoch, value) => {
      reports.push([epoch, value]);
      return epoch < stopAfter;
    },
  });
  return { r, reports };
}

describe('restoring a checkpoint equals training straight through', () => {
  // Exact equality (tolerance 0): every random draw and the LR depend on the absolute step, and the state is copied
  // bit for bit. Dropout is on; onecycle checks that the schedule is read at the absolute step.
  const cases: [string, Task, Params][] = [
    ['adam', digits, { optimizer: 'adam', dropout: 0.3, schedule: 'onecycle' }],
    ['sgd + momentum', digits, { optimizer: 'sgd', momentum: 0.9, lr: 0.05, dropout: 0.3 }],
    ['rmsprop + momentum', digits, { optimizer: 'rmsprop', momentum: 0.5, dropout: 0.2, weightDecay: 1e-4 }],
    ['adam', sine, { optimizer: 'adam', dropout: 0.1, schedule: 'cosine' }],
    ['sgd + momentum', sine, { optimizer: 'sgd', momentum: 0.9, lr: 0.01 }],
    ['rmsprop', sine, { optimizer: 'rmsprop', momentum: 0, lr: 3e-3, dropout: 0.1 }],
  ];
  for (const [name, task, extra] of cases) {
    it(`${task.name}, ${name}: 2 epochs, checkpoint, 2 more in a fresh session`, async () => {
      const params = { ...extra, epochs: 4, batchSize: 64 };
      const straight = await train(task, params, { wantCheckpoint: true });
      const first = await train(task, params, { segment: { from: 0, to: 2 }, wantCheckpoint: true });
      const c1 = first.r.checkpoint!;
      expect(c1.epoch).toBe(2);
      expect(c1.step).toBe(first.r.steps);
      const second = await train(task, params, { restore: c1, segment: { from: 2, to: 4 }, wantCheckpoint: true });
      const c2 = second.r.checkpoint!;
      const c = straight.r.checkpoint!;
      expect(c2.epoch).toBe(4);
      expect(c2.step).toBe(c.step);
      expect(c2.weights).toEqual(c.weights);
      c.slots.forEach((slot, i) => expect(c2.slots[i]).toEqual(slot));
      expect(c2.counters).toEqual(c.counters);
      expect(second.r.loss).toBe(straight.r.loss);
      // Epochs are counted absolutely: the two segments report 1, 2 and 3, 4 with the straight run's values.
      expect([...first.reports, ...second.reports]).toEqual(straight.reports);
      expect(straight.reports.map(([e]) => e)).toEqual([1, 2, 3, 4]);
      // and the restored run did learn on: its weights moved from the checkpoint's
      expect(c2.weights).not.toEqual(c1.weights);
    });
  }

  it('a restored run may change lr, momentum and dropout (what population-based training perturbs)', async () => {
    const base = { epochs: 3, batchSize: 64, dropout: 0.2 };
    const c = (await train(digits, base, { segment: { from: 0, to: 1 }, wantCheckpoint: true })).r.checkpoint!;
    const a = await train(digits, { ...base, lr: 3e-3, momentum: 0.8, dropout: 0 }, { restore: c });
    const b = await train(digits, base, { restore: c });
    expect(a.reports.map(([e]) => e)).toEqual([2, 3]);
    expect(a.r.loss).not.toBe(b.r.loss);
  });
});

describe('report', () => {
  it('is called after every epoch with the validation loss, and false stops training', async () => {
    const params = { epochs: 5, batchSize: 64 };
    const full = await train(digits, params);
    expect(full.reports.length).toBe(5);
    expect(full.r.loss).toBe(full.reports[4]![1]);
    expect(full.r.stoppedAt).toBeUndefined();
    const stopped = await train(digits, params, {}, 2);
    expect(stopped.r.stoppedAt).toBe(2);
    expect(stopped.r.epochs).toBe(2);
    expect(stopped.reports).toEqual(full.reports.slice(0, 2));
    // The result's loss is the last reported one: what the trial is recorded with.
    expect(stopped.r.loss).toBe(full.reports[1]![1]);
  });

  it("reads the validation output by the direct forward, with model.apply's numbers", async () => {
    const c = await ctx();
    for (const task of [digits, sine, BUNDLED_TASKS['digits-cnn']!]) {
      const model = task.build({ ...task.defaults, dropout: 0.3 }, c);
      const d = await taskData(task, 0);
      const [a, b] = c.tf.tidy(() => {
        const x = c.tf.tensor(d.xVal, [d.nVal, ...d.inputShape]);
        return [(model.apply(x, { training: false }) as tfjs.Tensor).dataSync(), inference(c.tf, model)(x).dataSync()];
      });
      expect(b).toEqual(a);
      model.dispose();
    }
  });

  it('does not change training: the same loss with and without it', async () => {
    const params = { epochs: 2, batchSize: 64, dropout: 0.2 };
    const plain = await trainAndEvaluate(digits, params, await ctx());
    const reported = await train(digits, params);
    expect(reported.r.loss).toBe(plain.loss);
    expect(reported.r.accuracy).toBe(plain.accuracy);
  });
});

describe('the task fitness (what a worker runs)', () => {
  it('passes report, restore, segment and wantCheckpoint through, and returns the checkpoint beside the metrics', async () => {
    const { fitness } = await loadTaskFitness({ task: 'wine', backend: 'wasm', warmupSteps: 0 });
    const signal = new AbortController().signal;
    const params = { epochs: 4, dropout: 0.1 };
    const seen: number[] = [];
    const report = (step: number) => (seen.push(step), true);
    const whole = await fitness(params, { seed: 2, trial: 0, signal, report, wantCheckpoint: true });
    const half = await fitness(params, { seed: 2, trial: 1, signal, report, segment: { from: 0, to: 2 }, wantCheckpoint: true });
    const rest = await fitness(params, { seed: 2, trial: 2, signal, report, restore: half.checkpoint!, wantCheckpoint: true });
    expect(seen).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    expect(rest.loss).toBe(whole.loss);
    expect(rest.checkpoint!.weights).toEqual(whole.checkpoint!.weights);
    expect(typeof whole.accuracy).toBe('number');
    // Without the new fields it is the fitness it was: no checkpoint, and a context without report works.
    const plain = await fitness(params, { seed: 2, trial: 3, signal });
    expect(plain.checkpoint).toBeUndefined();
    expect(plain.loss).toBe(whole.loss);
  });
});

describe('restore refuses what does not fit, naming the difference', () => {
  let c: Checkpoint;
  const base = { epochs: 2, batchSize: 64, units: 32 };
  const refusal = async (task: Task, params: Params, restore: Checkpoint, segment?: { from: number; to: number }) => {
    const e = await caught(trainAndEvaluate(task, params, await ctx(), { restore, ...(segment ? { segment } : {}) }));
    expect(isEvotuneError(e)).toBe(true);
    return (e as Error).message;
  };

  it('another width, batch size, optimizer or task', async () => {
    c = (await trainAndEvaluate(digits, base, await ctx(), { segment: { from: 0, to: 1 }, wantCheckpoint: true })).checkpoint!;
    expect(await refusal(digits, { ...base, units: 16 }, c)).toMatch(
      /restore: .*weights 64x32,32,32x10,10 \(checkpoint\) vs 64x16,16,16x10,10 \(this run\)/,
    );
    expect(await refusal(digits, { ...base, batchSize: 32 }, c)).toMatch(/batch 64 \(checkpoint\) vs 32 \(this run\)/);
    expect(await refusal(digits, { ...base, optimizer: 'sgd' }, c)).toMatch(/optimizer adam \(checkpoint\) vs sgd \(this run\)/);
    expect(await refusal(BUNDLED_TASKS.wine!, base, c)).toMatch(/task digits \(checkpoint\) vs wine \(this run\)/);
  });

  it('wrong lengths, a step that is not its epoch, a segment that does not start at the checkpoint', async () => {
    expect(await refusal(digits, base, { ...c, weights: c.weights.slice(1) })).toMatch(/holds 2409 weights, this model has 2410/);
    expect(await refusal(digits, base, { ...c, slots: c.slots.slice(1) })).toMatch(/1 optimizer slots .* adam needs 2 of 2410/);
    expect(await refusal(digits, base, { ...c, step: c.step + 1 })).toMatch(/step \d+ is not its epoch 1 x \d+ steps per epoch/);
    expect(await refusal(digits, base, c, { from: 0, to: 2 })).toMatch(/segment: from 0 must be the checkpoint's epoch 1/);
    const e = await caught(trainAndEvaluate(digits, base, await ctx(), { segment: { from: 1, to: 2 } }));
    expect((e as Error).message).toMatch(/from 1 needs a checkpoint/);
  });
});

describe('checkpoint files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'evotune-ckpt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const sample: Checkpoint = {
    shapeKey: 'task=digits;optimizer=adam;batch=32;weights=2x2,2',
    step: 12,
    epoch: 3,
    weights: Float32Array.from([1, -2, 3.5, 4e-9, NaN, 6]),
    slots: [Float32Array.from([0, 1, 2, 3, 4, 5]), Float32Array.from([9, 8, 7, 6, 5, 4])],
    counters: { t: 12 },
  };
  const readErr = (file: string, expect?: Parameters<typeof readCheckpoint>[1]) => {
    try {
      readCheckpoint(file, expect);
    } catch (e) {
      if (!isEvotuneError(e)) throw e;
      return e.message;
    }
    return 'no error';
  };

  /** As the run folder keeps it (src/journal/run.ts writes it with the same function). */
  const write = (trial: number, c: Checkpoint) => {
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    const file = join(dir, checkpointPath(trial));
    writeCheckpointFile(file, c);
    return file;
  };

  it('round-trip through <run>/checkpoints/trial-<n>.ckpt', () => {
    const back = readCheckpoint(write(7, sample), { task: 'digits', shapeKey: sample.shapeKey });
    expect(back).toEqual(sample);
  });

  it('a missing, truncated, corrupted, foreign or other-task file is an error naming the file', () => {
    const file = write(1, sample);
    const bytes = readFileSync(file);
    expect(readErr(join(dir, 'checkpoints', 'trial-99.ckpt'))).toMatch(/^checkpoint .*trial-99\.ckpt: not found$/);
    const cut = join(dir, 'cut.ckpt');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 5));
    expect(readErr(cut)).toMatch(/^checkpoint .*cut\.ckpt: is truncated/);
    writeFileSync(cut, bytes.subarray(0, 20));
    expect(readErr(cut)).toMatch(/cut\.ckpt: is truncated/);
    writeFileSync(cut, '');
    expect(readErr(cut)).toMatch(/cut\.ckpt: is not an evotune checkpoint/);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 9]! ^= 0x10;
    const bad = join(dir, 'bad.ckpt');
    writeFileSync(bad, flipped);
    expect(readErr(bad)).toMatch(/bad\.ckpt: is truncated or damaged \(checksum mismatch\)/);
    writeFileSync(bad, '{"loss": 1}');
    expect(readErr(bad)).toMatch(/bad\.ckpt: is not an evotune checkpoint/);
    const generic = join(dir, 'generic.ckpt');
    writeCheckpointFile(generic, { round: 3, state: new Float64Array(4) });
    expect(readErr(generic)).toMatch(/generic\.ckpt: field "shapeKey": expected a non-empty string, got nothing/);
    expect(readErr(file, { task: 'wine' })).toMatch(/trial-1\.ckpt: is for task "digits", not "wine"/);
    expect(readErr(file, { shapeKey: 'task=digits;optimizer=adam;batch=64;weights=2x2,2' })).toMatch(
      /trial-1\.ckpt: does not fit this model: batch 32 \(checkpoint\) vs 64 \(this run\)/,
    );
  });

  it("a fitness module's checkpoint is checked field by field", () => {
    expect(asCheckpoint({ ...sample }, 'of trial 2')).toEqual(sample);
    expect(() => asCheckpoint({ ...sample, weights: [1, 2] }, 'of trial 2')).toThrow(
      'checkpoint of trial 2: field "weights": expected a Float32Array, got "[object Array]"',
    );
    expect(() => asCheckpoint({ ...sample, step: -1 }, 'of trial 2')).toThrow('field "step": expected a whole number >= 0, got -1');
    expect(() => asCheckpoint(7, 'of trial 2')).toThrow('field "checkpoint": expected an object, got 7');
  });

  it('cross threads without a copy: the transfer list moves every buffer', () => {
    const c: Checkpoint = { ...sample, weights: sample.weights.slice(), slots: sample.slots.map((s) => s.slice()) };
    const moved = structuredClone(c, { transfer: transferList(c) });
    expect(c.weights.length).toBe(0); // detached: moved, not copied
    expect(moved).toEqual(sample);
  });
});

describe('memory', () => {
  it('tensor count and backend bytes stay flat over many restore / train / checkpoint rounds', async () => {
    const c = await ctx();
    const { tf } = c;
    const params = { epochs: 40, batchSize: 128, units: 32, dropout: 0.1 };
    let ck = (await trainAndEvaluate(digits, params, c, { segment: { from: 0, to: 1 }, wantCheckpoint: true })).checkpoint!;
    let start = { tensors: 0, bytes: 0 };
    for (let round = 1; round < 30; round++) {
      // PBT-like: each round restores the last state under new hyperparameters, reports, and checkpoints again.
      const lr = round % 2 ? 1e-3 : 2e-3;
      const r = await trainAndEvaluate(digits, { ...params, lr }, c, {
        restore: ck,
        segment: { from: round, to: round + 1 },
        wantCheckpoint: true,
        report: () => true,
      });
      ck = r.checkpoint!;
      if (round === 3) start = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes };
    }
    expect(ck.epoch).toBe(30);
    expect(tf.memory().numTensors).toBe(start.tensors);
    expect(tf.memory().numBytes).toBe(start.bytes);
  });
});
