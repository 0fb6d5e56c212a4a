/**
 * The direct program on small conv nets (Conv2D, MaxPooling2D, Flatten, Dense, Sequential): the same gradients as
 * tfjs's tape on the same model, to float rounding, on wasm and cpu; the same training outcome; and the tape for
 * every layer setting it does not cover. A group still trains MLPs only.
 */
import { describe, expect, it } from 'vitest';
import { loadTf } from '../src/tf/backend.js';
import { directStagesOf, gradientProgram, inference, stagesOf, tapeProgram } from '../src/tf/gradients.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { trainAndEvaluate } from '../src/tasks/train.js';
import type { LayersModel, Task, TF } from '../src/tasks/types.js';

type Backend = 'wasm' | 'cpu';
const tfFor = async (backend: Backend) => (await loadTf({ backend })).tf;

/** Every path of the direct conv program: a conv after the first (its input gradient), tanh and sigmoid, 'same'
 *  pooling on an odd size, strides of 2, a conv without bias. */
function oddConvNet(tf: TF): LayersModel {
  const init = (seed: number) => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: tf.initializers.randomNormal({ seed, stddev: 0.1 }),
  });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [7, 7, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', ...init(1) }),
      tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      tf.layers.conv2d({ filters: 4, kernelSize: 2, strides: 2, padding: 'valid', activation: 'sigmoid', useBias: false, ...init(2) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 5, activation: 'relu', ...init(3) }),
      tf.layers.dense({ units: 3, ...init(4) }),
    ],
  });
}

/** Largest |direct - tape| element over the largest |tape| one, per variable. */
function gradientGaps(tf: TF, model: LayersModel, x: number[], y: number[]): number[] {
  return tf.tidy(() => {
    const inputShape = model.inputs[0]!.shape.slice(1) as number[];
    const xs = tf.tensor(x, [x.length / inputShape.reduce((a, b) => a * b, 1), ...inputShape]);
    const ys = tf.tensor2d(y, [xs.shape[0]!, y.length / xs.shape[0]!]);
    const direct = gradientProgram(tf, 'classification', model);
    expect(direct.kind).toBe('direct');
    const a = direct.gradients(xs, ys, 0, 0, false).grads;
    const b = tapeProgram(tf, 'classification', model).gradients(xs, ys, 0, 0, false).grads;
    expect(a.map((g) => g.shape)).toEqual(b.map((g) => g.shape));
    // And the direct forward at inference is tfjs-layers' own.
    const out = inference(tf, model)(xs);
    const ref = model.apply(xs, { training: false }) as typeof out;
    expect(tf.max(tf.abs(tf.sub(out, ref))).dataSync()[0]).toBeLessThan(1e-5);
    return b.map((g, i) => tf.max(tf.abs(tf.sub(g, a[i]!))).dataSync()[0]! / tf.max(tf.abs(g)).dataSync()[0]!);
  });
}

const uniform = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 12.9898) * 0.5 + 0.5);
const oneHot = (rows: number, classes: number) =>
  Array.from({ length: rows * classes }, (_, i) => (i % classes === Math.floor(i / classes) % classes ? 1 : 0));

describe('the direct conv program', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`gives the tape's gradients on ${backend}, for digits-cnn and a net using every conv path`, async () => {
      const tf = await tfFor(backend);
      const before = tf.memory().numTensors;
      const task = BUNDLED_TASKS['digits-cnn']!;
      const digitsModel = task.build(task.defaults, { tf, backend, seed: 3 });
      const odd = oddConvNet(tf);
      try {
        const gaps = [
          ...gradientGaps(tf, digitsModel, uniform(12 * 64, 1), oneHot(12, 10)),
          ...gradientGaps(tf, odd, uniform(6 * 98, 2), oneHot(6, 3)),
        ];
        expect(gaps).toHaveLength(6 + 7);
        expect(Math.max(...gaps)).toBeLessThan(1e-5);
      } finally {
        digitsModel.dispose();
        odd.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  // On wasm only: cpu's conv kernels are slow, and its gradients are checked above.
  it("trains digits-cnn to the tape's validation loss (4 decimals)", async () => {
    const base = BUNDLED_TASKS['digits-cnn']!;
    // The same layers as a functional model take the tape; weights are seeded alike.
    const functional: Task = {
      ...base,
      build: (p, c) => {
        const seq = base.build(p, c);
        return c.tf.model({ inputs: seq.inputs, outputs: seq.outputs });
      },
    };
    for (const optimizer of ['adam', 'sgd'] as const) {
      const ctx = { tf: await tfFor('wasm'), backend: 'wasm', seed: 9 };
      const params = { epochs: 1, batchSize: 64, lr: 0.01, optimizer };
      const direct = await trainAndEvaluate(base, params, ctx);
      const tape = await trainAndEvaluate(functional, params, ctx);
      expect([direct.gradients, tape.gradients]).toEqual(['direct', 'tape']);
      expect(direct.loss).toBeCloseTo(tape.loss, 4);
    }
  });

  it('keeps memory flat over many conv trainings (tensors and bytes)', async () => {
    const tf = await tfFor('wasm');
    const task = BUNDLED_TASKS['digits-cnn']!;
    let start = { tensors: 0, bytes: 0 };
    for (let run = 0; run < 8; run++) {
      const r = await trainAndEvaluate(task, { epochs: 2, batchSize: 128 }, { tf, backend: 'wasm', seed: run }, { report: () => true });
      expect(r.gradients).toBe('direct');
      if (run === 1) start = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes };
    }
    expect(tf.memory().numTensors).toBe(start.tensors);
    expect(tf.memory().numBytes).toBe(start.bytes);
  });

  it('leaves what it does not cover to the tape, and groups to MLPs', async () => {
    const tf = await tfFor('wasm');
    const dilated = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, dilationRate: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const firstMode = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [1, 6, 6], filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const avg = tf.sequential({
      layers: [tf.layers.averagePooling2d({ inputShape: [6, 6, 1], poolSize: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })],
    });
    const task = BUNDLED_TASKS['digits-cnn']!;
    const cnn = task.build(task.defaults, { tf, backend: 'wasm', seed: 0 });
    try {
      for (const m of [dilated, firstMode, avg]) {
        expect(directStagesOf(m)).toBeUndefined();
        expect(gradientProgram(tf, 'classification', m).kind).toBe('tape');
      }
      expect(directStagesOf(cnn)?.map((s) => s.type)).toEqual(['conv2d', 'maxPool', 'flatten', 'dense', 'dense']);
      expect(stagesOf(cnn)).toBeUndefined();
    } finally {
      for (const m of [dilated, firstMode, avg, cnn]) m.dispose();
    }
  });
});
