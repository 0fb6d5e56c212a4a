/**
 * Would training K digits-cnn members as one program pay? Measured before building it (issue 14), one core, wasm:
 *   node dist/benchmarks/conv-grouping.js [--quick]
 * Grouping amortises what a step pays per kernel (tfjs engine dispatch, allocation, the tape, tfjs-layers'
 * JavaScript), never the arithmetic, which stays per member. So, for the step through the tape and written out:
 * 1. The real step: trainAndEvaluate's steps per CPU-second, and the same step (the task's model, a gradient
 *    program, the flat optimizer) in a loop, with every kernel it dispatches counted and timed by name: conv
 *    kernels, pooling, products, the rest, and the time outside any kernel.
 * 2. The overhead bound: the step at batch 1..default, interleaved; a line through the per-step CPU times gives
 *    the part that does not grow with the batch (what K members in one program could share) and from it Amdahl's
 *    best member-steps/s gain at K = 4, 8, 16, and a lower one with conv and matMul kernels still run per member.
 * 3. A prototype of the cheapest part to group: the conv forward of K members as K calls of the wasm C Conv2D in
 *    ONE tfjs kernel (as src/tf/stacked-kernels.ts does for matMul) against K tf.conv2d calls, numbers compared.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type * as tfjs from '@tensorflow/tfjs';
import type { BackendOption } from '../src/options.js';
import { loadTf } from '../src/tf/backend.js';
import { gradientProgram, tapeProgram } from '../src/tf/gradients.js';
import { FlatOptimizer } from '../src/tf/optimizer.js';
import { sliceRows } from '../src/tf/flat-kernels.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { taskData, trainAndEvaluate } from '../src/tasks/train.js';
import { trainConfig } from '../src/tasks/config.js';
import type { Task, TF } from '../src/tasks/types.js';
import { median, quantile } from '../src/bench/stats.js';
import { num, table } from '../src/bench/report-markdown.js';
import type { Section } from './section.js';
import { timed } from './tasks.js';

export const GROUP_SIZES = [4, 8, 16] as const;
/** The gain at K = 16 below which building the conv group is not worth it (the brief's threshold). */
export const WORTH_BUILDING = { k: 16, gain: 1.5 } as const;

/**
 * Amdahl's bound for K members in one program: a step is `shared` (a fraction, paid once per program) plus the
 * rest (paid per member); member-steps/s gain over one model = 1 / ((1 - shared) + shared / K).
 */
export function groupingBound(shared: number, k: number): number {
  if (!(shared >= 0 && shared <= 1)) throw new RangeError(`shared: expected a fraction in [0, 1], got ${shared}`);
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`k: expected a whole number >= 1, got ${k}`);
  return 1 / (1 - shared + shared / k);
}

/** Least-squares line y = intercept + slope x through the points (at least two distinct x). */
export function fitLine(points: readonly (readonly [number, number])[]): { intercept: number; slope: number } {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  if (!(sxx > 0)) throw new RangeError('fitLine: needs at least two distinct x');
  const slope = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
  return { intercept: my - slope * mx, slope };
}

/** Per-step CPU microseconds: median and quartiles over the interleaved repeats. */
export interface Spread {
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
}

const spread = (xs: readonly number[]): Spread => ({ median: median(xs), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75) });

export interface KernelRow {
  readonly kernel: string;
  readonly group: KernelGroup;
  readonly callsPerStep: number;
  /** Microseconds per step inside this kernel's function. */
  readonly usPerStep: number;
}

export type KernelGroup = 'conv' | 'pool' | 'matMul' | 'other';

export function kernelGroup(name: string): KernelGroup {
  if (/^(Fused)?Conv2D|^Conv2DBackprop|^Conv3DBackprop/.test(name)) return 'conv';
  if (/Pool/.test(name)) return 'pool';
  if (/MatMul/.test(name)) return 'matMul';
  return 'other';
}

/** Where a step's time goes at one batch size: every wasm kernel it dispatches, counted and timed by name. */
export interface Census {
  readonly batch: number;
  readonly stepUs: number;
  readonly kernelsPerStep: number;
  readonly kernels: readonly KernelRow[];
  /** Microseconds per step outside any kernel function (engine, tape, tfjs-layers, the optimizer's JavaScript). */
  readonly outsideKernelsUs: number;
}

