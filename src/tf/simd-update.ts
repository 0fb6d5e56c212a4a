/**
 * The optimizer step (weight decay, Adam / SGD / RMSProp update, theta - update) as ONE wasm kernel on wasm, where the
 * tfjs-op path (optimizer.ts's stepByOps) runs 10-20 kernels on the flat vector, each paying the engine's per-kernel
 * cost, and tfjs-wasm's Sqrt is scalar code.
 *
 * The kernel is a tiny WebAssembly module written here (wasm-encoder.ts) that imports tfjs-backend-wasm's own memory,
 * so it reads and writes the tensors' buffers where they are. Each loop does 4 floats per iteration (f32x4) and
 * the last n mod 4 one at a time. Its results are bit for bit those of the op path: wasm SIMD has no fused
 * multiply-add, so every operation rounds to float32 as tfjs's kernel for it does, and the operations are the op
 * path's, in its order (each lane program below says which line it mirrors). Rows are independent: K members'
 * parameters, each with its own rate and beta1 / momentum, and a NaN in one row stays in that row.
 *
 * The kernel also takes the op path's two copies: it reads each variable's gradient where it is (no concatenation
 * into a flat vector first) and writes the new weights both into the flat parameters and into one tensor per
 * variable (no slicing them back out after).
 *
 * Outputs are fresh tensors made by the backend (as any kernel's are): the optimizer disposes the old ones, exactly
 * as on the op path, and no tensor anyone else may hold is written. (Updating its own buffers in place instead would
 * save the outputs' malloc and free: about 1 us a step against the 30-60 us the step costs, measured.)
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { OptimizerConfig } from '../tasks/config.js';
import type { TF } from '../tasks/types.js';
import { encodeModule, Op, sleb, uleb, ValType, type FunctionSpec } from './wasm-encoder.js';
import { sizeOf } from '../util/linalg.js';

type Tensor = tfjs.Tensor;
type Kind = OptimizerConfig['kind'];

/** Streams a lane program reads (s0, s1: the optimizer's slots) and writes (the new theta and slots; the new theta
 *  again into the variable's own tensor: partOut). */
const INPUTS = ['theta', 'g', 'decay', 's0', 's1'] as const;
const OUTPUTS = ['thetaOut', 's0Out', 's1Out', 'partOut'] as const;
/** Coefficients: rate, b1, nb1 and mu are per row (member); the others shared. */
const COEFS = ['rate', 'b1', 'nb1', 'b2', 'nb2', 'eps', 'mu', 'rho', 'nrho'] as const;
type Input = (typeof INPUTS)[number];
type Output = (typeof OUTPUTS)[number];
type Coef = (typeof COEFS)[number];

type Expr =
  | { readonly load: Input }
  | { readonly coef: Coef }
  | { readonly temp: number }
  | { readonly op: 'add' | 'sub' | 'mul' | 'div'; readonly a: Expr; readonly b: Expr }
  | { readonly op: 'sqrt'; readonly a: Expr };
type Stmt = { readonly temp: number; readonly value: Expr } | { readonly store: Output; readonly value: Expr };

const load = (s: Input): Expr => ({ load: s });
const c = (name: Coef): Expr => ({ coef: name });
const add = (a: Expr, b: Expr): Expr => ({ op: 'add', a, b });
const sub = (a: Expr, b: Expr): Expr => ({ op: 'sub', a, b });
const mul = (a: Expr, b: Expr): Expr => ({ op: 'mul', a, b });
const div = (a: Expr, b: Expr): Expr => ({ op: 'div', a, b });
const sqrt = (a: Expr): Expr => ({ op: 'sqrt', a });

/** What one element goes through: named values computed once (temps) and the stores. */
class Lanes {
  readonly stmts: Stmt[] = [];
  temps = 0;
  let(value: Expr): Expr {
    this.stmts.push({ temp: this.temps, value });
    return { temp: this.temps++ };
  }
  store(out: Output, value: Expr): void {
    this.stmts.push({ store: out, value });
  }
}

