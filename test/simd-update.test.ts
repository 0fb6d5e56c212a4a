/**
 * The fused wasm SIMD optimizer step (src/tf/simd-update.ts) against the tfjs-op path it replaces on wasm
 * (optimizer.ts's stepByOps): the same bits, not merely close, for every optimizer, with and without momentum and
 * weight decay, vector lengths that are not multiples of 4, one member and several with their own coefficients.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OptimizerConfig } from '../src/tasks/config.js';
import type { TF } from '../src/tasks/types.js';
import { loadTf } from '../src/tf/backend.js';
import { WASM_VERSION_CHECKED, wasmInternalsProblem } from '../src/tf/flat-kernels.js';
import { ADAM_EPS, BETA2, FlatOptimizer, RMS_DECAY, RMS_EPS, stepByOps, type FlatState } from '../src/tf/optimizer.js';
import { fusedStep, wasmMemoryOf, type RowCoefficients } from '../src/tf/simd-update.js';
import { StackedOptimizer, type OptimizerMember } from '../src/tf/vectorised.js';
import { sleb, uleb } from '../src/tf/wasm-encoder.js';
import { rngFor } from '../src/util/rng.js';

type Tensor = tfjs.Tensor;
const STEPS = 20;
/** The reference MLP (64-64-64-10 on 64 inputs): 13,130 weights; and a 7-weight model. Neither a multiple of 4. */
const MLP = [[64, 64], [64], [64, 64], [64], [64, 64], [64], [64, 10], [10]];
const TINY = [[2, 3], [1]];
const sizeOf = (shapes: number[][]) => shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

let tf: TF;
beforeAll(async () => {
  tf = (await loadTf({ backend: 'wasm' })).tf;
});

/** The first element whose bits differ, or undefined: Float32Array bits, so -0 vs 0 and NaN payloads count. */
function firstDifference(a: Float32Array, b: Float32Array): string | undefined {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const i = x.findIndex((v, j) => v !== y[j]);
  return i < 0 ? undefined : `element ${i}: ${a[i]} and ${b[i]}`;
}

function expectSameStates(a: readonly FlatState[], b: readonly FlatState[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((s, i) => {
    expect(firstDifference(s.theta, b[i]!.theta), `member ${i}: theta`).toBeUndefined();
    s.slots.forEach((slot, j) => expect(firstDifference(slot, b[i]!.slots[j]!), `member ${i}: slot ${j}`).toBeUndefined());
  });
}

/** Gradients of mixed magnitudes (so that roundings differ between orders of operations), one array per step. */
function gradients(seed: number, size: number): Float32Array[] {
  const rng = rngFor(seed, 'simd-update-test');
  return Array.from({ length: STEPS }, () => Float32Array.from({ length: size }, () => (rng() * 2 - 1) * 10 ** Math.floor(rng() * 6 - 4)));
}

const CONFIGS: Array<{ name: string; cfg: (i: number) => OptimizerConfig }> = [
  { name: 'adam', cfg: (i) => ({ kind: 'adam', beta1: [0.9, 0.5, 0.99, 0.8, 0.95][i]! }) },
  { name: 'sgd', cfg: () => ({ kind: 'sgd', momentum: 0 }) },
  { name: 'sgd with momentum', cfg: (i) => ({ kind: 'sgd', momentum: [0.9, 0, 0.5, 0.99, 0.7][i]! }) },
  { name: 'rmsprop', cfg: () => ({ kind: 'rmsprop', momentum: 0 }) },
  { name: 'rmsprop with momentum', cfg: (i) => ({ kind: 'rmsprop', momentum: [0.8, 0.9, 0, 0.5, 0.3][i]! }) },
];
const LRS = [3e-3, 1e-2, 5e-4, 2e-2, 7e-3];

describe('FlatOptimizer on wasm: the fused step gives the op path bits', () => {
  for (const { name, cfg } of CONFIGS) {
    for (const decay of [0, 1e-3]) {
      for (const shapes of [MLP, TINY]) {
        it(`${name}, weight decay ${decay}, ${sizeOf(shapes)} weights`, () => {
          const run = (path: 'fused' | 'ops') => {
            const rng = rngFor(7, 'init');
            const vars = shapes.map((s) =>
              tf.variable(
                tf.tensor(
                  Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng() - 0.5),
                  s,
                ),
              ),
            );
            const opt = new FlatOptimizer(tf, vars, cfg(0), decay, path);
            expect(opt.path).toBe(path);
            for (const [t, g] of gradients(3, sizeOf(shapes)).entries()) {
              tf.tidy(() => {
                let at = 0;
                const grads = shapes.map((s) => {
                  const size = s.reduce((a, b) => a * b, 1);
                  return tf.tensor(g.subarray(at, (at += size)), s);
                });
                opt.step(grads, LRS[t % LRS.length]!);
              });
            }
            const state = opt.exportState();
            const weights = Float32Array.from(vars.flatMap((v) => Array.from(v.dataSync())));
            opt.dispose();
            tf.dispose(vars);
            return { state, weights };
          };
          const fused = run('fused');
          const ops = run('ops');
          expectSameStates([fused.state], [ops.state]);
          expect(firstDifference(fused.weights, ops.weights), 'model variables').toBeUndefined();
        });
      }
    }
  }
});