export interface VariantResult {
  readonly variant: Variant;
  /** The step loop at each batch size: per-step CPU microseconds. */
  readonly byBatch: readonly { readonly batch: number; readonly stepUs: Spread }[];
  /** At batch 1 and at the task's batch size. */
  readonly census: readonly Census[];
}

export interface ConvGroupingResult {
  readonly quick: boolean;
  readonly backend: string;
  readonly task: string;
  readonly filters: number;
  readonly batch: number;
  /** What the trainer uses for this model (gradientProgram's kind). */
  readonly gradients: string;
  readonly repeats: number;
  /** Steps of each census run (one run per variant and batch size, after the timed repeats). */
  readonly censusSteps: number;
  /** trainAndEvaluate's rate (model building and scoring included), per CPU-second, median of the repeats. */
  readonly trainerStepsPerCpuSec: number;
  /** Largest |direct - tape| gradient element over the largest |tape| one, on one batch. */
  readonly gradientGap: number;
  readonly variants: readonly VariantResult[];
  readonly prototype: PrototypeResult;
}

export interface PrototypeResult {
  readonly k: number;
  readonly batch: number;
  /** CPU microseconds per member for the conv forward: K tf.conv2d calls, and one kernel looping the C function. */
  readonly soloUs: Spread;
  readonly stackedUs: Spread;
  /** The stacked kernel's output equals the K solo outputs bit for bit. */
  readonly identical: boolean;
}

/**
 * How a step's gradients are computed: 'tape' is tf.variableGrads through the model's layers (what the trainer ran
 * for a conv net before gradients.ts wrote its step out); 'direct' is that written-out program (what it runs now),
 * the one a group program would be built on.
 */
export type Variant = 'tape' | 'direct';
export const VARIANTS: readonly Variant[] = ['tape', 'direct'];

/** The trainer's step (train.ts Run.trainStep) on the task's model at this batch size, over its training split. */
async function stepLoop(tf: TF, backend: string, task: Task, batch: number, variant: Variant) {
  const params = { ...task.defaults, batchSize: batch };
  const cfg = trainConfig(task.name, params);
  const data = await taskData(task, 0);
  const model = task.build(params, { tf, backend, seed: 1 });
  const tape = tapeProgram(tf, task.kind, model);
  const direct = gradientProgram(tf, task.kind, model);
  const program = variant === 'tape' ? tape : direct;
  const optimizer = new FlatOptimizer(tf, program.vars, cfg.optimizer, cfg.weightDecay);
  const x = tf.tensor(data.xTrain, [data.nTrain, ...data.inputShape]);
  const y = tf.tensor2d(data.yTrain, [data.nTrain, data.targetSize]);
  const stepsPerEpoch = Math.floor(data.nTrain / batch);
  let step = 0;
  return {
    trainerPicks: direct.kind,
    // The epoch's reshuffle (one gather per epoch) is left out: the rows are taken in their stored order.
    step() {
      tf.tidy(() => {
        const at = (step % stepsPerEpoch) * batch;
        optimizer.step(program.gradients(sliceRows(tf, x, at, batch), sliceRows(tf, y, at, batch), 1, step, false).grads, cfg.lr);
      });
      step++;
    },
    /** Largest |direct - tape| over every gradient element of the first batch, relative to the largest |tape|. */
    gradientGap(): number {
      return tf.tidy(() => {
        const xb = sliceRows(tf, x, 0, batch);
        const yb = sliceRows(tf, y, 0, batch);
        const a = tape.gradients(xb, yb, 1, 0, false).grads;
        const b = direct.gradients(xb, yb, 1, 0, false).grads;
        const gap = Math.max(...a.map((g, i) => tf.max(tf.abs(tf.sub(g, b[i]!))).dataSync()[0]!));
        return gap / Math.max(...a.map((g) => tf.max(tf.abs(g)).dataSync()[0]!));
      });
    },
    dispose() {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    },
  };
}

/** CPU microseconds per call of f over n calls. */
function cpuUsPer(n: number, f: () => void): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

/**
 * Runs f with every wasm kernel wrapped to count its calls and time its function, then puts the kernels back.
 * Returns per-name totals and the wall time of the whole run (the kernels' share of it is what is reported).
 */
