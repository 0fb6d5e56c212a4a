import { describe, expect, it } from 'vitest';
import { loadTf } from '../src/tf/backend.js';
import { gatherRows } from '../src/tf/flat-kernels.js';
import { heldOperators, MAX_OPERATORS, packedMatMul } from '../src/tf/packed-matmul.js';
import { stackedProducts, type FusedActivation } from '../src/tf/stacked-kernels.js';

const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/**
 * The stacked products reuse one XNNPACK operator per shape and write each member's operand into its packed weights
 * (src/tf/packed-matmul.ts): every member's result must be the single model's product bit for bit.
 */
describe('stacked products on wasm through reused operators', () => {
  it('finds the packed layout for the shapes an MLP uses, including widths below and across a panel', async () => {
    const { tf } = await loadTf({ backend: 'wasm' });
    const be = tf.backend() as unknown as { wasm: Parameters<typeof packedMatMul>[0]; dataIdNextNumber: number };
    const ids = { next: () => be.dataIdNextNumber++ };
    for (const [n, p] of [
      [64, 64],
      [64, 10],
      [7, 1],
      [13, 9],
    ] as const) {
      expect(packedMatMul(be.wasm, ids, { n, p, fused: true, bias: true, activation: 1 }), `${n}x${p}`).toBeDefined();
    }
  });

  for (const reuseOperators of [true, false]) {
    it(`equal the single model’s fused and plain products bit for bit, every activation, with and without bias (${reuseOperators ? 'operators reused' : 'an operator per call'})`, async () => {
      const { tf } = await loadTf({ backend: 'wasm' });
      const products = stackedProducts(tf, { reuseOperators });
      const before = tf.memory().numTensors;
      for (const [k, m, n, p] of [
        [3, 32, 64, 64],
        [2, 32, 64, 10],
        [2, 5, 7, 1],
        [4, 32, 13, 17],
      ] as const) {
        for (const activation of ['linear', 'relu', 'sigmoid'] as FusedActivation[]) {
          tf.tidy(() => {
            const a = tf.randomNormal([k, m, n], 0, 1, 'float32', 1);
            const w = tf.randomNormal([k, n, p], 0, 1, 'float32', 2);
            const bias = tf.randomNormal([k, p], 0, 1, 'float32', 3);
            const d = tf.randomNormal([k, m, p], 0, 1, 'float32', 4);
            const member = (t: typeof a, i: number) => tf.tensor(t.slice([i], [1]).dataSync(), t.shape.slice(1));
            const expected = { nn: [] as number[], bare: [] as number[], nt: [] as number[], tn: [] as number[] };
            for (let i = 0; i < k; i++) {
              const [ai, wi, bi, di] = [member(a, i), member(w, i), member(bias, i), member(d, i)];
              expected.nn.push(...tf.fused.matMul({ a: ai, b: wi, bias: bi, activation }).dataSync());
              expected.bare.push(...tf.fused.matMul({ a: ai, b: wi, activation }).dataSync());
              // As the single program on wasm (gradients.ts): an explicit transpose, then a plain product.
              expected.nt.push(...tf.matMul(di, tf.transpose(wi)).dataSync());
              expected.tn.push(...tf.matMul(tf.transpose(ai), di).dataSync());
            }
            const shape = `${k}x${m}x${n}x${p} ${activation}`;
            expect(sameBits(products.nn(a, w, bias, activation).dataSync() as Float32Array, Float32Array.from(expected.nn)), shape).toBe(true);
            expect(sameBits(products.nn(a, w, undefined, activation).dataSync() as Float32Array, Float32Array.from(expected.bare)), shape).toBe(true);
            expect(sameBits(products.nt(d, w).dataSync() as Float32Array, Float32Array.from(expected.nt)), shape).toBe(true);
            expect(sameBits(products.tn(a, d).dataSync() as Float32Array, Float32Array.from(expected.tn)), shape).toBe(true);
          });
        }
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('reused operators over many layer widths', () => {
  it('are held at most MAX_OPERATORS at a time, the wasm heap stops growing, and a product after eviction is still exact', async () => {
    const { tf } = await loadTf({ backend: 'wasm' });
    const be = tf.backend() as unknown as { wasm: Parameters<typeof packedMatMul>[0] & { HEAP8: Int8Array } };
    const products = stackedProducts(tf);
    // As many distinct widths as a search over a layer's units could give: twice the cap, three rounds (~16 MB of
    // packed weights a round, which a leak would add to the heap).
    const widths = Array.from({ length: 2 * MAX_OPERATORS }, (_, i) => 64 + i);
    const round = () =>
      tf.tidy(() => {
        const a = tf.randomNormal([2, 4, 128], 0, 1, 'float32', 1);
        for (const p of widths) products.nn(a, tf.randomNormal([2, 128, p], 0, 1, 'float32', p), undefined, 'relu');
      });
    round();
    expect(heldOperators(be.wasm)).toBeLessThanOrEqual(MAX_OPERATORS);
    const heap = be.wasm.HEAP8.byteLength;
    round();
    round();
    expect(heldOperators(be.wasm)).toBeLessThanOrEqual(MAX_OPERATORS);
    expect(be.wasm.HEAP8.byteLength).toBe(heap);
    // The first widths were evicted long ago: made again, they must still give the single model's product.
    tf.tidy(() => {
      const a = tf.randomNormal([2, 4, 16], 0, 1, 'float32', 9);
      const w = tf.randomNormal([2, 16, widths[0]!], 0, 1, 'float32', 10);
      const got = products.nn(a, w, undefined, 'relu').dataSync() as Float32Array;
      const one = (i: number) =>
        tf.fused.matMul({
          a: tf.tensor(a.slice([i], [1]).dataSync(), [4, 16]),
          b: tf.tensor(w.slice([i], [1]).dataSync(), [16, widths[0]!]),
          activation: 'relu',
        });
      expect(sameBits(got, Float32Array.from([...one(0).dataSync(), ...one(1).dataSync()]))).toBe(true);
    });
  });
});

describe('gatherRows on wasm', () => {
  it('equals tf.gather on axis 0 (repeated rows, any order, rank 3), and leaves no tensor behind', async () => {
    const { tf } = await loadTf({ backend: 'wasm' });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.randomNormal([50, 3, 4], 0, 1, 'float32', 5);
      const rows = Int32Array.from([49, 0, 7, 7, 23, 1, 48]);
      const got = gatherRows(tf, x, rows);
      expect(got.shape).toEqual([7, 3, 4]);
      expect(sameBits(got.dataSync() as Float32Array, tf.gather(x, tf.tensor1d(rows, 'int32')).dataSync() as Float32Array)).toBe(true);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
