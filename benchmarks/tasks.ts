/**
 * Training speed of the bundled tasks, per backend, on one thread:
 *   node dist/benchmarks/tasks.js [--quick] [--backends wasm,cpu]
 * For each task: the time of one default evaluation (build + train + score), and training steps per second of
 * evotune's loop beside a plain model.fit of the same model, data, batch size and optimizer. Then the issue's
 * reference case, an MLP 64-64-64-10 on 2000x64 random data with batch 32, also against a custom loop built on
 * tf.train.adam().minimize.
 * Every speed is given twice: per wall-clock second, and per second of this process's CPU time. On a shared
 * machine the second is the one to read: it does not count time the process spent waiting for a core. evotune's
 * loop is timed over a whole evaluation (model building and scoring included), model.fit over fit() alone.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type * as tfjs from '@tensorflow/tfjs';
import { loadTf } from '../src/tf/backend.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { mlp } from '../src/tasks/models.js';
import { trainAndEvaluate, taskData } from '../src/tasks/train.js';
import { WARMUP_STEPS, warmUp } from '../src/tasks/runtime.js';
import { trainConfig } from '../src/tasks/config.js';
import { lossValue } from '../src/tf/loss.js';
import { rngFor } from '../src/util/rng.js';
import type { Task, TaskContext, TF } from '../src/tasks/types.js';

export type BenchBackend = 'wasm' | 'cpu';

/** A rate measured both ways. */
export interface Rate {
  readonly perWallSec: number;
  readonly perCpuSec: number;
}

export interface TaskBenchRow {
  readonly task: string;
  readonly backend: string;
  /** The task's first default evaluation in this process (its code paths not yet optimised by the JIT). */
  readonly firstEvalWallMs: number;
  readonly firstEvalCpuMs: number;
  /** One default evaluation, build to score, after the warm-up a pool worker does. */
  readonly evalWallMs: number;
  readonly evalCpuMs: number;
  readonly loss: number;
  readonly accuracy?: number;
  readonly gradients: string;
  readonly loop: Rate;
  readonly fit: Rate;
}

export interface ReferenceRow {
  readonly backend: string;
  readonly loop: Rate;
  readonly tapeLoop: Rate;
  readonly minimize: Rate;
  readonly fit: Rate;
}

export interface TaskBenchResult {
  readonly quick: boolean;
  readonly tasks: readonly TaskBenchRow[];
  readonly reference: readonly ReferenceRow[];
}

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

export async function timed<T>(f: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const w0 = performance.now();
  const c0 = cpuMs();
  const value = await f();
  return { value, wallMs: performance.now() - w0, cpuMs: cpuMs() - c0 };
}

export const rate = (steps: number, t: { wallMs: number; cpuMs: number }): Rate => ({
  perWallSec: (steps / t.wallMs) * 1000,
  perCpuSec: (steps / Math.max(t.cpuMs, 1e-3)) * 1000,
});

/** model.fit on the task's model and training split, with the same batch size, optimizer (Adam) and loss. */
async function fitRate(tf: TF, task: Task, ctx: TaskContext, epochs: number): Promise<Rate> {
  const params = { ...task.defaults };
  const cfg = trainConfig(task.name, params);
  const data = await taskData(task, 0);
  const model = task.build(params, ctx);
  model.compile({ optimizer: tf.train.adam(cfg.lr), loss: (y: tfjs.Tensor, out: tfjs.Tensor) => lossValue(tf, task.kind, out, y) });
  const x = tf.tensor(data.xTrain, [data.nTrain, ...data.inputShape]);
  const y = tf.tensor2d(data.yTrain, [data.nTrain, data.targetSize]);
  const t = await timed(() => model.fit(x, y, { batchSize: cfg.batchSize, epochs, shuffle: true, verbose: 0 }));
  tf.dispose([x, y]);
  model.dispose();
  return rate(Math.ceil(data.nTrain / cfg.batchSize) * epochs, t);
}

