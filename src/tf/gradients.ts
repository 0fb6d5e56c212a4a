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
 * How one batch's gradients are computed for a model. Two ways, same numbers (to float rounding):
 * - 'direct': for Sequential stacks of Dense / Dropout / Flatten (the MLPs), and of those with Conv2D and
 *   MaxPooling2D (small conv nets), forward and backward written out with fused matMuls and convolutions: ~15
 *   kernels per MLP step and no tape. Dropout masks are drawn from (seed, step, layer), so every step gets a new
 *   mask and a run reproduces exactly. For digits-cnn this halves a step (benchmarks/conv-grouping.ts).
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
/** The stages of an MLP: what the group program (tf/vectorised.ts) runs too. */
export type Stage =
  | { readonly type: 'dense'; readonly kernel: tfjs.Variable; readonly bias?: tfjs.Variable; readonly activation: Activation }
  | { readonly type: 'dropout'; readonly rate: number }
  | { readonly type: 'flatten' };
type Padding = 'same' | 'valid';
/** A 2-D convolution, channels last, no dilation. */
export interface ConvStage {
  readonly type: 'conv2d';
  readonly kernel: tfjs.Variable;
  readonly bias?: tfjs.Variable;
  readonly activation: Activation;
  readonly strides: [number, number];
  readonly pad: Padding;
}
export interface PoolStage {
  readonly type: 'maxPool';
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly pad: Padding;
}
/** Every stage the direct program runs: an MLP's, and a small conv net's. */
export type DirectStage = Stage | ConvStage | PoolStage;

const ACTIVATIONS: readonly string[] = ['relu', 'linear', 'tanh', 'sigmoid'];
const EXTRAS = ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint'];

/** A layer's [height, width] setting (a number means both), or undefined if it is not one. */
function pair(v: unknown): [number, number] | undefined {
  const p = typeof v === 'number' ? [v, v] : Array.isArray(v) ? v : undefined;
  return p?.length === 2 && p.every((n) => Number.isInteger(n) && n >= 1) ? (p as [number, number]) : undefined;
}

const padding = (v: unknown): Padding | undefined => (v === 'same' || v === 'valid' ? v : undefined);

/** The layer's kernel and bias if it has the weights its config says, of the kernel's rank. */
function weightsOf(layer: LayersModel['layers'][number], rank: number): { kernel: tfjs.Variable; bias?: tfjs.Variable } | undefined {
  const cfg = layer.getConfig() as Record<string, unknown>;
  const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tfjs.Variable);
  if (kernel?.rank !== rank || layer.trainableWeights.length !== (cfg.useBias ? 2 : 1)) return undefined;
  return { kernel, bias };
}

/** One layer as a stage of the direct program, or undefined if it is beyond it. */
function stageOf(layer: LayersModel['layers'][number]): DirectStage | undefined {
  const cls = layer.getClassName();
  const cfg = layer.getConfig() as Record<string, unknown>;
  const activation = String(cfg.activation);
  // Read only for the layers that need it (a layer shared between models has no single input).
  const inputRank = () => (layer.input as tfjs.SymbolicTensor).shape.length;
  if (cls === 'Dense' || cls === 'Conv2D') {
    if (EXTRAS.some((k) => cfg[k] != null) || !ACTIVATIONS.includes(activation)) return undefined;
  }
  if (cls === 'Dense') {
    // Dense on a rank-3+ input maps the last axis only: the tape handles that.
    const w = inputRank() === 2 ? weightsOf(layer, 2) : undefined;
    return w && { type: 'dense', ...w, activation: activation as Activation };
  }
  if (cls === 'Conv2D') {
    const strides = pair(cfg.strides);
    const pad = padding(cfg.padding);
    const plain = cfg.dataFormat === 'channelsLast' && pair(cfg.dilationRate)?.every((d) => d === 1) && inputRank() === 4;
    const w = plain && strides && pad ? weightsOf(layer, 4) : undefined;
    return w && strides && pad && { type: 'conv2d', ...w, activation: activation as Activation, strides, pad };
  }
  if (cls === 'MaxPooling2D') {
    const [poolSize, strides, pad] = [pair(cfg.poolSize), pair(cfg.strides ?? cfg.poolSize), padding(cfg.padding)];
    const ok = cfg.dataFormat === 'channelsLast' && inputRank() === 4;
    return ok && poolSize && strides && pad ? { type: 'maxPool', poolSize, strides, pad } : undefined;
  }
  if (cls === 'Dropout') return cfg.noiseShape == null ? { type: 'dropout', rate: Number(cfg.rate) } : undefined;
  return cls === 'Flatten' ? { type: 'flatten' } : undefined;
}

/** The model as a list of stages the direct program can run, or undefined if any layer is beyond it. */
export function directStagesOf(model: LayersModel): DirectStage[] | undefined {
  if (model.getClassName() !== 'Sequential') return undefined;
  const stages: DirectStage[] = [];
  for (const layer of model.layers) {
    const s = stageOf(layer);
    if (!s) return undefined;
    stages.push(s);
  }
  return stages;
}

const isMlpStage = (s: DirectStage): s is Stage => s.type === 'dense' || s.type === 'dropout' || s.type === 'flatten';

