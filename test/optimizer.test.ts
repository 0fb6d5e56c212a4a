/**
 * The hand-written flat optimizers (src/tf/optimizer.ts) against tfjs's own tf.train optimizers, fed the same
 * gradients, on both pure-JS backends (wasm also runs evotune's own slice/concat kernels).
 *
 * Weight decay is L2 coupled to the gradient: `weightDecay * w` is added to the gradient of every kernel (rank >= 2,
 * never a bias) before the optimizer's moments see it. So Adam with decay is Adam on an L2-penalised loss, not AdamW's
 * decoupled decay; the reference below is tfjs's optimizer given exactly those gradients.
 * Adam's epsilon: evotune folds the bias corrections into the step size (Kingma & Ba, after Algorithm 1), which puts
 * epsilon beside sqrt(v) where tfjs puts it beside sqrt(v-hat): early on evotune's epsilon acts up to 1/sqrt(1 - beta2)
 * = 32 times larger. It shows where a coordinate's gradient nears zero (as kernels' do once the L2 term cancels them):
 * here up to 2e-4 after 30 steps of lr 0.05, against 4e-6 with epsilon 0 on both sides (measured by hand). Adam's
 * tolerance is 1% of one step, still far below what a wrong moment or bias correction would give.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { OptimizerConfig } from '../src/tasks/config.js';
import type { TF } from '../src/tasks/types.js';
import { loadTf } from '../src/tf/backend.js';
import { FlatOptimizer } from '../src/tf/optimizer.js';
import { rngFor } from '../src/util/rng.js';

const STEPS = 30;
const LR = 0.05;
const SHAPES = [[3, 4], [4], [4, 2, 2]] as const; // a kernel, a bias, a conv-like kernel

interface Case {
  readonly name: string;
  readonly cfg: OptimizerConfig;
  readonly reference: (tf: TF, lr: number) => tfjs.Optimizer;
  /** Largest difference allowed in any weight after STEPS steps. */
  readonly tolerance: number;
}

const CASES: readonly Case[] = [
  { name: 'adam', cfg: { kind: 'adam', beta1: 0.9 }, reference: (tf, lr) => tf.train.adam(lr, 0.9, 0.999, 1e-7), tolerance: LR / 100 },
  { name: 'adam, beta1 0.5', cfg: { kind: 'adam', beta1: 0.5 }, reference: (tf, lr) => tf.train.adam(lr, 0.5, 0.999, 1e-7), tolerance: LR / 100 },
  { name: 'sgd', cfg: { kind: 'sgd', momentum: 0 }, reference: (tf, lr) => tf.train.sgd(lr), tolerance: 1e-6 },
  { name: 'sgd with momentum', cfg: { kind: 'sgd', momentum: 0.9 }, reference: (tf, lr) => tf.train.momentum(lr, 0.9), tolerance: 1e-6 },
  { name: 'rmsprop', cfg: { kind: 'rmsprop', momentum: 0 }, reference: (tf, lr) => tf.train.rmsprop(lr, 0.9, 0, 1e-7), tolerance: 1e-6 },
  {
    name: 'rmsprop with momentum',
    cfg: { kind: 'rmsprop', momentum: 0.8 },
    reference: (tf, lr) => tf.train.rmsprop(lr, 0.9, 0.8, 1e-7),
    tolerance: 1e-6,
  },
];

/** Fixed starting weights and a fixed sequence of gradients (same for both optimizers), from one seed. */
function problem(seed: number) {
  const rng = rngFor(seed, 'optimizer-test');
  const values = (shape: readonly number[], scale: number) => Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng() * 2 - 1) * scale);
  const init = SHAPES.map((s) => values(s, 1));
  const grads = Array.from({ length: STEPS }, () => SHAPES.map((s) => values(s, 0.5)));
  return { init, grads };
}

/** Runs both optimizers and returns their final weights, flattened per variable. */
function run(tf: TF, c: Case, weightDecay: number, seed: number) {
  const { init, grads } = problem(seed);
  const make = (prefix: string) =>
    SHAPES.map((s, i) => tf.tidy(() => tf.variable(tf.tensor(init[i]!, [...s]), true, `${prefix}-${c.name}-${seed}-${weightDecay}-${i}`)));
  const ours = make('ours');
  const theirs = make('theirs');
  const flat = new FlatOptimizer(tf, ours, c.cfg, weightDecay);
  const ref = c.reference(tf, LR);
  for (const step of grads) {
    tf.tidy(() => {
      const g = step.map((v, i) => tf.tensor(v, [...SHAPES[i]!]));
      flat.step(g, LR);
      // The reference sees the same gradient plus the L2 term on kernels, from its own current weights.
      const withDecay = g.map((gi, i) => (weightDecay > 0 && theirs[i]!.rank >= 2 ? tf.add(gi, tf.mul(theirs[i]!, weightDecay)) : gi));
      ref.applyGradients(theirs.map((v, i) => ({ name: v.name, tensor: withDecay[i]! })));
    });
  }
  const read = (vs: tfjs.Variable[]) => vs.map((v) => Array.from(v.dataSync()));
  const result = { ours: read(ours), theirs: read(theirs), init };
  flat.dispose();
  ref.dispose();
  tf.dispose([...ours, ...theirs]);
  return result;
}

const maxDiff = (a: number[][], b: readonly number[][]) => Math.max(...a.flatMap((v, i) => v.map((x, j) => Math.abs(x - b[i]![j]!))));

describe.each(['cpu', 'wasm'] as const)('FlatOptimizer on %s matches tf.train', (backend) => {
  for (const c of CASES) {
    for (const weightDecay of [0, 0.1]) {
      it(`${c.name}, weight decay ${weightDecay}`, async () => {
        const { tf } = await loadTf({ backend });
        const r = run(tf, c, weightDecay, 7);
        // The weights moved far beyond the tolerance, and both optimizers moved them to the same place.
        expect(maxDiff(r.ours, r.init)).toBeGreaterThan(0.1);
        expect(maxDiff(r.ours, r.theirs)).toBeLessThan(c.tolerance);
      });
    }
  }

  it.each(CASES)('$name: steps do not grow the tensor count, dispose frees everything', async (c) => {
    const { tf } = await loadTf({ backend });
    const before = tf.memory().numTensors;
    const v = tf.tidy(() => tf.variable(tf.ones([3, 4]), true, `memory-${backend}-${c.name}`));
    const opt = new FlatOptimizer(tf, [v], c.cfg, 0.1);
    const step = () => tf.tidy(() => opt.step([tf.fill([3, 4], 0.5)], LR));
    step();
    const afterOne = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(afterOne);
    opt.dispose();
    v.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('decays kernels, never biases', async () => {
    const { tf } = await loadTf({ backend });
    const kernel = tf.variable(tf.ones([2, 2]), true, `decay-kernel-${backend}`);
    const bias = tf.variable(tf.ones([2]), true, `decay-bias-${backend}`);
    const opt = new FlatOptimizer(tf, [kernel, bias], { kind: 'sgd', momentum: 0 }, 0.5);
    tf.tidy(() => opt.step([tf.zeros([2, 2]), tf.zeros([2])], 0.1));
    expect(Array.from(kernel.dataSync())).toEqual(Array(4).fill(Math.fround(1 - 0.1 * 0.5)));
    expect(Array.from(bias.dataSync())).toEqual([1, 1]);
    opt.dispose();
    tf.dispose([kernel, bias]);
  });
});