/** The reference: 2000 rows of 64 features, 10 classes, MLP 64-64-64-10, batch 32, Adam. */
export function referenceTask(functional: boolean): Task {
  const rows = 2000;
  const rng = rngFor(0, 'reference');
  const xTrain = Float32Array.from({ length: rows * 64 }, () => rng());
  const yTrain = new Float32Array(rows * 10);
  for (let i = 0; i < rows; i++) yTrain[i * 10 + Math.floor(rng() * 10)] = 1;
  return {
    name: functional ? 'reference (tape)' : 'reference',
    description: 'MLP 64-64-64-10 on 2000x64 random data',
    kind: 'classification',
    space: {},
    defaults: { lr: 1e-3, batchSize: 32, optimizer: 'adam', epochs: 1 },
    data: () => ({
      xTrain,
      yTrain,
      xVal: xTrain.subarray(0, 6400),
      yVal: yTrain.subarray(0, 1000),
      inputShape: [64],
      targetSize: 10,
      nTrain: rows,
      nVal: 100,
    }),
    build: (_p, ctx) => {
      const seq = mlp(ctx, { inputShape: [64], hidden: [64, 64], outputs: 10 });
      // The same layers as a functional model: not a Sequential, so the trainer takes the tape path.
      return functional ? ctx.tf.model({ inputs: seq.inputs, outputs: seq.outputs }) : seq;
    },
  };
}

/** The loop the issue describes: pre-split batches, tf.train.adam().minimize per step. */
async function minimizeRate(tf: TF, ctx: TaskContext, epochs: number): Promise<Rate> {
  const task = referenceTask(false);
  const data = await taskData(task, 0);
  const model = task.build({}, ctx);
  const batches = Math.floor(data.nTrain / 32);
  const x = tf.tensor2d(data.xTrain, [data.nTrain, 64]);
  const y = tf.tensor2d(data.yTrain, [data.nTrain, 10]);
  const xs = tf.split(x.slice(0, batches * 32), batches);
  const ys = tf.split(y.slice(0, batches * 32), batches);
  const opt = tf.train.adam(1e-3);
  const steps = batches * epochs;
  const step = (i: number) =>
    opt.minimize(() => tf.losses.softmaxCrossEntropy(ys[i % batches]!, model.apply(xs[i % batches]!) as tfjs.Tensor) as tfjs.Scalar);
  for (let i = 0; i < WARMUP_STEPS; i++) step(i);
  const t = await timed(async () => {
    for (let i = 0; i < steps; i++) step(i);
  });
  tf.dispose([x, y, ...xs, ...ys]);
  opt.dispose();
  model.dispose();
  return rate(steps, t);
}

/**
 * What a pool worker does before its first trial, so that the JIT has optimised the loop's code; capped at 10 s for
 * the slow cpu backend, where kernels dominate anyway.
 */
const workerWarmUp = (task: Task, ctx: TaskContext) => warmUp(task, ctx, WARMUP_STEPS, 10_000);