function kernelCensus(tf: TF, f: () => void): { byName: Map<string, { calls: number; ms: number }>; wallMs: number } {
  const originals = tf.getKernelsForBackend('wasm');
  const byName = new Map<string, { calls: number; ms: number }>();
  for (const k of originals) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel({
      kernelName: k.kernelName,
      backendName: 'wasm',
      kernelFunc: (args) => {
        const t0 = performance.now();
        try {
          return inner(args);
        } finally {
          const e = byName.get(k.kernelName) ?? { calls: 0, ms: 0 };
          e.calls++;
          e.ms += performance.now() - t0;
          byName.set(k.kernelName, e);
        }
      },
    });
  }
  try {
    const t0 = performance.now();
    f();
    return { byName, wallMs: performance.now() - t0 };
  } finally {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, 'wasm');
      tf.registerKernel(k);
    }
  }
}

/** The parts of tfjs-backend-wasm's backend a kernel needs to run a C function on views of a tensor's memory. */
interface WasmInternals {
  makeOutput(shape: number[], dtype: tfjs.DataType): tfjs.TensorInfo;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } };
  dataIdNextNumber: number;
  wasm: { _register_tensor(id: number, size: number, offset: number): void; _dispose_data(id: number): void; _Conv2D(...args: number[]): void };
}

const STACKED_CONV = 'EvotuneBenchStackedConv2D';

/** x [K, n, h, w, c] and w [K, 3, 3, c, f] -> per member conv2d(x_k, w_k), stride 1, 'same': the C Conv2D per member. */
function registerStackedConv(tf: TF): void {
  if (tf.getKernel(STACKED_CONV, 'wasm')) return;
  tf.registerKernel({
    kernelName: STACKED_CONV,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const be = backend as unknown as WasmInternals;
      const { x, w } = inputs as { x: tfjs.TensorInfo; w: tfjs.TensorInfo };
      const [k, n, h, wd, c] = x.shape as [number, number, number, number, number];
      const [, fh, fw, , f] = w.shape as [number, number, number, number, number];
      const out = be.makeOutput([k, n, h, wd, f], 'float32');
      const views: number[] = [];
      const view = (t: tfjs.TensorInfo, member: number, size: number) => {
        const id = be.dataIdNextNumber++;
        be.wasm._register_tensor(id, size, be.dataIdMap.get(t.dataId).memoryOffset + member * size * 4);
        views.push(id);
        return id;
      };
      // 'same' padding for a 3x3 filter at stride 1: one row/column each side (tfjs's computeConv2DInfo).
      const padV = Math.floor((fh - 1) / 2);
      const padH = Math.floor((fw - 1) / 2);
      try {
        for (let i = 0; i < k; i++) {
          const xId = view(x, i, n * h * wd * c);
          const wId = view(w, i, fh * fw * c * f);
          const oId = view(out, i, n * h * wd * f);
          be.wasm._Conv2D(xId, n, h, wd, wId, fh, fw, padV, fw - 1 - padH, fh - 1 - padV, padH, 1, 1, 1, 1, 1, c, f, oId);
        }
      } finally {
        for (const id of views) be.wasm._dispose_data(id);
      }
      return out;
    },
  });
}

/** The conv forward of K members: K tf.conv2d calls against one stacked kernel, fresh filters each repeat. */
function prototype(tf: TF, k: number, batch: number, filters: number, reps: number): PrototypeResult {
  registerStackedConv(tf);
  const solo: number[] = [];
  const stacked: number[] = [];
  let identical = true;
  const timeUs = (f: () => void) => {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / k;
  };
  for (let r = 0; r < reps; r++) {
    // New filters every repeat, as in training (each step's update makes new weights, so XNNPACK's operator, cached
    // per filter, is made again every step): neither contender reuses one.
    const xs = tf.randomUniform([k, batch, 8, 8, 1], 0, 1, 'float32', r);
    const ws = tf.randomNormal([k, 3, 3, 1, filters], 0, 0.3, 'float32', r + 1);
    const xi = tf.unstack(xs).map((t) => t as tfjs.Tensor4D);
    const wi = tf.unstack(ws).map((t) => t as tfjs.Tensor4D);
    let outs: tfjs.Tensor[] = [];
    let out: tfjs.Tensor | undefined;
    const runSolo = () => (outs = xi.map((x, i) => tf.conv2d(x, wi[i]!, 1, 'same')));
    const runStacked = () => (out = tf.engine().runKernel(STACKED_CONV, { x: xs, w: ws }) as tfjs.Tensor);
    // Alternating which goes first, so that neither always finds the caches warm.
    if (r % 2 === 0) {
      solo.push(timeUs(runSolo));
      stacked.push(timeUs(runStacked));
    } else {
      stacked.push(timeUs(runStacked));
      solo.push(timeUs(runSolo));
    }
    if (r === 0) {
      const a = tf.stack(outs).dataSync();
      const b = out!.dataSync();
      identical = a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
    }
    tf.dispose([xs, ws, ...xi, ...wi, ...outs, out!]);
  }
  return { k, batch, soloUs: spread(solo.slice(1)), stackedUs: spread(stacked.slice(1)), identical };
}

