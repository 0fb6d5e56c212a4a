/**
 * One XNNPACK fully-connected operator per product shape, reused for every member and every step.
 *
 * tfjs-backend-wasm's matMul creates an XNNPACK operator per weight tensor (keyed on its id), and creating one packs
 * the weights into XNNPACK's panel layout with scalar code: for the reference MLP's 32x64x64 product that is ~20 of
 * its ~33 us. Every product of training has a new right operand each step, so each call paid it. Here the operator
 * is created once per shape on a buffer we own (its tensor id is kept, so tfjs keeps the operator), and
 * before each member's call we write that member's operand into the operator's packed weights ourselves, in the
 * layout XNNPACK's own packing gives, which is found and checked once per shape (see locate). The product then runs
 * the same microkernel on the same packed numbers: bit for bit the single model's result, without the packing.
 * Where the layout is not the one checked (another XNNPACK build), `packedMatMul` returns undefined and the caller
 * takes the per-call path.
 */

/** The parts of tfjs-backend-wasm's module used here (see WasmInternals in stacked-kernels.ts). */
export interface WasmModule {
  HEAP32: Int32Array;
  HEAPF32: Float32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _register_tensor(id: number, size: number, offset: number): void;
  _dispose_data(id: number): void;
  __FusedMatMul(...args: number[]): void;
  _BatchMatMul(...args: number[]): void;
}

export interface Ids {
  /** A fresh tensor id of the backend (its dataIdNextNumber counter). */
  next(): number;
}

/** An operator for one shape: write a member's right operand into it, then run it as tfjs's kernel would. */
export interface PackedMatMul {
  /**
   * out = act(a b + bias) for one member's a [m, n], by tfjs's entry point with this operator's tensor ids. `b` is the
   * float offset of the member's [n, p] right operand (or of its [p, n] transpose when `transposed`), `bias` of its [p].
   */
  run(m: number, aId: number, outId: number, b: number, transposed: boolean, bias: number | undefined): void;
}

/** Markers written into the operand before packing: exact in float32, and found nowhere else in practice. */
const BASE = 2 ** 22;
const weightMarker = (i: number) => BASE + i + 0.5;
const biasMarker = (j: number) => -(BASE + j + 0.5);

/** An operator with what it holds in the module: its tensor ids (whose disposal deletes the operator) and buffers. */
interface Held {
  readonly op: PackedMatMul | undefined;
  release(): void;
}

/**
 * Per module: the operators made so far by shape, most recently used last (op undefined: that shape's layout is
 * not the one checked). At most MAX_OPERATORS are kept, so that a search over many layer widths keeps memory flat:
 * each holds its packed weights (about two copies of one operand), and the least recently used one is released.
 */
const operators = new WeakMap<WasmModule, Map<string, Held>>();
export const MAX_OPERATORS = 64;

/** How many operators the module holds now (for tests: bounded by MAX_OPERATORS). */
export const heldOperators = (wasm: WasmModule): number => operators.get(wasm)?.size ?? 0;

/**
 * The operator for [m, n] x [n, p] products (any m) with this fused activation code (tfjs's _FusedMatMul when
 * `fused`, with a bias when `bias`; else its BatchMatMul), made on first use.
 */
export function packedMatMul(
  wasm: WasmModule,
  ids: Ids,
  key: { n: number; p: number; fused: boolean; bias: boolean; activation: number },
): PackedMatMul | undefined {
  let known = operators.get(wasm);
  if (!known) operators.set(wasm, (known = new Map()));
  const id = `${key.n}x${key.p}:${key.fused ? `fused${key.activation}` : 'plain'}:${key.bias ? 'bias' : ''}`;
  const hit = known.get(id);
  if (hit) {
    // Moved to the end: the map's order is the order of last use.
    known.delete(id);
    known.set(id, hit);
    return hit.op;
  }
  if (known.size >= MAX_OPERATORS) {
    const [oldest, held] = known.entries().next().value as [string, Held];
    held.release();
    known.delete(oldest);
  }
  const held = create(wasm, ids, key);
  known.set(id, held);
  return held.op;
}

function create(wasm: WasmModule, ids: Ids, { n, p, fused, bias, activation }: Parameters<typeof packedMatMul>[2]): Held {
  // Buffers held until the operator is released: the operand it is created on (never read again), its bias, the shapes.
  const bPtr = wasm._malloc(n * p * 4);
  const biasPtr = bias ? wasm._malloc(p * 4) : 0;
  const shapes = wasm._malloc(24);
  const a = wasm._malloc(n * 4);
  const out = wasm._malloc(p * 4);
  const register = (ptr: number, size: number) => {
    const tid = ids.next();
    wasm._register_tensor(tid, size, ptr);
    return tid;
  };
  const bId = register(bPtr, n * p);
  const biasId = bias ? register(biasPtr, p) : 0;
  let heap = wasm.HEAPF32;
  for (let i = 0; i < n * p; i++) heap[(bPtr >> 2) + i] = weightMarker(i);
  for (let j = 0; j < p && bias; j++) heap[(biasPtr >> 2) + j] = biasMarker(j);
  wasm.HEAP32.set([1, 1, n, 1, n, p], shapes >> 2);
  const call = (aId: number, outId: number) => {
    if (fused) wasm.__FusedMatMul(aId, shapes, 3, bId, shapes + 12, 3, 0, 0, activation, biasId, 0, 0, outId);
    else wasm._BatchMatMul(aId, shapes, 3, bId, shapes + 12, 3, 0, 0, outId);
  };
  // The first call creates (and packs) the operator; then the markers are cleared from our copy, so that the only
  // ones left in the heap are the packed ones.
  const aId = register(a, n);
  const outId = register(out, p);
  call(aId, outId);
  wasm._dispose_data(aId);
  wasm._dispose_data(outId);
  wasm._free(a);
  wasm._free(out);
  heap = wasm.HEAPF32;
  heap.fill(0, bPtr >> 2, (bPtr >> 2) + n * p);
  if (bias) heap.fill(0, biasPtr >> 2, (biasPtr >> 2) + p);
  // Disposing the operand's tensor id makes tfjs delete the operator it cached on it (and its packed weights).
  const release = () => {
    wasm._dispose_data(bId);
    if (bias) wasm._dispose_data(biasId);
    for (const ptr of bias ? [bPtr, biasPtr, shapes] : [bPtr, shapes]) wasm._free(ptr);
  };
  const layout = locate(wasm, n, p, bias);
  if (!layout) return { op: undefined, release };
  const { start, nr } = layout;
  // Cleared until written: the next shape's search must not find this one's markers (padding stays zero for good).
  heap.fill(0, start, start + Math.ceil(p / nr) * nr * (n + 1));
  const op: PackedMatMul = {
    run(m, aId2, outId2, b, transposed, biasAt) {
      pack(wasm.HEAPF32, start, nr, n, p, b, transposed, biasAt);
      wasm.HEAP32[(shapes >> 2) + 1] = m;
      call(aId2, outId2);
    },
  };
  return { op, release };
}