/** The model's stages if it is an MLP (Dense, Dropout, Flatten only), else undefined: what a group can train. */
export function stagesOf(model: LayersModel): Stage[] | undefined {
  const stages = directStagesOf(model);
  return stages?.every(isMlpStage) ? stages : undefined;
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

/** A conv stage's output: one fused convolution, as tfjs-layers' Conv2D computes it. */
function convForward(tf: TF, s: ConvStage, h: Tensor): Tensor {
  const fusable = s.activation !== 'tanh';
  const z = tf.fused.conv2d({
    x: h as tfjs.Tensor4D,
    filter: s.kernel as tfjs.Tensor4D,
    strides: s.strides,
    pad: s.pad,
    bias: s.bias,
    activation: fusable ? s.activation : 'linear',
  });
  return fusable ? z : tf.tanh(z);
}

/** A stage's output at inference, or in training for every stage but dropout (the caller draws its mask). */
function forward(tf: TF, s: DirectStage, h: Tensor): Tensor {
  if (s.type === 'dense') return denseForward(tf, s, h);
  if (s.type === 'conv2d') return convForward(tf, s, h);
  if (s.type === 'maxPool') return tf.maxPool(h as tfjs.Tensor4D, s.poolSize, s.strides, s.pad);
  return s.type === 'flatten' ? tf.reshape(h, [h.shape[0]!, -1]) : h;
}

/** The kernels tfjs's own gradients of conv2d and maxPool run (tfjs does not export them as ops). */
function convGradients(tf: TF) {
  const run = (name: string, inputs: Record<string, Tensor>, attrs: object) => tf.engine().runKernel(name, inputs, attrs as never) as Tensor;
  return {
    filter: (s: ConvStage, x: Tensor, dy: Tensor) =>
      run('Conv2DBackpropFilter', { x, dy }, { strides: s.strides, pad: s.pad, dataFormat: 'NHWC', filterShape: s.kernel.shape }),
    input: (s: ConvStage, x: Tensor, dy: Tensor) =>
      run('Conv2DBackpropInput', { dy, filter: s.kernel }, { strides: s.strides, pad: s.pad, dataFormat: 'NHWC', inputShape: x.shape }),
    pool: (s: PoolStage, x: Tensor, y: Tensor, dy: Tensor) =>
      run('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: s.poolSize, strides: s.strides, pad: s.pad }),
  };
}

function directProgram(tf: TF, kind: LossKind, stages: readonly DirectStage[]): GradientProgram {
  const { tn, nt } = transposedProducts(tf);
  const conv = convGradients(tf);
  const vars = stages.flatMap((s) => (s.type === 'dense' || s.type === 'conv2d' ? (s.bias ? [s.kernel, s.bias] : [s.kernel]) : []));
  // The first layer with weights needs no input gradient, nor does anything before it.
  const firstWeighted = stages.findIndex((s) => s.type === 'dense' || s.type === 'conv2d');
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
        if (s.type === 'dropout') {
          if (s.rate > 0) {
            const keep = 1 - s.rate;
            const u = tf.randomUniform(h.shape, 0, 1, 'float32', deriveSeed(seed, 'dropout', step, i));
            // floor(u + keep) is 1 with probability keep; scaled so that the expectation is unchanged.
            mask = tf.mul(tf.floor(tf.add(u, tf.scalar(keep))), tf.scalar(1 / keep));
            h = tf.mul(h, mask);
          }
        } else h = forward(tf, s, h);
        masks.push(mask);
        outputs.push(h);
      });
      let d = lossGrad(tf, kind, h, y);
      const grads: Tensor[] = [];
      for (let i = stages.length - 1; i >= firstWeighted; i--) {
        const s = stages[i]!;
        const needInput = i > firstWeighted;
        if (s.type === 'dense') {
          d = throughActivation(tf, s.activation, d, outputs[i]!);
          if (s.bias) grads.push(tf.sum(d, 0));
          grads.push(tn(inputs[i]!, d));
          if (needInput) d = nt(d, s.kernel);
        } else if (s.type === 'conv2d') {
          d = throughActivation(tf, s.activation, d, outputs[i]!);
          if (s.bias) grads.push(tf.sum(d, [0, 1, 2]));
          grads.push(conv.filter(s, inputs[i]!, d));
          if (needInput) d = conv.input(s, inputs[i]!, d);
        } else if (s.type === 'maxPool') {
          if (needInput) d = conv.pool(s, inputs[i]!, outputs[i]!, d);
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
  const stages = directStagesOf(model);
  return stages ? directProgram(tf, kind, stages) : tapeProgram(tf, kind, model);
}

/**
 * The model's output without dropout (what validation scores), as a function of the input. For the models of the
 * direct program its forward: the same kernels as model.apply (same numbers, tested), without tfjs-layers' ~1 ms of JavaScript
 * per call, which is most of a per-epoch report's cost on the small tasks. Call the function inside tf.tidy.
 */
export function inference(tf: TF, model: LayersModel): (x: Tensor) => Tensor {
  const stages = directStagesOf(model);
  if (!stages) return (x) => model.apply(x, { training: false }) as Tensor;
  // Dropout is the identity at inference.
  return (x) => stages.reduce((h, s) => forward(tf, s, h), x);
}