export async function runTaskBenchmark(o: {
  quick: boolean;
  backends: readonly BenchBackend[];
  log?: (line: string) => void;
}): Promise<TaskBenchResult> {
  const log = o.log ?? (() => undefined);
  const tasks: TaskBenchRow[] = [];
  const reference: ReferenceRow[] = [];
  for (const choice of o.backends) {
    const { tf, backend } = await loadTf({ backend: choice });
    const ctx: TaskContext = { tf, backend, seed: 1 };
    for (const task of Object.values(BUNDLED_TASKS)) {
      await taskData(task, 0);
      const first = await timed(() => trainAndEvaluate(task, {}, ctx));
      await workerWarmUp(task, ctx);
      const run = await timed(() => trainAndEvaluate(task, {}, ctx));
      const r = run.value;
      const fitEpochs = o.quick ? 1 : Math.max(1, Math.round(trainConfig(task.name, task.defaults).epochs / 2));
      await fitRate(tf, task, ctx, 1); // model.fit's own code paths get the same chance to warm up
      const fit = await fitRate(tf, task, ctx, fitEpochs);
      const row: TaskBenchRow = {
        task: task.name,
        backend,
        firstEvalWallMs: first.wallMs,
        firstEvalCpuMs: first.cpuMs,
        evalWallMs: run.wallMs,
        evalCpuMs: run.cpuMs,
        loss: r.loss,
        ...(r.accuracy !== undefined ? { accuracy: r.accuracy } : {}),
        gradients: r.gradients,
        loop: rate(r.steps, run),
        fit,
      };
      tasks.push(row);
      log(
        `${backend} ${task.name}: first eval ${Math.round(first.cpuMs)} ms cpu, warm eval ${Math.round(run.wallMs)} ms wall / ${Math.round(run.cpuMs)} ms cpu, loop ${Math.round(row.loop.perCpuSec)} steps/cpu-s, fit ${Math.round(fit.perCpuSec)}`,
      );
    }
    const epochs = o.quick ? 3 : 10;
    const loopRate = async (functional: boolean) => {
      const task = referenceTask(functional);
      await workerWarmUp(task, ctx);
      const t = await timed(() => trainAndEvaluate(task, { epochs }, ctx));
      return rate(t.value.steps, t);
    };
    const row: ReferenceRow = {
      backend,
      loop: await loopRate(false),
      tapeLoop: await loopRate(true),
      minimize: await minimizeRate(tf, ctx, epochs),
      fit: await fitRate(tf, referenceTask(false), ctx, epochs),
    };
    reference.push(row);
    log(
      `${backend} reference: loop ${Math.round(row.loop.perCpuSec)}, tape loop ${Math.round(row.tapeLoop.perCpuSec)}, minimize ${Math.round(row.minimize.perCpuSec)}, fit ${Math.round(row.fit.perCpuSec)} steps/cpu-s`,
    );
  }
  return { quick: o.quick, tasks, reference };
}

const n0 = (v: number) => String(Math.round(v));
const both = (r: Rate) => `${n0(r.perCpuSec)} (${n0(r.perWallSec)})`;

export function toMarkdown(res: TaskBenchResult): string {
  const lines = [
    'Steps/s per CPU-second of the process (per wall-clock second in brackets); one thread each.',
    '',
    'Default evaluation = build, train for the default budget, score; "first" is the first in the process, "warm" after the warm-up a pool worker does.',
    '',
    '| task | backend | gradients | first default eval (ms, wall / cpu) | warm default eval (ms, wall / cpu) | val loss | val acc | evotune loop steps/s | model.fit steps/s | loop / fit |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...res.tasks.map(
      (r) =>
        `| ${r.task} | ${r.backend} | ${r.gradients} | ${n0(r.firstEvalWallMs)} / ${n0(r.firstEvalCpuMs)} | ${n0(r.evalWallMs)} / ${n0(r.evalCpuMs)} | ${r.loss.toFixed(4)} | ${r.accuracy?.toFixed(3) ?? '-'} | ${both(r.loop)} | ${both(r.fit)} | ${(r.loop.perCpuSec / r.fit.perCpuSec).toFixed(1)}x |`,
    ),
    '',
    'Reference case, MLP 64-64-64-10 on 2000x64, batch 32, Adam (no PyTorch figure: none is measured here):',
    '',
    '| backend | evotune loop (direct) | evotune loop (tape) | optimizer.minimize loop | model.fit |',
    '| --- | --- | --- | --- | --- |',
    ...res.reference.map((r) => `| ${r.backend} | ${both(r.loop)} | ${both(r.tapeLoop)} | ${both(r.minimize)} | ${both(r.fit)} |`),
  ];
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { quick: { type: 'boolean', default: false }, backends: { type: 'string', default: 'wasm,cpu' } },
  });
  const backends = values.backends.split(',').map((b) => b.trim()) as BenchBackend[];
  for (const b of backends) if (b !== 'wasm' && b !== 'cpu') throw new Error(`--backends: expected wasm and/or cpu, got ${b}`);
  const res = await runTaskBenchmark({ quick: values.quick, backends, log: (l) => console.error(l) });
  console.log(toMarkdown(res));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
