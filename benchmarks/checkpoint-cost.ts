/**
 * What reporting and checkpoints cost, against one epoch of the task they belong to (issue #13's overhead goals):
 * - report: training with a validation loss read after every epoch, against training without;
 * - state: restoring a checkpoint and taking one at the end (a zero-epoch segment with both, minus one without);
 * - transfer: a round trip of the checkpoint to a worker thread and back (= the two hops of a hand-off from one
 *   pool worker to another through the main thread), with transfer lists, and by copy for comparison;
 * - file: writing `<run>/checkpoints/trial-<n>.ckpt` and reading it back (what resume and export do).
 * A hand-off is state + transfer; with the file too when it is persisted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { BackendOption } from '../src/options.js';
import { loadTf } from '../src/tf/backend.js';
import { writeCheckpointFile } from '../src/journal/checkpoint-file.js';
import { checkpointBytes, readCheckpoint, transferList, type Checkpoint } from '../src/tasks/checkpoint.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { trainAndEvaluate } from '../src/tasks/train.js';
import { num, table } from '../src/bench/report-markdown.js';
import type { Section } from './section.js';
import { summarize, type Summary } from '../src/bench/stats.js';

export interface CheckpointCostRow {
  readonly task: string;
  readonly weights: number;
  readonly megabytes: number;
  /** CPU ms of one epoch. */
  readonly epochMs: number;
  /** Extra training CPU with a report every epoch, relative (0.05 = 5%): medians of paired runs. */
  readonly reportOverhead: number;
  /** CPU ms: median of zero-epoch runs with restore + checkpoint minus the median of those without. */
  readonly stateMs: number;
  readonly transferMs: Summary;
  readonly copyMs: Summary;
  readonly fileMs: Summary;
  /** Median hand-off (state + transfer) over the median epoch, and with the file too. */
  readonly handoffEpochs: number;
  readonly handoffWithFileEpochs: number;
}

