/**
 * Population-vectorised training against the single-model loop, side by side in one process on one core:
 *   node dist/benchmarks/vectorised.js [--quick]
 * (`--breakdown`: only the table of where a step's time goes.)
 * For the issue's reference MLP (64-64-64-10, 2000x64 random data, batch 32, Adam) and each bundled MLP task:
 * single-model steps/s (trainAndEvaluate) and member-steps/s of trainGroup at K = 4, 8, 16, 32, 64 (members with
 * their own seeds and learning rates), each timed over a whole call (model building and scoring included), per
 * CPU-second of this process (wall-clock in the data). PyTorch's single-model loop on the reference MLP is re-measured
 * in the same run (benchmarks/torch_mlp.py, Debian's python3-torch, one thread). The flop rate reached is given as a
 * fraction of XNNPACK's rate on a large product in this process, and of a rough SIMD scale (lanes x flops per cycle
 * at the reported clock; a boost clock can exceed it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BackendOption } from '../src/options.js';
import { loadTf } from '../src/tf/backend.js';
import { stagesOf } from '../src/tf/gradients.js';
import { StackedOptimizer, variableShapes, VectorisedProgram, layoutOf, type Layout } from '../src/tf/vectorised.js';
import { stackedProducts, type StackedProducts } from '../src/tf/stacked-kernels.js';
import { trainGroup, type GroupMember } from '../src/tasks/group-train.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { warmUp, WARMUP_STEPS } from '../src/tasks/runtime.js';
import { taskData, trainAndEvaluate } from '../src/tasks/train.js';
import { trainConfig } from '../src/tasks/config.js';
import type { Task, TaskContext, TF } from '../src/tasks/types.js';
import { median } from '../src/bench/stats.js';
import { rate, referenceTask, timed, type Rate } from './tasks.js';
import type { Section } from './section.js';

export const GROUP_SIZES = [4, 8, 16, 32, 64] as const;
const MLP_TASKS = ['digits', 'wine', 'iris', 'spirals', 'sine'] as const;
/** The issue's targets at K = 16: member-steps/s against the single-model loop and against PyTorch's steps/s. */
export const TARGETS = { k: 16, overSingle: 3, overTorch: 2 } as const;

export interface GroupRate {
  readonly k: number;
  readonly rate: Rate;
  /** Per repeat, this group's rate over the single model's timed just before it (CPU): paired, so load touches both. */
  readonly ratios?: readonly number[];
  /** Flop rate of the training products (forward and backward matMuls), GFLOP per CPU-second. */
  readonly gflops: number;
}

export interface VectorisedRow {
  readonly task: string;
  readonly stepsPerEpoch: number;
  /** Matmul flops of one member's training step. */
  readonly flopsPerStep: number;
  readonly single: Rate;
  readonly singleGflops: number;
  readonly groups: readonly GroupRate[];
}

export type TorchRate =
  | ({ readonly kind: 'ran'; readonly torch: string; readonly perRepeat?: readonly number[] } & Rate)
  | { readonly kind: 'skipped'; readonly reason: string };

export interface Breakdown {
  readonly k: number;
  /** Microseconds per member-step, CPU time: the whole step, its matMuls alone, the optimizer update alone. */
  readonly stepUs: number;
  readonly productsUs: number;
  /** The same matMuls with an XNNPACK operator created (and its operand packed) per member and call, as tfjs does. */
  readonly productsFreshUs: number;
  readonly optimizerUs: number;
  /** The same update by tfjs ops (optimizer.ts's stepByOps, as cpu and tfjs-node run it), and the whole step with it;
   *  the update timed in alternation with the fused one above (absent in runs before the fused kernel). */
  readonly optimizerOpsUs?: number;
  readonly stepOpsUs?: number;
  /** A whole trainGroup call on the reference task (K members, 2 epochs), per member-step, timed alternately with the step. */
  readonly groupUs: number;
}