/** One element's step: FlatOptimizer.step / StackedOptimizer.step around optimizer.ts's optimizerUpdate. */
function laneProgram(kind: Kind, moving: boolean, decay: boolean): Lanes {
  const x = new Lanes();
  const theta = x.let(load('theta'));
  // stepByOps: g = tf.add(g, tf.mul(decay, theta))
  const g = x.let(decay ? add(load('g'), mul(load('decay'), theta)) : load('g'));
  let update: Expr;
  switch (kind) {
    case 'adam': {
      // m = tf.add(tf.mul(state[0], b1), tf.mul(g, nb1))
      const m = x.let(add(mul(load('s0'), c('b1')), mul(g, c('nb1'))));
      // v = tf.add(tf.mul(state[1], b2), tf.mul(tf.square(g), nb2))
      const v = x.let(add(mul(load('s1'), c('b2')), mul(mul(g, g), c('nb2'))));
      x.store('s0Out', m);
      x.store('s1Out', v);
      // update = tf.mul(tf.div(m, tf.add(tf.sqrt(v), eps)), rate)
      update = mul(div(m, add(sqrt(v), c('eps'))), c('rate'));
      break;
    }
    case 'sgd': {
      // vel = moving ? tf.add(tf.mul(state[0], mu), g) : g
      const vel = moving ? x.let(add(mul(load('s0'), c('mu')), g)) : g;
      if (moving) x.store('s0Out', vel);
      // update = tf.mul(vel, rate)
      update = mul(vel, c('rate'));
      break;
    }
    case 'rmsprop': {
      // ms = tf.add(tf.mul(state[0], rho), tf.mul(tf.square(g), nrho))
      const ms = x.let(add(mul(load('s0'), c('rho')), mul(mul(g, g), c('nrho'))));
      x.store('s0Out', ms);
      // scaled = tf.mul(tf.div(g, tf.sqrt(tf.add(ms, eps))), rate)
      const scaled = mul(div(g, sqrt(add(ms, c('eps')))), c('rate'));
      if (moving) {
        // update = tf.add(tf.mul(state[1], mu), scaled)
        update = x.let(add(mul(load('s1'), c('mu')), scaled));
        x.store('s1Out', update);
      } else update = scaled;
      break;
    }
  }
  // stepByOps: theta = tf.sub(theta, update); then the variable's part of it (splitFlat / sliceColumns)
  const next = x.let(sub(theta, update));
  x.store('thetaOut', next);
  x.store('partOut', next);
  return x;
}

/**
 * Every function has the same parameters: the 9 stream pointers (byte offsets; unused ones ignored), n (elements),
 * then the 9 coefficients as f32. Locals: i (byte offset), the two loop ends, a splat per coefficient, a v128 and
 * an f32 per temp.
 */
const PARAMS: ValType[] = [...[...INPUTS, ...OUTPUTS, 'n'].map(() => ValType.i32), ...COEFS.map(() => ValType.f32)];
const ptr = (s: Input | Output) => [...INPUTS, ...OUTPUTS].indexOf(s as never);
/** The parameter n: after the pointers. */
const N = INPUTS.length + OUTPUTS.length;
const coefParam = (k: Coef) => N + 1 + COEFS.indexOf(k);
const I = PARAMS.length;
const END4 = I + 1;
const END = I + 2;
const splat = (k: Coef) => I + 3 + COEFS.indexOf(k);