const ECHO = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ ck, transfer }) => {
  parentPort.postMessage({ ck, transfer }, transfer ? [ck.weights.buffer, ...ck.slots.map((s) => s.buffer)] : []);
});`;

const copyOf = (c: Checkpoint): Checkpoint => ({ ...c, weights: c.weights.slice(), slots: c.slots.map((s) => s.slice()) });

async function roundTrip(worker: Worker, c: Checkpoint, transfer: boolean): Promise<number> {
  const ck = copyOf(c);
  const start = performance.now();
  const back = new Promise<void>((resolve) => worker.once('message', () => resolve()));
  worker.postMessage({ ck, transfer }, transfer ? transferList(ck) : []);
  await back;
  return performance.now() - start;
}

/** CPU milliseconds of this process (user + system): on a shared machine far steadier than wall time. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** The result and the CPU time of f. */
const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const start = cpuMs();
  const v = await f();
  return [v, cpuMs() - start];
};

export async function runCheckpointCost(o: { quick: boolean; backend: BackendOption; log: (line: string) => void }): Promise<CheckpointCostRow[]> {
  const { tf, backend } = await loadTf({ backend: o.backend === 'auto' ? 'wasm' : o.backend });
  const tasks = o.quick ? ['digits', 'wine'] : ['digits', 'digits-cnn', 'spirals', 'wine'];
  // More repeats where an epoch is short and the machine's noise large against it.
  const repeatsOf = (task: string) => (o.quick ? 3 : task === 'digits-cnn' ? 5 : task === 'digits' ? 9 : 21);
  const epochs = o.quick ? 2 : 4;
  const dir = mkdtempSync(join(tmpdir(), 'evotune-ckpt-bench-'));
  const worker = new Worker(ECHO, { eval: true });
  const rows: CheckpointCostRow[] = [];
  try {
    for (const name of tasks) {
      const task = BUNDLED_TASKS[name]!;
      const params = { epochs };
      const s = {
        plain: [] as number[],
        reported: [] as number[],
        bare: [] as number[],
        withState: [] as number[],
        transfer: [] as number[],
        copy: [] as number[],
        file: [] as number[],
      };
      let ck: Checkpoint | undefined;
      await trainAndEvaluate(task, params, { tf, backend, seed: 99 }); // JIT and data warm-up
      for (let rep = 0; rep < repeatsOf(name); rep++) {
        const ctx = { tf, backend, seed: rep };
        // Alternate which runs first, so that a load change hits both alike.
        const plain = async () => s.plain.push((await timed(() => trainAndEvaluate(task, params, ctx)))[1]);
        const reported = async () => {
          const [r, ms] = await timed(() => trainAndEvaluate(task, params, ctx, { report: () => true, wantCheckpoint: true }));
          ck = r.checkpoint!;
          s.reported.push(ms);
        };
        if (rep % 2) await plain().then(reported);
        else await reported().then(plain);
        for (let i = 0; i < 3; i++) {
          s.bare.push((await timed(() => trainAndEvaluate(task, params, ctx, { segment: { from: 0, to: 0 } })))[1]);
          s.withState.push(
            (
              await timed(() => trainAndEvaluate(task, params, ctx, { restore: ck!, segment: { from: epochs, to: epochs }, wantCheckpoint: true }))
            )[1],
          );
        }
        // Several round trips, alternating, so that neither way pays alone for what training left to the event loop.
        for (let i = 0; i < 6; i++) {
          const transfer = (i + rep) % 2 === 0;
          (transfer ? s.transfer : s.copy).push(await roundTrip(worker, ck!, transfer));
        }
        const start = performance.now();
        const file = join(dir, `trial-${rep}.ckpt`);
        writeCheckpointFile(file, ck!);
        readCheckpoint(file);
        s.file.push(performance.now() - start);
      }
      const m = (xs: number[]) => summarize(xs);
      // Per epoch: what training adds to a zero-epoch run (model building and the final scores cost both alike).
      const bare = m(s.bare).median;
      const epoch = (m(s.plain).median - bare) / epochs;
      const state = m(s.withState).median - bare;
      const handoff = state + m(s.transfer).median;
      rows.push({
        task: name,
        weights: ck!.weights.length,
        megabytes: checkpointBytes(ck!) / 1024 / 1024,
        epochMs: epoch,
        reportOverhead: (m(s.reported).median - m(s.plain).median) / (m(s.plain).median - bare),
        stateMs: state,
        transferMs: m(s.transfer),
        copyMs: m(s.copy),
        fileMs: m(s.file),
        handoffEpochs: handoff / epoch,
        handoffWithFileEpochs: (handoff + m(s.file).median) / epoch,
      });
      o.log(`checkpoint cost: ${name} done`);
    }
  } finally {
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const iqr = (s: Summary) => `${num(s.median)} [${num(s.q1)}, ${num(s.q3)}]`;
const pct = (v: number) => `${num(v * 100)}%`;

export function toMarkdown(rows: readonly CheckpointCostRow[]): string {
  return [
    'Medians over the repeats (with [IQR] where a column is one measurement). One epoch, report overhead and state are',
    "CPU time of this process (the machine is shared: wall time moves with others' load); transfer, copy and file are",
    'wall ms. A hand-off = state (restore + checkpoint) + transfer round trip; "with file" adds writing and reading it.',
    '',
    table(
      [
        'task',
        'weights',
        'checkpoint MB',
        'one epoch (CPU ms)',
        'report overhead',
        'state (CPU ms)',
        'transfer',
        'copy',
        'file write+read',
        'hand-off / epoch',
        'with file / epoch',
      ],
      rows.map((r) => [
        r.task,
        String(r.weights),
        num(r.megabytes),
        num(r.epochMs),
        pct(r.reportOverhead),
        num(r.stateMs),
        iqr(r.transferMs),
        iqr(r.copyMs),
        iqr(r.fileMs),
        num(r.handoffEpochs),
        num(r.handoffWithFileEpochs),
      ]),
    ),
  ].join('\n');
}

export const checkpointCost: Section = {
  id: 'checkpoints',
  title: '6a. Checkpoints and reports: what they cost against one epoch',
  async run({ quick, backend, log }) {
    const rows = await runCheckpointCost({ quick, backend, log });
    return { kind: 'ran', markdown: toMarkdown(rows), data: rows, charts: [] };
  },
};
