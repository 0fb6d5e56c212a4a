/**
 * The copies and products a population of K same-shaped models needs, on tensors whose first axis is the member:
 * weights [K, in, out], activations [K, rows, units], flat parameter rows [K, n].
 *
 * On wasm, tfjs's BatchMatMul with a batch axis leaves XNNPACK for a naive loop (measured 0.5-0.9 GFLOP/s against
 * 2-14 for a batch of one), so a stacked product here is ONE tfjs kernel that runs, per member, the very C function
 * a single model's step runs (XNNPACK on a batch of one) on views into the stacked tensors' heap memory: the tfjs
 * engine's per-kernel cost is paid once for K members, and every member's numbers are bit-for-bit those of the
 * single model. The members share one XNNPACK operator per shape, their operands written into its packed weights
 * (packed-matmul.ts), which spares the operator creation and packing tfjs pays per call (about half of a 32x64x64
 * product). Other backends take tfjs's own batched matMul, whose per-batch loops are the single-batch ones.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { TF } from '../tasks/types.js';
import { packedMatMul, type WasmModule } from './packed-matmul.js';
import { sizeOf } from '../util/linalg.js';

type Tensor = tfjs.Tensor;
export type FusedActivation = 'linear' | 'relu' | 'sigmoid';

/** The parts of tfjs-backend-wasm's backend used to run its C kernels on views of a tensor's memory. */
interface WasmInternals {
  makeOutput(shape: number[], dtype: tfjs.DataType): tfjs.TensorInfo;
  typedArrayFromHeap(t: tfjs.TensorInfo): Float32Array;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } };
  dataIdNextNumber: number;
  /** The module's raw exports: called directly, without cwrap's per-call argument marshalling. */
  wasm: WasmModule;
}

const MATMUL = 'EvotuneStackedMatMul';
const CONCAT_ROWS = 'EvotuneConcatRows';
const SLICE_COLUMNS = 'EvotuneSliceColumns';
/** cc/fusable_activations.h in tfjs-backend-wasm. */
const ACTIVATION_CODE: Record<FusedActivation, number> = { linear: 0, relu: 1, sigmoid: 5 };

export function registerWasmStackedKernels(tf: TF): void {
  if (tf.getKernel(MATMUL, 'wasm')) return;
  const transposeKernel = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
  tf.registerKernel({
    kernelName: MATMUL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmInternals;
      const wasm = heap.wasm;
      const { a, bias } = inputs as { a: tfjs.TensorInfo; bias?: tfjs.TensorInfo };
      const { activation, isFused, transposeB, reuse } = attrs as unknown as {
        activation: FusedActivation;
        isFused: boolean;
        transposeB: boolean;
        reuse: boolean;
      };
      const [ka, m, n] = a.shape as [number, number, number];
      const k = inputs.b!.shape[0]!;
      const p = inputs.b!.shape[transposeB ? 1 : 2]!;
      const out = heap.makeOutput([k, m, p], 'float32');
      const ids = { next: () => heap.dataIdNextNumber++ };
      const at = (t: tfjs.TensorInfo) => heap.dataIdMap.get(t.dataId).memoryOffset;
      const view = (t: tfjs.TensorInfo, member: number, size: number): number => {
        const id = ids.next();
        wasm._register_tensor(id, size, at(t) + member * size * 4);
        return id;
      };
      const packed = reuse && packedMatMul(wasm, ids, { n, p, fused: isFused, bias: !!bias, activation: ACTIVATION_CODE[activation] });
      if (packed) {
        // One operator for every member: each member's operand is written into its packed weights (packed-matmul.ts).
        const b = at(inputs.b!) >> 2;
        const biasAt = bias ? at(bias) >> 2 : 0;
        for (let i = 0; i < k; i++) {
          const aId = view(a, ka === 1 ? 0 : i, m * n);
          const outId = view(out, i, m * p);
          packed.run(m, aId, outId, b + i * n * p, transposeB, bias ? biasAt + i * p : undefined);
          wasm._dispose_data(aId);
          wasm._dispose_data(outId);
        }
        return out;
      }
      // tfjs's own transpose, as the single program does before a plain product (see gradients.ts).
      const b = transposeB ? (transposeKernel({ inputs: { x: inputs.b! }, backend, attrs: { perm: [0, 2, 1] } }) as tfjs.TensorInfo) : inputs.b!;
      const views: number[] = [];
      const fresh = (t: tfjs.TensorInfo, member: number, size: number) => {
        const id = view(t, member, size);
        views.push(id);
        return id;
      };
      // The two operands' shapes, [1, m, n] and [1, n, p], as the C functions read them (int32 arrays).
      const shapes = wasm._malloc(24);
      wasm.HEAP32.set([1, m, n, 1, n, p], shapes >> 2);
      try {
        // The same C entry points, with the same arguments, as tfjs's _FusedMatMul and BatchMatMul kernels.
        for (let i = 0; i < k; i++) {
          const aId = fresh(a, ka === 1 ? 0 : i, m * n);
          const bId = fresh(b, i, n * p);
          const outId = fresh(out, i, m * p);
          if (isFused)
            wasm.__FusedMatMul(aId, shapes, 3, bId, shapes + 12, 3, 0, 0, ACTIVATION_CODE[activation], bias ? fresh(bias, i, p) : 0, 0, 0, outId);
          else wasm._BatchMatMul(aId, shapes, 3, bId, shapes + 12, 3, 0, 0, outId);
        }
      } finally {
        // Forgets the views (and the XNNPACK operators cached on them); the memory belongs to the stacked tensors.
        for (const id of views) wasm._dispose_data(id);
        wasm._free(shapes);
        if (b !== inputs.b) (backend as tfjs.KernelBackend).disposeData(b.dataId);
      }
      return out;
    },
  });
  tf.registerKernel({
    kernelName: CONCAT_ROWS,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const heap = backend as unknown as WasmInternals;
      const parts = Object.values(inputs) as tfjs.TensorInfo[];
      const k = parts[0]!.shape[0]!;
      const widths = parts.map((t) => sizeOf(t.shape) / k);
      const width = widths.reduce((x, y) => x + y, 0);
      const out = heap.makeOutput([k, width], 'float32');
      const dst = heap.typedArrayFromHeap(out);
      let at = 0;
      parts.forEach((t, j) => {
        const src = heap.typedArrayFromHeap(t);
        const w = widths[j]!;
        for (let i = 0; i < k; i++) dst.set(src.subarray(i * w, (i + 1) * w), i * width + at);
        at += w;
      });
      return out;
    },
  });
  tf.registerKernel({
    kernelName: SLICE_COLUMNS,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmInternals;
      const x = inputs.x as tfjs.TensorInfo;
      const { begin, shape } = attrs as unknown as { begin: number; shape: number[] };
      const [k, width] = x.shape as [number, number];
      const w = sizeOf(shape) / k;
      const out = heap.makeOutput(shape, 'float32');
      const src = heap.typedArrayFromHeap(x);
      const dst = heap.typedArrayFromHeap(out);
      for (let i = 0; i < k; i++) dst.set(src.subarray(i * width + begin, i * width + begin + w), i * w);
      return out;
    },
  });
}

