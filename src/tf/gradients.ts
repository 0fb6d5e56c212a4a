import type * as tfjs from '@tensorflow/tfjs';
import { deriveSeed } from '../util/rng.js';
import type { LayersModel, TF } from '../tasks/types.js';
import { differentiableLoss, lossGrad, lossValue, type LossKind } from './loss.js';

type Tensor = tfjs.Tensor;

export interface BatchGradients {
  /** One per variable, in the program's `vars` order. */
  readonly grads: Tensor[];
  readonly loss?: tfjs.Scalar;
}

/**
 * How one batch's gradients are computed for a model. Two ways, same numbers:
 * - 'direct': for Sequential stacks of Dense / Dropout / Flatten (the MLPs), forward and backward written out
 *   with fused matMuls: ~15 kernels per step and no tape. Dropout masks are drawn from (seed, step, layer), so
 *   every step gets a new mask and a run reproduces exactly.
 * - 'tape': any other model, through tf.variableGrads and the model's own layers (their Dropout follows tfjs:
 *   a layer given a seed reuses one mask).
 */
export interface GradientProgram {
  readonly kind: 'direct' | 'tape';
  readonly vars: readonly tfjs.Variable[];
  /** Call inside tf.tidy. `step` seeds the dropout masks. */
  gradients(x: Tensor, y: Tensor, seed: number, step: number, wantLoss: boolean): BatchGradients;
}

export type Activation = 'relu' | 'linear' | 'tanh' | 'sigmoid';
export type Stage =
  | { readonly type: 'dense'; readonly kernel: tfjs.Variable; readonly bias?: tfjs.Variable; readonly activation: Activation }
  | { readonly type: 'dropout'; readonly rate: number }
  | { readonly type: 'flatten' };

const ACTIVATIONS: readonly string[] = ['relu', 'linear', 'tanh', 'sigmoid'];

/** The model as a list of stages the direct program can run, or undefined if any layer is beyond it. */
export function stagesOf(model: LayersModel): Stage[] | undefined {
  if (model.getClassName() !== 'Sequential') return undefined;
  const stages: Stage[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Record<string, unknown>;
    if (cls === 'Dense') {
      const extras = ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint'];
      if (extras.some((k) => cfg[k] != null)) return undefined;
      const activation = String(cfg.activation);
      if (!ACTIVATIONS.includes(activation)) return undefined;
      // Dense on a rank-3+ input maps the last axis only: the tape handles that.
      if ((layer.input as tfjs.SymbolicTensor).shape.length !== 2) return undefined;
      const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tfjs.Variable);
      if (kernel?.rank !== 2 || layer.trainableWeights.length !== (cfg.useBias ? 2 : 1)) return undefined;
      stages.push({ type: 'dense', kernel, bias, activation: activation as Activation });
    } else if (cls === 'Dropout') {
      if (cfg.noiseShape != null) return undefined;
      stages.push({ type: 'dropout', rate: Number(cfg.rate) });
    } else if (cls === 'Flatten') {
      stages.push({ type: 'flatten' });
    } else return undefined;
  }
  return stages;
}

/**
 * a^T b and a b^T. On wasm a matMul with a transpose flag runs 2-3x slower than an explicit transpose followed by a
 * plain matMul (measured: 118 vs 44 us for [32,64]^T x [32,64]), so there the transpose is done first.
 */
function transposedProducts(tf: TF) {
  const explicit = tf.getBackend() === 'wasm';
  return {
    tn: (a: Tensor, b: Tensor) => (explicit ? tf.matMul(tf.transpose(a), b) : tf.matMul(a, b, true, false)),
    nt: (a: Tensor, b: Tensor) => (explicit ? tf.matMul(a, tf.transpose(b)) : tf.matMul(a, b, false, true)),
  };
}

/** The gradient d (with respect to a layer's output `out`) carried back through its activation. */
export function throughActivation(tf: TF, activation: Activation, d: Tensor, out: Tensor): Tensor {
  if (activation === 'relu') return tf.mul(d, tf.step(out));
  if (activation === 'tanh') return tf.mul(d, tf.sub(tf.scalar(1), tf.square(out)));
  if (activation === 'sigmoid') return tf.mul(d, tf.mul(out, tf.sub(tf.scalar(1), out)));
  return d;
}