function compile(name: string, lanes: Lanes): FunctionSpec {
  const vTemp = (t: number) => I + 3 + COEFS.length + t;
  const fTemp = (t: number) => I + 3 + COEFS.length + lanes.temps + t;
  const get = (local: number) => [Op.localGet, ...uleb(local)];
  const set = (local: number) => [Op.localSet, ...uleb(local)];
  const address = (s: Input | Output) => [...get(ptr(s)), ...get(I), Op.i32Add];
  const body = (w: 1 | 4): number[] => {
    const ops = {
      add: w === 4 ? Op.f32x4Add : [Op.f32Add],
      sub: w === 4 ? Op.f32x4Sub : [Op.f32Sub],
      mul: w === 4 ? Op.f32x4Mul : [Op.f32Mul],
      div: w === 4 ? Op.f32x4Div : [Op.f32Div],
      sqrt: w === 4 ? Op.f32x4Sqrt : [Op.f32Sqrt],
    };
    // memarg: alignment 2^2 (every float is 4-byte aligned; a hint only), offset 0.
    const memarg = [2, 0];
    const emit = (e: Expr): number[] => {
      if ('load' in e) return [...address(e.load), ...(w === 4 ? Op.v128Load : [Op.f32Load]), ...memarg];
      if ('coef' in e) return get(w === 4 ? splat(e.coef) : coefParam(e.coef));
      if ('temp' in e) return get(w === 4 ? vTemp(e.temp) : fTemp(e.temp));
      if (e.op === 'sqrt') return [...emit(e.a), ...ops.sqrt];
      return [...emit(e.a), ...emit(e.b), ...ops[e.op]];
    };
    return lanes.stmts.flatMap((s) =>
      'store' in s
        ? [...address(s.store), ...emit(s.value), ...(w === 4 ? Op.v128Store : [Op.f32Store]), ...memarg]
        : [...emit(s.value), ...set(w === 4 ? vTemp(s.temp) : fTemp(s.temp))],
    );
  };
  // while (i < end) { body; i += step }
  const loop = (end: number, step: number, inner: number[]) => [
    ...Op.block,
    ...Op.loop,
    ...get(I),
    ...get(end),
    Op.i32GeU,
    Op.brIf,
    1,
    ...inner,
    ...get(I),
    Op.i32Const,
    ...sleb(step),
    Op.i32Add,
    ...set(I),
    Op.br,
    0,
    Op.end,
    Op.end,
  ];
  return {
    name,
    params: PARAMS,
    locals: [
      ValType.i32,
      ValType.i32,
      ValType.i32,
      ...COEFS.map(() => ValType.v128),
      ...Array<ValType>(lanes.temps).fill(ValType.v128),
      ...Array<ValType>(lanes.temps).fill(ValType.f32),
    ],
    body: [
      // end = n * 4; end4 = (n & ~3) * 4: the 4-wide loop stops where fewer than 4 floats are left.
      ...get(N),
      Op.i32Const,
      ...sleb(2),
      Op.i32Shl,
      ...set(END),
      ...get(N),
      Op.i32Const,
      ...sleb(-4),
      Op.i32And,
      Op.i32Const,
      ...sleb(2),
      Op.i32Shl,
      ...set(END4),
      ...COEFS.flatMap((k) => [...get(coefParam(k)), ...Op.f32x4Splat, ...set(splat(k))]),
      ...loop(END4, 16, body(4)),
      ...loop(END, 4, body(1)),
    ],
  };
}

/** The exported functions' names: one per optimizer, momentum term and weight decay present or not. */
const fnName = (kind: Kind, moving: boolean, decay: boolean) => `${kind}${kind !== 'adam' && moving ? '_moving' : ''}${decay ? '_decay' : ''}`;

/** The module's bytes: every variant of every optimizer. */
export function updateModuleBytes(): Uint8Array<ArrayBuffer> {
  const fns: FunctionSpec[] = [];
  for (const kind of ['adam', 'sgd', 'rmsprop'] as const) {
    for (const moving of kind === 'adam' ? [false] : [false, true]) {
      for (const decay of [false, true]) fns.push(compile(fnName(kind, moving, decay), laneProgram(kind, moving, decay)));
    }
  }
  return encodeModule(fns);
}