export interface VectorisedResult {
  readonly quick: boolean;
  readonly backend: string;
  readonly repeats: number;
  readonly rows: readonly VectorisedRow[];
  readonly torch: TorchRate;
  /** GFLOP/s of a 512x512x512 product on this backend (CPU time): the best a product reaches here. */
  readonly largeGemmGflops: number;
  /** 4-float SIMD lanes, separate multiply and add (wasm SIMD has no fused multiply-add), 2 of each per cycle. */
  readonly simdPeakGflops: number | undefined;
  readonly cpuMhz: number | undefined;
  readonly breakdown: readonly Breakdown[];
}

/** Matmul flops of one training step of an MLP: forward, weight gradients, and input gradients below the top. */
export function flopsPerStep(layout: readonly Layout[], batch: number): number {
  const dense = layout.flatMap((s) => (s.type === 'dense' ? [s.kernelShape[0] * s.kernelShape[1]] : []));
  const sum = dense.reduce((a, b) => a + b, 0);
  return 2 * batch * (2 * sum + (sum - dense[0]!));
}

function layoutFor(task: Task, ctx: Omit<TaskContext, 'seed'>): Layout[] {
  const model = task.build(task.defaults, { ...ctx, seed: 0 });
  try {
    return layoutOf(stagesOf(model)!).layout;
  } finally {
    model.dispose();
  }
}

const members = (k: number, epochs: number, lr: number): GroupMember[] =>
  Array.from({ length: k }, (_, i) => ({ seed: 1000 + i, params: { epochs, lr: lr * (0.5 + i / k) } }));