/** K members with their own rates, beta1 / momentum and weight decay (some 0), `steps` of these gradients per member. */
function runStacked(
  path: 'fused' | 'ops',
  cfg: (i: number) => OptimizerConfig,
  k: number,
  shapes: number[][],
  grads: (step: number) => Float32Array[],
  decays: number[],
) {
  const rng = rngFor(11, 'init');
  const initial = shapes.map((s) =>
    tf.tensor(
      Float32Array.from({ length: k * s.reduce((a, b) => a * b, 1) }, () => rng() - 0.5),
      [k, ...s],
    ),
  );
  const members: OptimizerMember[] = Array.from({ length: k }, (_, i) => ({ optimizer: cfg(i), weightDecay: decays[i % decays.length]! }));
  const opt = new StackedOptimizer(tf, shapes, initial, members, path);
  expect(opt.path).toBe(path);
  const n = sizeOf(shapes);
  const sums: number[][] = [];
  let variables = new Float32Array();
  for (let t = 0; t < STEPS; t++) {
    const rows = grads(t);
    tf.tidy(() => {
      let at = 0;
      const parts = shapes.map((s) => {
        const size = s.reduce((a, b) => a * b, 1);
        const buf = new Float32Array(k * size);
        rows.forEach((r, i) => buf.set(r.subarray(at, at + size), i * size));
        at += size;
        return tf.tensor(buf, [k, ...s]);
      });
      const next = opt.step(
        parts,
        rows.map((_, i) => LRS[(t + i) % LRS.length]!),
      );
      variables = Float32Array.from(next.flatMap((v) => Array.from(v.dataSync())));
      sums.push(Array.from(opt.checksums().dataSync()));
    });
  }
  const states = opt.exportRows();
  opt.dispose();
  tf.dispose(initial);
  expect(states[0]!.theta.length).toBe(n);
  return { states, sums, variables };
}

describe('StackedOptimizer on wasm: the fused step gives the op path bits, member by member', () => {
  for (const { name, cfg } of CONFIGS) {
    for (const decays of [[0], [1e-3, 0, 5e-2, 1e-4, 0]]) {
      for (const k of [1, 5]) {
        for (const shapes of k === 5 ? [MLP, TINY] : [TINY]) {
          it(`${name}, weight decay ${decays.join('/')}, K = ${k}, ${sizeOf(shapes)} weights`, () => {
            const perStep = gradients(5, k * sizeOf(shapes));
            const grads = (t: number) => Array.from({ length: k }, (_, i) => perStep[t]!.subarray(i * sizeOf(shapes), (i + 1) * sizeOf(shapes)));
            const fused = runStacked('fused', cfg, k, shapes, grads, decays);
            const ops = runStacked('ops', cfg, k, shapes, grads, decays);
            expectSameStates(fused.states, ops.states);
            expect(firstDifference(fused.variables, ops.variables), 'the variables the last step returned').toBeUndefined();
          });
        }
      }
    }
  }
});