/** Kernels a group must still call once per member (each member has its own filters and weights); the rest
 *  (pooling, element-wise, reductions, copies) run on the members' rows stacked, once per group. */
const PER_MEMBER: ReadonlySet<KernelGroup> = new Set(['conv', 'matMul']);

/**
 * The shareable part of a step at the task's batch size, as a fraction of it, two ways:
 * - upper: the line's intercept through the per-step times (everything that does not grow with the batch);
 * - realisable: that minus the batch-1 cost of the kernels a group still runs once per member (conv, matMul), as
 *   stacked-kernels.ts does (their share of a batch-1 step in the census, times batch 1's median step): their engine
 *   dispatch would be shared too, so this errs low.
 */
export function sharedFractions(v: VariantResult, batch: number): { fit: { intercept: number; slope: number }; upper: number; realisable: number } {
  const fit = fitLine(v.byBatch.map((r) => [r.batch, r.stepUs.median] as const));
  const step = v.byBatch.find((r) => r.batch === batch)!.stepUs.median;
  // The census gives the per-member kernels' share of a batch-1 step (one run); the interleaved median gives its time.
  const b1 = v.census.find((c) => c.batch === 1)!;
  const perMemberShare = b1.kernels.filter((k) => PER_MEMBER.has(k.group)).reduce((s, k) => s + k.usPerStep, 0) / b1.stepUs;
  const perMember = perMemberShare * v.byBatch.find((r) => r.batch === 1)!.stepUs.median;
  const clamp = (x: number) => Math.min(1, Math.max(0, x));
  return { fit, upper: clamp(fit.intercept / step), realisable: clamp((fit.intercept - perMember) / step) };
}

/**
 * Member-steps/s of a group of k against one model: `baselineUs` is that model's step, `stepUs` the step of
 * the program the group is built on, `shared` the part of it paid once per group.
 */
export function groupGain(baselineUs: number, stepUs: number, shared: number, k: number): number {
  return (baselineUs / stepUs) * groupingBound(shared, k);
}

export interface BoundRow {
  readonly variant: Variant;
  readonly k: number;
  readonly upper: number;
  readonly realisable: number;
}

/** The gain against the tape step (one model) of groups built on each program, K = 1 and up. */
export function bounds(r: ConvGroupingResult): BoundRow[] {
  const stepOf = (v: VariantResult) => v.byBatch.find((b) => b.batch === r.batch)!.stepUs.median;
  const tape = stepOf(r.variants.find((v) => v.variant === 'tape')!);
  return r.variants.flatMap((v) => {
    const f = sharedFractions(v, r.batch);
    return [1, ...GROUP_SIZES].map((k) => ({
      variant: v.variant,
      k,
      upper: groupGain(tape, stepOf(v), f.upper, k),
      realisable: groupGain(tape, stepOf(v), f.realisable, k),
    }));
  });
}

function census(tf: TF, batch: number, steps: number, step: () => void): Census {
  const c0 = process.cpuUsage();
  const run = kernelCensus(tf, () => {
    for (let i = 0; i < steps; i++) step();
  });
  const cu = process.cpuUsage(c0);
  const stepUs = (cu.user + cu.system) / steps;
  // Kernel wall time as a share of the census run's wall time, applied to its CPU time.
  const cpuPerWall = (cu.user + cu.system) / 1000 / run.wallMs;
  const kernels = [...run.byName]
    .map(([kernel, e]) => ({ kernel, group: kernelGroup(kernel), callsPerStep: e.calls / steps, usPerStep: (e.ms * 1000 * cpuPerWall) / steps }))
    .sort((a, b) => b.usPerStep - a.usPerStep);
  return {
    batch,
    stepUs,
    kernelsPerStep: kernels.reduce((s, k) => s + k.callsPerStep, 0),
    kernels,
    outsideKernelsUs: stepUs - kernels.reduce((s, k) => s + k.usPerStep, 0),
  };
}