/** A dense stage's output: one fused matMul (tanh is not among the fused activations). */
function denseForward(tf: TF, s: Extract<Stage, { type: 'dense' }>, h: Tensor): Tensor {
  const fusable = s.activation !== 'tanh';
  const z = tf.fused.matMul({ a: h, b: s.kernel, bias: s.bias, activation: fusable ? s.activation : 'linear' });
  return fusable ? z : tf.tanh(z);
}

function directProgram(tf: TF, kind: LossKind, stages: readonly Stage[]): GradientProgram {
  const { tn, nt } = transposedProducts(tf);
  const vars = stages.flatMap((s) => (s.type === 'dense' ? (s.bias ? [s.kernel, s.bias] : [s.kernel]) : []));
  // The first dense layer needs no input gradient, nor does anything before it.
  const firstDense = stages.findIndex((s) => s.type === 'dense');
  return {
    kind: 'direct',
    vars,
    gradients(x, y, seed, step, wantLoss) {
      // Forward, keeping what the backward pass needs: each stage's input, output, and dropout mask.
      const inputs: Tensor[] = [];
      const outputs: Tensor[] = [];
      const masks: Array<Tensor | undefined> = [];
      let h = x;
      stages.forEach((s, i) => {
        inputs.push(h);
        let mask: Tensor | undefined;
        if (s.type === 'dense') {
          h = denseForward(tf, s, h);
        } else if (s.type === 'dropout') {
          if (s.rate > 0) {
            const keep = 1 - s.rate;
            const u = tf.randomUniform(h.shape, 0, 1, 'float32', deriveSeed(seed, 'dropout', step, i));
            // floor(u + keep) is 1 with probability keep; scaled so that the expectation is unchanged.
            mask = tf.mul(tf.floor(tf.add(u, tf.scalar(keep))), tf.scalar(1 / keep));
            h = tf.mul(h, mask);
          }
        } else h = tf.reshape(h, [h.shape[0]!, -1]);
        masks.push(mask);
        outputs.push(h);
      });
      let d = lossGrad(tf, kind, h, y);
      const grads: Tensor[] = [];
      for (let i = stages.length - 1; i >= firstDense; i--) {
        const s = stages[i]!;
        const needInput = i > firstDense;
        if (s.type === 'dense') {
          d = throughActivation(tf, s.activation, d, outputs[i]!);
          if (s.bias) grads.push(tf.sum(d, 0));
          grads.push(tn(inputs[i]!, d));
          if (needInput) d = nt(d, s.kernel);
        } else if (s.type === 'dropout') {
          if (masks[i] && needInput) d = tf.mul(d, masks[i]!);
        } else if (needInput) d = tf.reshape(d, inputs[i]!.shape);
      }
      grads.reverse(); // collected last layer first, bias before kernel: now in `vars` order
      return { grads, loss: wantLoss ? lossValue(tf, kind, h, y) : undefined };
    },
  };
}

export function tapeProgram(tf: TF, kind: LossKind, model: LayersModel): GradientProgram {
  const vars = model.trainableWeights.map((w) => w.read() as tfjs.Variable);
  return {
    kind: 'tape',
    vars,
    gradients(x, y, _seed, _step, wantLoss) {
      const loss = differentiableLoss(tf, kind, y);
      const { value, grads } = tf.variableGrads(() => loss(model.apply(x, { training: true }) as Tensor), vars);
      return { grads: vars.map((v) => grads[v.name]!), loss: wantLoss ? value : undefined };
    },
  };
}

export function gradientProgram(tf: TF, kind: LossKind, model: LayersModel): GradientProgram {
  const stages = stagesOf(model);
  return stages ? directProgram(tf, kind, stages) : tapeProgram(tf, kind, model);
}

/**
 * The model's output without dropout (what validation scores), as a function of the input. For the MLPs the
 * direct forward: the same kernels as model.apply (same numbers, tested), without tfjs-layers' ~1 ms of JavaScript
 * per call, which is most of a per-epoch report's cost on the small tasks. Call the function inside tf.tidy.
 */
export function inference(tf: TF, model: LayersModel): (x: Tensor) => Tensor {
  const stages = stagesOf(model);
  if (!stages) return (x) => model.apply(x, { training: false }) as Tensor;
  // Dropout is the identity at inference.
  const stage = (h: Tensor, s: Stage) => (s.type === 'dense' ? denseForward(tf, s, h) : s.type === 'flatten' ? tf.reshape(h, [h.shape[0]!, -1]) : h);
  return (x) => stages.reduce(stage, x);
}
