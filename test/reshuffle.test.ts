import { describe, expect, it } from 'vitest';
import type * as tfjs from '@tensorflow/tfjs';
import { loadTf } from '../src/tf/backend.js';
import { gatherRows } from '../src/tf/flat-kernels.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { openSession } from '../src/tasks/train.js';
import { rngFor, shuffleInPlace } from '../src/util/rng.js';

/** The elements' bits, whatever the dtype (so that NaN payloads, -0 and int32 patterns that read as NaN all count). */
const bits = (t: tfjs.Tensor) => {
  const d = t.dataSync();
  return Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length));
};

/** 4-byte patterns no float comparison would tell apart: NaN payloads, -0, infinities, a denormal, int32 extremes. */
function awkwardWords(n: number): Uint32Array {
  const rng = rngFor(3, 'awkward');
  const special = [0x7fc00123, 0xffc00001, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x7fffffff, 0xffffffff];
  return Uint32Array.from({ length: n }, (_, i) => special[i % 11] ?? Math.floor(rng() * 2 ** 32));
}

describe('the epoch reshuffle: gatherRows, drawn as the trainer draws it', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`equals tf.gather bit for bit for float32 and int32 rows over 40 epochs on ${backend}, and leaves no tensor behind`, async () => {
      const { tf } = await loadTf({ backend });
      const n = 97;
      const words = awkwardWords(n * 6);
      const inputs = [tf.tensor(new Float32Array(words.buffer), [n, 3, 2], 'float32'), tf.tensor2d(new Int32Array(words.buffer), [n, 6], 'int32')];
      // The inputs must carry the awkward patterns themselves, or the comparison below would prove little.
      expect(inputs.map(bits)).toEqual([Array.from(words), Array.from(words)]);
      const before = tf.memory();
      for (let epoch = 0; epoch < 40; epoch++) {
        const order = Int32Array.from(
          shuffleInPlace(
            Array.from({ length: n }, (_, i) => i),
            rngFor(11, 'shuffle', epoch),
          ),
        );
        for (const x of inputs) {
          const got = gatherRows(tf, x, order);
          const want = tf.tidy(() => tf.gather(x, tf.tensor1d(order, 'int32')));
          expect(got.dtype).toBe(x.dtype);
          expect(got.shape).toEqual(x.shape);
          expect(bits(got)).toEqual(bits(want));
          tf.dispose([got, want]);
        }
      }
      expect(tf.memory().numTensors).toBe(before.numTensors);
      expect(tf.memory().numBytes).toBe(before.numBytes);
      tf.dispose(inputs);
    });
  }

  it("a session's tensor count and bytes stay flat over 30 reshuffled epochs", async () => {
    const { tf, backend } = await loadTf({ backend: 'wasm' });
    const s = await openSession(BUNDLED_TASKS.wine!, { batchSize: 16 }, { tf, backend, seed: 4 });
    await s.trainSteps(s.stepsPerEpoch);
    const after1 = tf.memory();
    const losses = await s.trainSteps(30 * s.stepsPerEpoch);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(tf.memory().numTensors).toBe(after1.numTensors);
    expect(tf.memory().numBytes).toBe(after1.numBytes);
    s.dispose();
  });
});