export async function runConvGrouping(o: { quick: boolean; backend?: BackendOption; log?: (line: string) => void }): Promise<ConvGroupingResult> {
  const log = o.log ?? (() => undefined);
  const { tf, backend } = await loadTf({ backend: o.backend === undefined || o.backend === 'auto' ? 'wasm' : o.backend });
  const task = BUNDLED_TASKS['digits-cnn']!;
  const cfg = trainConfig(task.name, task.defaults);
  const filters = Number(task.defaults.filters);
  const batch = cfg.batchSize;
  const batches = [1, 4, 16, batch].filter((b, i, all) => all.indexOf(b) === i).sort((a, b) => a - b);
  const repeats = o.quick ? 3 : 21;
  const stepsPerTiming = o.quick ? 30 : 200;
  const loops = await Promise.all(VARIANTS.flatMap((v) => batches.map(async (b) => ({ v, b, loop: await stepLoop(tf, backend, task, b, v) }))));
  try {
    const gradientGap = loops.find((l) => l.v === 'direct' && l.b === batch)!.loop.gradientGap();
    // JIT warm-up: the trainer once, every loop a while.
    await trainAndEvaluate(task, { epochs: 1 }, { tf, backend, seed: 0 });
    for (const l of loops) for (let i = 0; i < (o.quick ? 30 : 200); i++) l.loop.step();
    const trainer: number[] = [];
    const times = loops.map(() => [] as number[]);
    for (let r = 0; r < repeats; r++) {
      // Interleaved, so that a change in the machine's load touches every contender alike.
      const t = await timed(() => trainAndEvaluate(task, { epochs: o.quick ? 1 : 2 }, { tf, backend, seed: 100 + r }));
      trainer.push((t.value.steps / t.cpuMs) * 1000);
      loops.forEach((l, i) => times[i]!.push(cpuUsPer(stepsPerTiming, () => l.loop.step())));
      log(
        `repeat ${r + 1}/${repeats}: trainer ${num(trainer.at(-1)!)} steps/cpu-s; ${loops.map((l, i) => `${l.v} b${l.b} ${num(times[i]!.at(-1)!)} us`).join(', ')}`,
      );
    }
    const censusSteps = o.quick ? 40 : 300;
    const variants = VARIANTS.map((v) => ({
      variant: v,
      byBatch: loops.flatMap((l, i) => (l.v === v ? [{ batch: l.b, stepUs: spread(times[i]!) }] : [])),
      census: [1, batch].map((b) => census(tf, b, censusSteps, () => loops.find((l) => l.v === v && l.b === b)!.loop.step())),
    }));
    log(`prototype: conv forward of ${WORTH_BUILDING.k} members, stacked kernel against ${WORTH_BUILDING.k} tf.conv2d calls`);
    const proto = prototype(tf, WORTH_BUILDING.k, batch, filters, o.quick ? 20 : 300);
    return {
      quick: o.quick,
      backend,
      task: task.name,
      filters,
      batch,
      gradients: loops[0]!.loop.trainerPicks,
      repeats,
      censusSteps,
      trainerStepsPerCpuSec: median(trainer),
      gradientGap,
      variants,
      prototype: proto,
    };
  } finally {
    for (const l of loops) l.loop.dispose();
  }
}

const us = (v: number) => v.toFixed(0);
const sp = (s: Spread) => `${us(s.median)} [${us(s.q1)}, ${us(s.q3)}]`;
const x2 = (v: number) => `${v.toFixed(2)}x`;
const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

function censusTable(c: Census): string {
  const parts = (['conv', 'pool', 'matMul', 'other'] as const).map((g) => {
    const ks = c.kernels.filter((k) => k.group === g);
    const names = ks.map((k) => k.kernel);
    return [
      g,
      ks.reduce((s, k) => s + k.callsPerStep, 0).toFixed(0),
      us(ks.reduce((s, k) => s + k.usPerStep, 0)),
      pct(ks.reduce((s, k) => s + k.usPerStep, 0) / c.stepUs),
      names.slice(0, 6).join(', ') + (names.length > 6 ? `, ... (${names.length})` : ''),
    ];
  });
  return table(
    ['part', 'kernels/step', 'us/step', 'share', 'kernels'],
    [...parts, ['outside kernels', '', us(c.outsideKernelsUs), pct(c.outsideKernelsUs / c.stepUs), 'engine, tape, tfjs-layers, JavaScript']],
  );
}