/** On wasm (registering the kernels the first time). */
function onWasm(tf: TF): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  registerWasmStackedKernels(tf);
  return true;
}

const run = (tf: TF, kernel: string, inputs: Record<string, Tensor>, attrs: object = {}): Tensor =>
  tf.engine().runKernel(kernel, inputs, attrs as never) as Tensor;

/** Products on member-stacked tensors, each member's numbers those of the single-model program's. */
export interface StackedProducts {
  /** act(a_k w_k + bias_k) per member; `a` is [K, m, n] or [1, m, n] (one input shared by every member). */
  nn(a: Tensor, w: Tensor, bias: Tensor | undefined, activation: FusedActivation): Tensor;
  /** a_k^T b_k. */
  tn(a: Tensor, b: Tensor): Tensor;
  /** a_k b_k^T. */
  nt(a: Tensor, b: Tensor): Tensor;
}

/**
 * `reuseOperators: false` (for measurement) makes every member's product create its own XNNPACK operator, packing
 * included, as tfjs's kernels do: the same numbers, at the cost this module's operator reuse removes.
 */
export function stackedProducts(tf: TF, { reuseOperators = true } = {}): StackedProducts {
  if (onWasm(tf)) {
    // As in the single program on wasm: transposes done first, then a plain product (see gradients.ts).
    const t = (x: Tensor) => tf.transpose(x, [0, 2, 1]);
    const reuse = reuseOperators;
    const plain = (a: Tensor, b: Tensor, transposeB: boolean) =>
      run(tf, MATMUL, { a, b }, { activation: 'linear', isFused: false, transposeB, reuse });
    return {
      nn: (a, w, bias, activation) =>
        run(tf, MATMUL, bias ? { a, b: w, bias } : { a, b: w }, { activation, isFused: true, transposeB: false, reuse }),
      tn: (a, b) => plain(t(a), b, false),
      // The transpose of b is read straight into the packed operand (packed-matmul.ts), or made by the kernel.
      nt: (a, b) => plain(a, b, true),
    };
  }
  return {
    nn: (a, w, bias, activation) => tf.fused.matMul({ a, b: w, bias: bias ? tf.reshape(bias, [bias.shape[0]!, 1, -1]) : undefined, activation }),
    tn: (a, b) => tf.matMul(a, b, true, false),
    nt: (a, b) => tf.matMul(a, b, false, true),
  };
}

/** Parts [K, ...] laid side by side per member: [K, sum of widths]. */
export function concatRows(tf: TF, parts: readonly Tensor[]): Tensor {
  if (onWasm(tf)) return run(tf, CONCAT_ROWS, Object.fromEntries(parts.map((x, i) => [String(i), x])));
  return tf.concat(
    parts.map((x) => tf.reshape(x, [x.shape[0]!, -1])),
    1,
  );
}

/** Columns [begin, begin + width) of x [K, n], shaped [K, ...shape]: the inverse of concatRows, one part. */
export function sliceColumns(tf: TF, x: Tensor, begin: number, shape: readonly number[]): Tensor {
  const k = x.shape[0]!;
  const full = [k, ...shape];
  if (onWasm(tf)) return run(tf, SLICE_COLUMNS, { x }, { begin, shape: full });
  const width = sizeOf(shape);
  return tf.reshape(tf.slice(x, [0, begin], [k, width]), full);
}