function cpuMhz(): number | undefined {
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A 512^3 product, best of a few CPU-timed runs: what XNNPACK reaches on this core through this backend. */
async function largeGemm(tf: TF): Promise<number> {
  const a = tf.randomUniform([512, 512]);
  const b = tf.randomUniform([512, 512]);
  let best = 0;
  for (let r = 0; r < 5; r++) {
    const t = await timed(async () => {
      for (let i = 0; i < 4; i++) tf.matMul(a, b).dispose();
    });
    best = Math.max(best, (4 * 2 * 512 ** 3) / (t.cpuMs * 1e6));
  }
  tf.dispose([a, b]);
  return best;
}

/**
 * Where a step's time goes at group size k, on the reference MLP: the whole step, its products, its update, and a
 * whole trainGroup call timed in alternation with the step (what it adds is spent outside the step).
 */
async function breakdown(ctx: Omit<TaskContext, 'seed'>, k: number, reps: number): Promise<Breakdown> {
  const { tf } = ctx;
  const layout: Layout[] = [
    { type: 'dense', kernelShape: [64, 64], bias: true, activation: 'relu' },
    { type: 'dense', kernelShape: [64, 64], bias: true, activation: 'relu' },
    { type: 'dense', kernelShape: [64, 10], bias: true, activation: 'linear' },
  ];
  const shapes = variableShapes(layout);
  const who = Array.from({ length: k }, (_, i) => ({ seed: i, rates: [] }));
  const program = new VectorisedProgram(tf, 'classification', layout, who);
  const weights = shapes.map((s) => tf.randomNormal([k, ...s], 0, 0.1, 'float32', 1));
  const adam = who.map(() => ({ optimizer: { kind: 'adam' as const, beta1: 0.9 }, weightDecay: 0 }));
  // The default path (on wasm: the fused SIMD kernel, tf/simd-update.ts) and the tfjs-op path, on the same numbers.
  const optimizer = new StackedOptimizer(tf, shapes, weights, adam);
  const byOps = new StackedOptimizer(tf, shapes, weights, adam, 'ops');
  const x = tf.randomUniform([k, 32, 64]);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([k, 32], 0, 10, 'int32'), 10).toFloat());
  const grads = tf.tidy(() => program.gradients(x, y, weights, 0)).map((g) => tf.keep(g));
  const lrs = who.map(() => 1e-3);
  const acts = [tf.randomUniform([k, 32, 64]), tf.randomUniform([k, 32, 10])];
  const perMember = (f: () => void, n = reps) => {
    for (let i = 0; i < 10; i++) f();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / n / k;
  };
  /** Each way timed in 5 alternating rounds (so that the machine's drift falls on all of them alike): the median per way. */
  const alternating = (ways: readonly (() => void)[]): number[] => {
    const rounds = ways.map(() => [] as number[]);
    for (let r = 0; r < 5; r++) ways.forEach((f, w) => rounds[w]!.push(perMember(f, Math.ceil(reps / 5))));
    return rounds.map((us) => median(us));
  };
  const step = (o: StackedOptimizer) => () => tf.dispose(tf.tidy(() => o.step(program.gradients(x, y, weights, 0), lrs)));
  const task = referenceTask(false);
  const steps: number[] = [];
  const stepsOps: number[] = [];
  const group: number[] = [];
  for (let r = 0; r < 5; r++) {
    steps.push(perMember(step(optimizer), Math.ceil(reps / 5)));
    stepsOps.push(perMember(step(byOps), Math.ceil(reps / 5)));
    const g = await timed(() => trainGroup(task, members(k, 2, 1e-3), ctx));
    group.push((g.cpuMs * 1000) / g.value.memberSteps);
  }
  const [stepUs, stepOpsUs, groupUs] = [median(steps), median(stepsOps), median(group)];
  // The 8 products of a step: 3 forward, 3 weight gradients, 2 input gradients.
  const products = (p: StackedProducts) => () =>
    tf.tidy(() => {
      p.nn(acts[0]!, weights[0]!, weights[1], 'relu');
      p.nn(acts[0]!, weights[2]!, weights[3], 'relu');
      p.nn(acts[0]!, weights[4]!, weights[5], 'linear');
      p.tn(acts[0]!, acts[0]!);
      p.tn(acts[0]!, acts[0]!);
      p.tn(acts[0]!, acts[1]!);
      p.nt(acts[1]!, weights[4]!);
      p.nt(acts[0]!, weights[2]!);
    });
  // The two ways of running the products differ only in operator reuse; the two updates only in the path.
  const [productsUs, productsFreshUs] = alternating([products(stackedProducts(tf)), products(stackedProducts(tf, { reuseOperators: false }))]) as [
    number,
    number,
  ];
  const update = (o: StackedOptimizer) => () => tf.dispose(tf.tidy(() => o.step(grads, lrs)));
  const [optimizerUs, optimizerOpsUs] = alternating([update(optimizer), update(byOps)]) as [number, number];
  tf.dispose([x, y, ...grads, ...weights, ...acts]);
  program.dispose();
  optimizer.dispose();
  byOps.dispose();
  return { k, stepUs, stepOpsUs, productsUs, productsFreshUs, optimizerUs, optimizerOpsUs, groupUs };
}