describe('fusedStep: every variant of the kernel against stepByOps', () => {
  // RMSProp without its momentum term is a variant the optimizers never take (they keep that slot), so it is called here.
  const variants = [
    ['adam', false],
    ['sgd', false],
    ['sgd', true],
    ['rmsprop', false],
    ['rmsprop', true],
  ] as const;
  for (const [kind, moving] of variants) {
    for (const decay of [false, true]) {
      it(`${kind}${moving ? ' with momentum' : ''}${decay ? ', weight decay' : ''}: 5 rows of 7`, () => {
        const k = 5;
        const n = 7;
        const rows: RowCoefficients[] = LRS.map((rate, i) => ({
          rate,
          beta1: [0.9, 0.5, 0.99, 0.8, 0.95][i]!,
          momentum: [0.9, 0, 0.5, 0.99, 0.7][i]!,
        }));
        const col = (f: (r: RowCoefficients) => number) => tf.tensor2d(Float32Array.from(rows.map(f)), [k, 1]);
        const shared = { beta2: BETA2, adamEps: ADAM_EPS, rmsDecay: RMS_DECAY, rmsEps: RMS_EPS };
        const rng = rngFor(13, kind, String(moving), String(decay));
        const values = () =>
          tf.tensor2d(
            Float32Array.from({ length: k * n }, () => rng() * 2 - 1),
            [k, n],
          );
        const start = { theta: values(), decay: decay ? tf.abs(values()) : undefined, state: [tf.square(values()), tf.square(values())] };
        const gs = Array.from({ length: STEPS }, (_, t) => Float32Array.from({ length: k * n }, () => (rng() * 2 - 1) * (t + 1)));
        const run = (path: 'fused' | 'ops') =>
          tf.tidy(() => {
            let theta: Tensor = start.theta;
            let state: Tensor[] = [...start.state];
            for (let t = 0; t < STEPS; t++) {
              const g = tf.tensor2d(gs[t]!, [k, n]);
              const tensors = { theta, g, decay: start.decay, state };
              const next =
                path === 'fused'
                  ? fusedStep(tf, kind, moving, { ...tensors, grads: [g] }, rows, shared)
                  : stepByOps(
                      tf,
                      kind,
                      moving,
                      tensors,
                      {
                        b1: col((r) => r.beta1),
                        nb1: col((r) => 1 - r.beta1),
                        b2: tf.scalar(BETA2),
                        nb2: tf.scalar(1 - BETA2),
                        eps: tf.scalar(kind === 'adam' ? ADAM_EPS : RMS_EPS),
                        mu: col((r) => r.momentum),
                        rho: tf.scalar(RMS_DECAY),
                        nrho: tf.scalar(1 - RMS_DECAY),
                      },
                      col((r) => r.rate),
                    );
              theta = next.theta;
              state = state.map((s, i) => next.slots[i] ?? s);
            }
            return [theta, ...state].map((x) => x.dataSync() as Float32Array);
          });
        const fused = run('fused');
        const ops = run('ops');
        fused.forEach((a, i) => expect(firstDifference(a, ops[i]!), `output ${i}`).toBeUndefined());
        tf.dispose([start.theta, ...start.state, ...(start.decay ? [start.decay] : [])]);
      });
    }
  }
});

describe('a NaN or an infinity in one member', () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`a ${bad} gradient in member 1 of 3 stays in its row; the others keep the bits they have without it`, () => {
      const k = 3;
      const shapes = TINY;
      const n = sizeOf(shapes);
      const perStep = gradients(9, k * n);
      const clean = (t: number) => Array.from({ length: k }, (_, i) => perStep[t]!.subarray(i * n, (i + 1) * n));
      const poisoned = (t: number) =>
        clean(t).map((row, i) => {
          if (i !== 1 || t !== 4) return row;
          const copy = Float32Array.from(row);
          copy[5] = bad;
          return copy;
        });
      const cfg = (i: number): OptimizerConfig => ({ kind: 'adam', beta1: [0.9, 0.5, 0.8][i]! });
      const hit = runStacked('fused', cfg, k, shapes, poisoned, [1e-3]);
      const ref = runStacked('fused', cfg, k, shapes, clean, [1e-3]);
      expect(firstDifference(hit.states[0]!.theta, ref.states[0]!.theta)).toBeUndefined();
      expect(firstDifference(hit.states[2]!.theta, ref.states[2]!.theta)).toBeUndefined();
      expect(hit.states[1]!.theta.some((v) => !Number.isFinite(v))).toBe(true);
      // The divergence check (checksums) sees member 1 from the step that took the bad gradient on, and no other.
      expect(hit.sums.map((s) => s.map(Number.isFinite))).toEqual(hit.sums.map((_, t) => [true, t < 4, true]));
    });
  }
});