/**
 * Where the operator's packed weights are and their panel width nr, if they are laid out as XNNPACK packs an
 * [n, p] operand for its f32 GEMM with kr = sr = 1: per panel of nr output columns, the nr biases (zeros without a
 * bias), then for each k the nr weights of row k; columns past p are zero. Every slot is checked.
 */
function locate(wasm: WasmModule, n: number, p: number, bias: boolean): { start: number; nr: number } | undefined {
  const probe = new Float32Array([weightMarker(0)]);
  const anchor = new Int32Array(probe.buffer)[0]!;
  const ints = wasm.HEAP32;
  const f = wasm.HEAPF32;
  for (let at = ints.indexOf(anchor); at >= 0; at = ints.indexOf(anchor, at + 1)) {
    // The panel width: how many weights of row 0 follow one another before the next panel (all p when p <= nr).
    let run = 1;
    while (run < p && f[at + run] === weightMarker(run)) run++;
    const widths = run < p ? [run] : [1, 2, 4, 8, 16, 32, 64].filter((w) => w >= p);
    const nr = widths.find((w) => matches(f, at - w, w, n, p, bias));
    if (nr !== undefined) return { start: at - nr, nr };
  }
  return undefined;
}

function matches(f: Float32Array, start: number, nr: number, n: number, p: number, bias: boolean): boolean {
  if (start < 0) return false;
  let o = start;
  for (let blk = 0; blk < p; blk += nr) {
    for (let j = 0; j < nr; j++) if (f[o + j] !== (blk + j < p && bias ? biasMarker(blk + j) : 0)) return false;
    o += nr;
    for (let k = 0; k < n; k++, o += nr) {
      for (let j = 0; j < nr; j++) if (f[o + j] !== (blk + j < p ? weightMarker(k * p + blk + j) : 0)) return false;
    }
  }
  return true;
}

/** Writes the operand at float offset b ([n, p], or [p, n] transposed) and its bias into the packed panels. */
function pack(f: Float32Array, start: number, nr: number, n: number, p: number, b: number, transposed: boolean, bias: number | undefined): void {
  let o = start;
  for (let blk = 0; blk < p; blk += nr, o += nr * (n + 1)) {
    const w = Math.min(nr, p - blk);
    if (bias !== undefined) for (let j = 0; j < w; j++) f[o + j] = f[bias + blk + j]!;
    if (w === 8) (transposed ? panel8t : panel8)(f, o + 8, n, transposed ? n : p, b + (transposed ? blk * n : blk));
    else if (transposed) for (let k = 0; k < n; k++) for (let j = 0; j < w; j++) f[o + nr * (k + 1) + j] = f[b + (blk + j) * n + k]!;
    else for (let k = 0; k < n; k++) for (let j = 0; j < w; j++) f[o + nr * (k + 1) + j] = f[b + k * p + blk + j]!;
  }
}

/** A full panel of 8 columns, unrolled (a loop of 8 costs ~2.5x as much here): row k of the panel is src[s + k * stride ..+8]. */
function panel8(f: Float32Array, o: number, n: number, stride: number, s: number): void {
  for (let k = 0; k < n; k++, o += 8, s += stride) {
    f[o] = f[s]!;
    f[o + 1] = f[s + 1]!;
    f[o + 2] = f[s + 2]!;
    f[o + 3] = f[s + 3]!;
    f[o + 4] = f[s + 4]!;
    f[o + 5] = f[s + 5]!;
    f[o + 6] = f[s + 6]!;
    f[o + 7] = f[s + 7]!;
  }
}

/** The same from a transposed source: column j of the panel is src[s + j * stride ..+n]. */
function panel8t(f: Float32Array, o: number, n: number, stride: number, s: number): void {
  for (let k = 0; k < n; k++, o += 8, s++) {
    f[o] = f[s]!;
    f[o + 1] = f[s + stride]!;
    f[o + 2] = f[s + 2 * stride]!;
    f[o + 3] = f[s + 3 * stride]!;
    f[o + 4] = f[s + 4 * stride]!;
    f[o + 5] = f[s + 5 * stride]!;
    f[o + 6] = f[s + 6 * stride]!;
    f[o + 7] = f[s + 7 * stride]!;
  }
}