type UpdateFn = (...args: number[]) => void;

let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<WebAssembly.Memory, Record<string, UpdateFn>>();

/** The module, compiled once per thread (null: this engine cannot compile it, e.g. no wasm SIMD). */
function updateModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(updateModuleBytes());
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** The parts of tfjs-backend-wasm's backend used here (checked at load by flat-kernels.ts's wasmInternalsProblem). */
interface WasmInternals {
  makeOutput(shape: number[], dtype: tfjs.DataType): tfjs.TensorInfo;
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  wasm: { asm: { memory: WebAssembly.Memory } };
}

/** The backend's wasm memory, if it exposes it where 4.22 does. */
export function wasmMemoryOf(backend: object): WebAssembly.Memory | undefined {
  const memory = (backend as Partial<WasmInternals>).wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

function functionsFor(memory: WebAssembly.Memory): Record<string, UpdateFn> | undefined {
  let fns = instances.get(memory);
  const mod = updateModule();
  if (!fns && mod) {
    try {
      fns = new WebAssembly.Instance(mod, { env: { memory } }).exports as Record<string, UpdateFn>;
    } catch {
      // A memory the module cannot import (the threaded build's shared memory): the op path runs instead.
      return undefined;
    }
    instances.set(memory, fns);
  }
  return fns;
}

/** Per row (member): its step size (Adam's with the bias corrections folded in), beta1 (Adam) and momentum. */
export interface RowCoefficients {
  readonly rate: number;
  readonly beta1: number;
  readonly momentum: number;
}

/** The constants optimizer.ts defines: Adam's beta2 and epsilon, RMSProp's decay and epsilon. */
export interface SharedCoefficients {
  readonly beta2: number;
  readonly adamEps: number;
  readonly rmsDecay: number;
  readonly rmsEps: number;
}

interface UpdateAttrs {
  kind: Kind;
  moving: boolean;
  rows: readonly RowCoefficients[];
  shared: SharedCoefficients;
  /** How many gradient parts (inputs g0, g1, ...): the variables, in the flat vector's order. */
  parts: number;
}

const UPDATE = 'EvotuneOptimizerUpdate';
/** Slots the update reads and writes: Adam m and v; SGD its velocity if moving; RMSProp its mean square, and momentum if moving. */
const slotsWritten = (kind: Kind, moving: boolean) => (kind === 'adam' ? 2 : kind === 'sgd' ? (moving ? 1 : 0) : moving ? 2 : 1);
const elements = (t: tfjs.TensorInfo) => sizeOf(t.shape);

function registerUpdateKernel(tf: TF): void {
  if (tf.getKernel(UPDATE, 'wasm')) return;
  tf.registerKernel({
    kernelName: UPDATE,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmInternals;
      const { kind, moving, rows, shared, parts } = attrs as unknown as UpdateAttrs;
      const theta = inputs.theta!;
      const grads = Array.from({ length: parts }, (_, v) => inputs[`g${v}`]!);
      const fn = functionsFor(wasmMemoryOf(backend)!)![fnName(kind, moving, inputs.decay !== undefined)]!;
      const size = elements(theta);
      const n = size / rows.length;
      // Per member row, each part's width: the part's share of the row.
      const widths = grads.map((g) => elements(g) / rows.length);
      const flat = [inputs.decay, inputs.s0, inputs.s1].filter((t) => t !== undefined);
      if (
        [theta, ...flat, ...grads].some((t) => t.dtype !== 'float32') ||
        flat.some((t) => elements(t) !== size) ||
        widths.reduce((a, b) => a + b, 0) !== n
      )
        throw new Error(`${UPDATE}: float32 inputs expected, theta, decay and slots of ${size} elements, gradients adding up to it`);
      const outs = Array.from({ length: 1 + slotsWritten(kind, moving) }, () => heap.makeOutput([...theta.shape], 'float32'));
      const partOuts = grads.map((g) => heap.makeOutput([...g.shape], 'float32'));
      // Offsets read after the outputs are made (making one may grow the heap; offsets stay, views would not).
      const at = (t: tfjs.TensorInfo | undefined) => (t ? heap.dataIdMap.get(t.dataId).memoryOffset : 0);
      const [thetaOut, s0Out, s1Out] = outs;
      // Streams laid out as theta ([K, n] row-major), and where each part of theta is in each row.
      const [th, decay, s0, s1, thOut, s0o, s1o] = [theta, inputs.decay, inputs.s0, inputs.s1, thetaOut, s0Out, s1Out].map(at) as number[];
      const gAt = grads.map(at);
      const partAt = partOuts.map(at);
      const eps = kind === 'adam' ? shared.adamEps : shared.rmsEps;
      rows.forEach((r, i) => {
        const coefs: Record<Coef, number> = {
          rate: r.rate,
          b1: r.beta1,
          nb1: 1 - r.beta1,
          b2: shared.beta2,
          nb2: 1 - shared.beta2,
          eps,
          mu: r.momentum,
          rho: shared.rmsDecay,
          nrho: 1 - shared.rmsDecay,
        };
        const values = COEFS.map((k) => coefs[k]);
        let bytes = i * n * 4;
        for (let v = 0; v < grads.length; v++) {
          const w = widths[v]!;
          // Absent streams stay 0 (the variant never touches them); the others move to this row and part.
          const to = (p: number) => (p === 0 ? 0 : p + bytes);
          fn(to(th!), gAt[v]! + i * w * 4, to(decay!), to(s0!), to(s1!), to(thOut!), to(s0o!), to(s1o!), partAt[v]! + i * w * 4, w, ...values);
          bytes += w * 4;
        }
      });
      return [...outs, ...partOuts];
    },
  });
}