/** PyTorch's single-model steps/s on the reference MLP, or why it could not be measured. */
function torchRate(epochs: number): TorchRate {
  const python = '/usr/bin/python3';
  const script = fileURLToPath(new URL('../../benchmarks/torch_mlp.py', import.meta.url));
  if (!existsSync(python)) return { kind: 'skipped', reason: `${python} is missing` };
  if (!existsSync(script)) return { kind: 'skipped', reason: `${script} is missing` };
  const r = spawnSync(python, [script, '--epochs', String(epochs)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  if (r.status !== 0) {
    const why = (r.stderr ?? '').trim().split('\n').at(-1) ?? `exit code ${r.status}`;
    return { kind: 'skipped', reason: /No module named 'torch'/.test(why) ? 'python3-torch is not installed (apt-get install python3-torch)' : why };
  }
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { torch: string; perCpuSec: number; perWallSec: number };
  return { kind: 'ran', torch: out.torch, perCpuSec: out.perCpuSec, perWallSec: out.perWallSec };
}

const medianRate = (rs: readonly Rate[]): Rate => ({
  perCpuSec: median(rs.map((r) => r.perCpuSec)),
  perWallSec: median(rs.map((r) => r.perWallSec)),
});

export async function runVectorisedBenchmark(o: {
  quick: boolean;
  backend?: BackendOption;
  log?: (line: string) => void;
}): Promise<VectorisedResult> {
  const log = o.log ?? (() => undefined);
  const { tf, backend } = await loadTf({ backend: o.backend === undefined || o.backend === 'auto' ? 'wasm' : o.backend });
  const ctx = { tf, backend };
  // Budgets per timed call: training steps of the single model, member-steps of a group.
  const singleSteps = o.quick ? 300 : 1500;
  const groupSteps = o.quick ? 1000 : 4000;
  const repeats = o.quick ? 1 : 7;
  const tasks: Task[] = [referenceTask(false), ...MLP_TASKS.map((n) => BUNDLED_TASKS[n]!)];
  const rows: VectorisedRow[] = [];
  const torchRuns: TorchRate[] = [];
  for (const task of tasks) {
    const data = await taskData(task, 0);
    const cfg = trainConfig(task.name, task.defaults);
    const batch = Math.min(cfg.batchSize, data.nTrain);
    const stepsPerEpoch = Math.floor(data.nTrain / batch);
    const flops = flopsPerStep(layoutFor(task, ctx), batch);
    await warmUp(task, ctx, o.quick ? 300 : WARMUP_STEPS, 10_000);
    await trainGroup(task, members(8, 1, cfg.lr), ctx);
    const single: Rate[] = [];
    const groups = new Map<number, Rate[]>(GROUP_SIZES.map((k) => [k, []]));
    const ratios = new Map<number, number[]>(GROUP_SIZES.map((k) => [k, []]));
    for (let r = 0; r < repeats; r++) {
      // Interleaved, so that a change in the machine's load touches every contender alike.
      const epochs = Math.max(1, Math.round(singleSteps / stepsPerEpoch));
      const s = await timed(() => trainAndEvaluate(task, { epochs }, { ...ctx, seed: 1000 + r }));
      single.push(rate(s.value.steps, s));
      for (const k of GROUP_SIZES) {
        const g = await timed(() => trainGroup(task, members(k, Math.max(1, Math.round(groupSteps / (k * stepsPerEpoch))), cfg.lr), ctx));
        const gr = rate(g.value.memberSteps, g);
        groups.get(k)!.push(gr);
        ratios.get(k)!.push(gr.perCpuSec / single.at(-1)!.perCpuSec);
      }
      // PyTorch in the same repeat, on the reference MLP only (the one it is measured on).
      if (task === tasks[0] && torchRuns.at(-1)?.kind !== 'skipped') torchRuns.push(torchRate(o.quick ? 3 : 10));
    }
    const singleRate = medianRate(single);
    const row: VectorisedRow = {
      task: task.name,
      stepsPerEpoch,
      flopsPerStep: flops,
      single: singleRate,
      singleGflops: (singleRate.perCpuSec * flops) / 1e9,
      groups: GROUP_SIZES.map((k) => {
        const rt = medianRate(groups.get(k)!);
        return { k, rate: rt, ratios: ratios.get(k)!, gflops: (rt.perCpuSec * flops) / 1e9 };
      }),
    };
    rows.push(row);
    log(
      `vectorised ${task.name}: single ${Math.round(row.single.perCpuSec)} steps/cpu-s; ${row.groups.map((g) => `K=${g.k} ${Math.round(g.rate.perCpuSec)}`).join(', ')} member-steps/cpu-s`,
    );
  }
  const ran = torchRuns.flatMap((t) => (t.kind === 'ran' ? [t] : []));
  const torch: TorchRate =
    ran.length === torchRuns.length && ran.length > 0
      ? { kind: 'ran', torch: ran[0]!.torch, ...medianRate(ran), perRepeat: ran.map((t) => t.perCpuSec) }
      : (torchRuns.find((t) => t.kind === 'skipped') ?? { kind: 'skipped', reason: 'not run' });
  log(`vectorised: PyTorch reference ${torch.kind === 'ran' ? `${Math.round(torch.perCpuSec)} steps/cpu-s` : `skipped (${torch.reason})`}`);
  const largeGemmGflops = await largeGemm(tf);
  const mhz = cpuMhz();
  const parts: Breakdown[] = [];
  for (const k of [1, TARGETS.k]) parts.push(await breakdown(ctx, k, o.quick ? 50 : 200));
  return {
    quick: o.quick,
    backend,
    repeats,
    rows,
    torch,
    largeGemmGflops,
    simdPeakGflops: mhz === undefined ? undefined : (16 * mhz) / 1000,
    cpuMhz: mhz,
    breakdown: parts,
  };
}

const n0 = (v: number) => String(Math.round(v));
const x1 = (v: number) => `${v.toFixed(1)}x`;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function toMarkdown(res: VectorisedResult): string {
  const ref = res.rows[0]!;
  const k16 = ref.groups.find((g) => g.k === TARGETS.k)!;
  // Paired ratios (each group beside the single model timed just before it) where the run kept them.
  const ratioOf = (r: VectorisedRow, g: GroupRate) => (g.ratios ? median(g.ratios) : g.rate.perCpuSec / r.single.perCpuSec);
  const overSingle = ratioOf(ref, k16);
  const spread = (xs: readonly number[] | undefined) =>
    xs && xs.length > 1 ? ` (range ${x1(Math.min(...xs))}-${x1(Math.max(...xs))} over ${xs.length} paired repeats)` : '';
  const torchRatios =
    res.torch.kind === 'ran' && res.torch.perRepeat && k16.ratios
      ? res.torch.perRepeat.map((t, i) => (k16.ratios![i]! * ref.single.perCpuSec) / t)
      : undefined;
  const torch = res.torch.kind === 'ran' ? res.torch.perCpuSec : undefined;
  const peakGemm = Math.max(...res.rows.flatMap((r) => r.groups.map((g) => g.gflops)));
  const lines = [
    `Backend ${res.backend}, one thread; rates per CPU-second of the process, median of ${res.repeats} interleaved repeat(s); each timed call includes model building and scoring. ` +
      "In brackets: the median over repeats of a group's rate over the single model's timed just before it.",
    '',
    `| task | steps/epoch | MFLOP/step | single steps/s | ${GROUP_SIZES.map((k) => `K=${k} member-steps/s`).join(' | ')} |`,
    `| --- | --- | --- | --- | ${GROUP_SIZES.map(() => '---').join(' | ')} |`,
    ...res.rows.map(
      (r) =>
        `| ${r.task} | ${r.stepsPerEpoch} | ${(r.flopsPerStep / 1e6).toFixed(2)} | ${n0(r.single.perCpuSec)} | ${r.groups.map((g) => `${n0(g.rate.perCpuSec)} (${x1(ratioOf(r, g))})`).join(' | ')} |`,
    ),
    '',
    `PyTorch ${res.torch.kind === 'ran' ? `${res.torch.torch}, one thread, the reference MLP, measured in this run${res.torch.perRepeat ? ` in each repeat after the reference row's groups (median of ${res.torch.perRepeat.length})` : ''}: ${n0(res.torch.perCpuSec)} steps/s` : `not measured: ${res.torch.reason}`}.`,
    '',
    `Targets at K = ${TARGETS.k} on the reference MLP: member-steps/s >= ${TARGETS.overSingle}x the single-model loop: ${x1(overSingle)}${spread(k16.ratios)} (${overSingle >= TARGETS.overSingle ? 'met' : 'not met'}); ` +
      `>= ${TARGETS.overTorch}x PyTorch: ${torch === undefined ? 'not measured' : `${x1(k16.rate.perCpuSec / torch)}${spread(torchRatios)} (${k16.rate.perCpuSec / torch >= TARGETS.overTorch ? 'met' : 'not met'})`}.`,
    '',
    `Flop rate (training matMuls only): reference single model ${ref.singleGflops.toFixed(2)} GFLOP/s, K = ${TARGETS.k} ${k16.gflops.toFixed(2)}, best of any row ${peakGemm.toFixed(2)}; ` +
      `a 512^3 product reaches ${res.largeGemmGflops.toFixed(1)} GFLOP/s here (K = ${TARGETS.k}: ${pct(k16.gflops / res.largeGemmGflops)} of it)` +
      (res.simdPeakGflops === undefined
        ? '.'
        : `; 4 wasm SIMD lanes x (2 multiplies + 2 adds) per cycle at the ${n0(res.cpuMhz!)} MHz /proc/cpuinfo reports make ${res.simdPeakGflops.toFixed(1)} GFLOP/s (K = ${TARGETS.k}: ${pct(k16.gflops / res.simdPeakGflops)}), a rough scale rather than a ceiling: a boost clock above that figure lets a large product pass it.`),
    '',
    'Where a step of the reference MLP goes (microseconds of CPU per member-step; the 8 matMuls also as tfjs runs them, an XNNPACK operator created and its operand packed per call; ' +
      'a whole trainGroup call of 2 epochs timed in alternation with the step, so that the difference is what is spent outside the step' +
      (res.breakdown.every((b) => b.optimizerOpsUs !== undefined)
        ? '; the update is the fused wasm SIMD kernel (src/tf/simd-update.ts), beside it the same update by tfjs ops, timed in alternation, and a whole step with it):'
        : '):'),
    '',
    ...breakdownTable(res.breakdown),
    '',
    `${TARGETS.overSingle}x the single-model loop of the first table is ${n0(1e6 / (TARGETS.overSingle * ref.single.perCpuSec))} us per member-step.`,
  ];
  return lines.join('\n');
}

/** The breakdown table; runs that timed the tfjs-op update beside the fused one get its columns. */
function breakdownTable(rows: readonly Breakdown[]): string[] {
  const ops = rows.every((b) => b.optimizerOpsUs !== undefined && b.stepOpsUs !== undefined);
  const us = (v: number) => v.toFixed(0);
  return [
    `| K | whole step | its 8 matMuls | the same, operator per call | optimizer update |${ops ? ' the update by tfjs ops | whole step with it |' : ''} trainGroup | outside the step |`,
    `| --- | --- | --- | --- | --- |${ops ? ' --- | --- |' : ''} --- | --- |`,
    ...rows.map(
      (b) =>
        `| ${b.k} | ${us(b.stepUs)} | ${us(b.productsUs)} | ${us(b.productsFreshUs)} | ${us(b.optimizerUs)} |${ops ? ` ${us(b.optimizerOpsUs!)} | ${us(b.stepOpsUs!)} |` : ''} ${us(b.groupUs)} | ${us(b.groupUs - b.stepUs)} |`,
    ),
  ];
}

export const vectorisedSection: Section = {
  id: 'vectorised',
  title: '4b. Population-vectorised training: member-steps per second at K = 4..64 against one model and PyTorch',
  async run({ quick, backend, log }) {
    log('vectorised training: reference MLP and the bundled MLP tasks, single model and groups of 4..64');
    const result = await runVectorisedBenchmark({ quick, backend, log });
    return { kind: 'ran', markdown: toMarkdown(result), data: result, charts: [] };
  },
};

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { quick: { type: 'boolean', default: false }, breakdown: { type: 'boolean', default: false } },
  });
  if (values.breakdown) {
    // Only the breakdown table (K = 1 and 16): a few minutes of CPU.
    const { tf, backend } = await loadTf({ backend: 'wasm' });
    // Warm first, as the full run is by the time it gets here: otherwise the first timings pay V8's compilation.
    await warmUp(referenceTask(false), { tf, backend }, WARMUP_STEPS, 10_000);
    await trainGroup(referenceTask(false), members(TARGETS.k, 1, 1e-3), { tf, backend });
    const rows: Breakdown[] = [];
    for (const k of [1, TARGETS.k]) rows.push(await breakdown({ tf, backend }, k, values.quick ? 50 : 200));
    console.log(breakdownTable(rows).join('\n'));
    return;
  }
  const res = await runVectorisedBenchmark({ quick: values.quick, log: (l) => console.error(l) });
  console.log(toMarkdown(res));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