describe('memory', () => {
  it('stays flat over 300 fused steps: tensors, bytes and the wasm heap', () => {
    const k = 4;
    const shapes = MLP;
    const initial = shapes.map((s) => tf.randomNormal([k, ...s], 0, 0.1, 'float32', 1));
    const members = Array.from({ length: k }, (_, i) => ({ optimizer: { kind: 'adam' as const, beta1: 0.9 }, weightDecay: i % 2 ? 1e-3 : 0 }));
    const stacked = new StackedOptimizer(tf, shapes, initial, members);
    const vars = shapes.map((s) => tf.variable(tf.randomNormal(s, 0, 0.1, 'float32', 2)));
    const flat = new FlatOptimizer(tf, vars, { kind: 'rmsprop', momentum: 0.9 }, 1e-3);
    expect([stacked.path, flat.path]).toEqual(['fused', 'fused']);
    const stackedGrads = shapes.map((s) => tf.randomNormal([k, ...s], 0, 0.01, 'float32', 3));
    const flatGrads = shapes.map((s) => tf.randomNormal(s, 0, 0.01, 'float32', 4));
    const heap = wasmMemoryOf(tf.backend())!;
    const step = () =>
      tf.tidy(() => {
        stacked.step(stackedGrads, [1e-3, 2e-3, 3e-3, 4e-3]);
        flat.step(flatGrads, 1e-3);
      });
    for (let i = 0; i < 10; i++) step();
    const before = { ...tf.memory(), heap: heap.buffer.byteLength };
    for (let i = 0; i < 300; i++) step();
    const after = { ...tf.memory(), heap: heap.buffer.byteLength };
    expect([after.numTensors, after.numBytes, after.heap]).toEqual([before.numTensors, before.numBytes, before.heap]);
    stacked.dispose();
    flat.dispose();
    tf.dispose([...initial, ...vars, ...stackedGrads, ...flatGrads]);
  });
});

describe('which path runs', () => {
  it('fused on wasm by default; ops on cpu, where asking for fused is an error', async () => {
    const v = [tf.variable(tf.zeros([3]))];
    const onWasm = new FlatOptimizer(tf, v, { kind: 'sgd', momentum: 0 }, 0);
    expect(onWasm.path).toBe('fused');
    onWasm.dispose();
    tf.dispose(v);
    const cpu = (await loadTf({ backend: 'cpu' })).tf;
    try {
      const w = [cpu.variable(cpu.zeros([3]))];
      const onCpu = new FlatOptimizer(cpu, w, { kind: 'sgd', momentum: 0 }, 0);
      expect(onCpu.path).toBe('ops');
      onCpu.dispose();
      expect(() => new FlatOptimizer(cpu, w, { kind: 'sgd', momentum: 0 }, 0, 'fused')).toThrow(
        'the fused optimizer update needs the wasm backend (this one is cpu)',
      );
      cpu.dispose(w);
    } finally {
      await loadTf({ backend: 'wasm' });
    }
  });
});

describe('the wasm encoder', () => {
  it('writes LEB128 as the spec does', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-4)).toEqual([0x7c]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });
});

describe('the load-time guard', () => {
  it("names the module's memory when a backend has the methods but not the memory", () => {
    const methods = { makeOutput: () => undefined, typedArrayFromHeap: () => undefined };
    expect(wasmInternalsProblem(WASM_VERSION_CHECKED, methods)).toBe(
      "its module's memory (wasm.asm.memory) is not reachable, which evotune's optimizer kernel needs",
    );
    expect(wasmInternalsProblem(WASM_VERSION_CHECKED, { ...methods, wasm: { asm: { memory: wasmMemoryOf(tf.backend()) } } })).toBeUndefined();
  });
});