export function toMarkdown(r: ConvGroupingResult): string {
  const rows = bounds(r);
  const at = (v: Variant, k: number) => rows.find((b) => b.variant === v && b.k === k)!;
  const best = at('direct', WORTH_BUILDING.k);
  const p = r.prototype;
  const byBatch = table(
    ['batch', ...r.variants.map((v) => `${v.variant} step us`)],
    r.variants[0]!.byBatch.map((b, i) => [String(b.batch), ...r.variants.map((v) => sp(v.byBatch[i]!.stepUs))]),
  );
  return [
    `Task ${r.task} (conv 3x3, ${r.filters} filters, batch ${r.batch}), backend ${r.backend}, one thread; CPU time, median [quartiles] of ${r.repeats} ` +
      `interleaved repeats. The trainer computes this model's gradients with the ${r.gradients} program; trainAndEvaluate: ${num(r.trainerStepsPerCpuSec)} ` +
      `steps/s (building and scoring included). 'tape' is tf.variableGrads through the model's layers, 'direct' the step written out ` +
      `(src/tf/gradients.ts: no tape, no tfjs-layers), what a group program would be built on; their gradients differ by ` +
      `${r.gradientGap.toExponential(1)} of the largest.`,
    '',
    'One training step (model, gradients, flat Adam update) by batch size, microseconds of CPU:',
    '',
    byBatch,
    '',
    ...r.variants.flatMap((v) => {
      const f = sharedFractions(v, r.batch);
      return [
        `**${v.variant}**: ${us(f.fit.intercept)} us per step + ${f.fit.slope.toFixed(1)} us per example; shareable by a group: ${pct(f.upper)} of a ` +
          `batch-${r.batch} step (upper), ${pct(f.realisable)} once conv and matMul kernels run once per member (realisable).`,
        '',
        ...v.census.flatMap((c) => [
          `${v.variant}, batch ${c.batch}: ${c.kernelsPerStep.toFixed(0)} kernels per step; one census run of ${r.censusSteps} steps, ${us(c.stepUs)} us per step:`,
          '',
          censusTable(c),
          '',
        ]),
      ];
    }),
    `Member-steps/s against the tape step (one model), Amdahl's bound with the shareable part paid once per group (upper / realisable):`,
    '',
    table(
      ['K', ...r.variants.map((v) => `group on ${v.variant}`)],
      [1, ...GROUP_SIZES].map((k) => [String(k), ...r.variants.map((v) => `${x2(at(v.variant, k).upper)} / ${x2(at(v.variant, k).realisable)}`)]),
    ),
    '',
    `Of a group on the direct program at K = ${WORTH_BUILDING.k} (${x2(best.upper)} / ${x2(best.realisable)}), ${x2(at('direct', 1).upper)} is the direct ` +
      `program's alone (K = 1); grouping itself adds ${x2(best.upper / at('direct', 1).upper)} / ${x2(best.realisable / at('direct', 1).upper)}. ` +
      `Worth building at >= ${x2(WORTH_BUILDING.gain)} from grouping: ${best.realisable / at('direct', 1).upper >= WORTH_BUILDING.gain ? 'yes' : best.upper / at('direct', 1).upper >= WORTH_BUILDING.gain ? 'only at the upper bound' : 'no'}.`,
    '',
    `Prototype, conv forward of K = ${p.k} members at batch ${p.batch} (CPU us per member, fresh filters every repeat): ${p.k} tf.conv2d calls ` +
      `${sp(p.soloUs)}, one kernel looping the C Conv2D ${sp(p.stackedUs)} (${x2(p.soloUs.median / p.stackedUs.median)}); outputs bit-identical: ${p.identical ? 'yes' : 'NO'}.`,
  ].join('\n');
}

export const convGroupingSection: Section = {
  id: 'conv-grouping',
  title: '4c. Conv net grouping: how much of a digits-cnn step K members in one program could share',
  async run({ quick, backend, log }) {
    log('conv grouping: digits-cnn step by batch size, kernel census, Amdahl bound, stacked conv prototype');
    const result = await runConvGrouping({ quick, backend, log });
    return { kind: 'ran', markdown: toMarkdown(result), data: result, charts: [] };
  },
  render: (data) => toMarkdown(data as ConvGroupingResult),
};

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: { quick: { type: 'boolean', default: false } } });
  const res = await runConvGrouping({ quick: values.quick, log: (l) => console.error(l) });
  console.log(toMarkdown(res));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