/** Whether this backend runs the fused kernel (registering it the first time): wasm, with its memory reachable. */
export function fusedUpdateAvailable(tf: TF): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const memory = wasmMemoryOf(tf.backend());
  if (!memory || !functionsFor(memory)) return false;
  registerUpdateKernel(tf);
  return true;
}

/**
 * The whole step as one kernel: optimizer.ts's stepByOps on the concatenation of `grads`, with that concatenation and
 * the cut of the new parameters into variables done in place of the copies the op path makes. theta, decay and the
 * slots are [K, n] (or [n] for one model), the gradients [K, ...shape] (or [...shape]) adding up to n per row, one
 * row of coefficients per member. Returns the new parameters, the slots the update writes (those optimizerUpdate
 * returns, in its order) and the new parameters shaped as the gradients. Call inside tf.tidy, after
 * fusedUpdateAvailable said yes.
 */
export function fusedStep(
  tf: TF,
  kind: Kind,
  moving: boolean,
  tensors: { theta: Tensor; grads: readonly Tensor[]; decay: Tensor | undefined; state: readonly Tensor[] },
  rows: readonly RowCoefficients[],
  shared: SharedCoefficients,
): { theta: Tensor; slots: Tensor[]; parts: Tensor[] } {
  const { theta, grads, decay, state } = tensors;
  const inputs: Record<string, Tensor> = { theta };
  grads.forEach((g, v) => {
    inputs[`g${v}`] = g;
  });
  if (decay) inputs.decay = decay;
  // Only the slots the variant reads (the ones it writes): SGD without momentum none, RMSProp without it its mean square.
  const written = slotsWritten(kind, moving);
  state.slice(0, written).forEach((s, i) => {
    inputs[`s${i}`] = s;
  });
  const attrs: UpdateAttrs = { kind, moving, rows, shared, parts: grads.length };
  const [next, ...rest] = tf.engine().runKernel(UPDATE, inputs, attrs as never) as Tensor[];
  return { theta: next!, slots: rest.slice(0, written), parts: rest.slice(written) };
}
