import type * as tfjs from '@tensorflow/tfjs';
import type { TF } from '../tasks/types.js';
import { wasmMemoryOf } from './simd-update.js';
import { sizeOf } from '../util/linalg.js';

type Tensor = tfjs.Tensor;

/** The part of tfjs-backend-wasm's backend its own kernels use to make outputs and see tensors in the heap. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tfjs.DataType): tfjs.TensorInfo;
  typedArrayFromHeap(t: tfjs.TensorInfo): Float32Array;
}

/**
 * The tfjs-backend-wasm release whose private backend API (WasmHeap above) these kernels were read against.
 * package.json pins it exactly; loadTf refuses the wasm backend at any other version rather than risk wrong numbers.
 */
export const WASM_VERSION_CHECKED = '4.22.0';

/** Why this wasm backend cannot run the kernels below (a version they were not checked against, a missing method). */
export function wasmInternalsProblem(version: string, backend: object): string | undefined {
  if (version !== WASM_VERSION_CHECKED) {
    return `@tensorflow/tfjs-backend-wasm ${version} is installed, but evotune reaches into its private API, checked against ${WASM_VERSION_CHECKED} only`;
  }
  const heap = backend as Partial<Record<keyof WasmHeap, unknown>>;
  const missing = (['makeOutput', 'typedArrayFromHeap'] as const).filter((m) => typeof heap[m] !== 'function');
  if (missing.length > 0) return `its backend lacks ${missing.join(' and ')}, which evotune's wasm kernels call`;
  // The fused optimizer update (simd-update.ts) runs in the module's own memory.
  return wasmMemoryOf(backend) ? undefined : "its module's memory (wasm.asm.memory) is not reachable, which evotune's optimizer kernel needs";
}

const SLICE = 'EvotuneSliceFlat';
const CONCAT = 'EvotuneConcatFlat';
const GATHER_ROWS = 'EvotuneGatherRows';

/**
 * Two copies the trainer makes every step, as single wasm kernels. The stock wasm Slice copies its WHOLE input out
 * of the heap into JavaScript before taking the part it wants (so cutting a 32-row batch out of 2000 rows copied
 * 2000 rows, and SplitV does that once per output), and Concat needs a reshape per input. These copy just the
 * elements asked for, heap to heap.
 */
export function registerWasmFlatKernels(tf: TF): void {
  if (tf.getKernel(SLICE, 'wasm')) return;
  tf.registerKernel({
    kernelName: SLICE,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmHeap;
      const { offset, shape } = attrs as unknown as { offset: number; shape: number[] };
      const x = inputs.x as tfjs.TensorInfo;
      const out = heap.makeOutput(shape, x.dtype);
      const size = sizeOf(shape);
      heap.typedArrayFromHeap(out).set(heap.typedArrayFromHeap(x).subarray(offset, offset + size));
      return out;
    },
  });
  tf.registerKernel({
    kernelName: GATHER_ROWS,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmHeap & { dataIdMap: { get(dataId: object): { memoryOffset: number } }; wasm: { HEAPF32: Float32Array } };
      const x = inputs.x as tfjs.TensorInfo;
      const { rows } = attrs as unknown as { rows: Int32Array };
      const rowSize = sizeOf(x.shape.slice(1));
      const out = heap.makeOutput([rows.length, ...x.shape.slice(1)], x.dtype);
      // One native copy per row, heap to heap (offsets read after the output is made: making it may grow the heap). The
      // float32 view moves 4-byte elements verbatim (copyWithin copies bytes), so int32 rows copy through it too.
      const f = heap.wasm.HEAPF32;
      const src = heap.dataIdMap.get(x.dataId).memoryOffset >> 2;
      const dst = heap.dataIdMap.get(out.dataId).memoryOffset >> 2;
      for (let i = 0; i < rows.length; i++) f.copyWithin(dst + i * rowSize, src + rows[i]! * rowSize, src + (rows[i]! + 1) * rowSize);
      return out;
    },
  });
  tf.registerKernel({
    kernelName: CONCAT,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const heap = backend as unknown as WasmHeap;
      const parts = Object.values(inputs) as tfjs.TensorInfo[];
      const total = parts.reduce((n, t) => n + sizeOf(t.shape), 0);
      const out = heap.makeOutput([total], 'float32');
      const view = heap.typedArrayFromHeap(out);
      let at = 0;
      for (const t of parts) {
        const src = heap.typedArrayFromHeap(t);
        view.set(src, at);
        at += src.length;
      }
      return out;
    },
  });
}

const fast = (tf: TF, kernel: string) => tf.getBackend() === 'wasm' && tf.getKernel(kernel, 'wasm') !== undefined;

/** The `shape`-sized run of x's elements (row-major) starting at flat `offset`, by the wasm kernel. */
const sliceKernel = (tf: TF, x: Tensor, offset: number, shape: number[]): Tensor =>
  tf.engine().runKernel(SLICE, { x }, { offset, shape } as never) as Tensor;

/** Rows [start, start + rows) of x. Other backends take tfjs's Slice as it is: one kernel, no reshapes. */
export function sliceRows(tf: TF, x: Tensor, start: number, rows: number): Tensor {
  if (!fast(tf, SLICE)) return tf.slice(x, start, rows);
  const rowSize = x.size / x.shape[0]!;
  return sliceKernel(tf, x, start * rowSize, [rows, ...x.shape.slice(1)]);
}

/**
 * Rows `rows` of x, in that order: tf.gather on axis 0. On wasm, tfjs's Gather took ~120 ms to draw an epoch of 16
 * members' batches from 2000x64 rows; this kernel copies each row with one native copy (a few ms). float32 and int32
 * (both 4-byte elements, copied bit for bit) take the kernel; other dtypes take tf.gather.
 */
export function gatherRows(tf: TF, x: Tensor, rows: Int32Array): Tensor {
  if (fast(tf, GATHER_ROWS) && (x.dtype === 'float32' || x.dtype === 'int32'))
    return tf.engine().runKernel(GATHER_ROWS, { x }, { rows } as never) as Tensor;
  return tf.tidy(() => tf.gather(x, tf.tensor1d(rows, 'int32')));
}

/** The flat vector x cut back into consecutive parts shaped like `like`: the inverse of concatFlat. */
export function splitFlat(tf: TF, x: Tensor, like: readonly Tensor[]): Tensor[] {
  if (!fast(tf, SLICE))
    return tf
      .split(
        x,
        like.map((t) => t.size),
      )
      .map((part, i) => tf.reshape(part, like[i]!.shape));
  let offset = 0;
  return like.map((t) => {
    const part = sliceKernel(tf, x, offset, t.shape);
    offset += t.size;
    return part;
  });
}

/** Every tensor's elements, one after another, as one float32 vector. */
export function concatFlat(tf: TF, xs: readonly Tensor[]): Tensor {
  if (fast(tf, CONCAT)) return tf.engine().runKernel(CONCAT, Object.fromEntries(xs.map((x, i) => [String(i), x]))) as Tensor;
  return tf.concat(xs.map((x) => tf.reshape(x, [-1])));
}
