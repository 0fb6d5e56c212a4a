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
import { num, table } from './report-markdown.js';
import type { Section } from './sections.js';
import { summarize, type Summary } from './stats.js';

export interface CheckpointCostRow {
  readonly task: string;
  readonly weights: number;
  readonly megabytes: number;
  readonly epochMs: Summary;
  /** Relative extra training time with a report every epoch (0.05 = 5%). */
  readonly reportOverhead: Summary;
  /** Median of zero-epoch runs with restore + checkpoint minus the median of those without. */
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

/** The result and the wall time of f. */
const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const start = performance.now();
  const v = await f();
  return [v, performance.now() - start];
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
      const s = { epochMs: [] as number[], report: [] as number[], bare: [] as number[], withState: [] as number[], transfer: [] as number[], copy: [] as number[], file: [] as number[] };
      let ck: Checkpoint | undefined;
      await trainAndEvaluate(task, params, { tf, backend, seed: 99 }); // JIT and data warm-up
      for (let rep = 0; rep < repeatsOf(name); rep++) {
        const ctx = { tf, backend, seed: rep };
        // Alternate which runs first, so that a load change hits both alike.
        const plain = () => trainAndEvaluate(task, params, ctx);
        const reported = () => trainAndEvaluate(task, params, ctx, { report: () => true, wantCheckpoint: true });
        const [a, b] = rep % 2 ? [await plain(), await reported()] : (([y, x]) => [x, y])([await reported(), await plain()]);
        ck = b.checkpoint!;
        s.epochMs.push(a.trainMs / epochs);
        s.report.push(b.trainMs / a.trainMs - 1);
        for (let i = 0; i < 3; i++) {
          s.bare.push((await timed(() => trainAndEvaluate(task, params, ctx, { segment: { from: 0, to: 0 } })))[1]);
          s.withState.push((await timed(() => trainAndEvaluate(task, params, ctx, { restore: ck, segment: { from: epochs, to: epochs }, wantCheckpoint: true })))[1]);
        }
        // Several round trips, alternating, so that neither way pays alone for what training left to the event loop.
        for (let i = 0; i < 6; i++) {
          const transfer = (i + rep) % 2 === 0;
          (transfer ? s.transfer : s.copy).push(await roundTrip(worker, ck, transfer));
        }
        const start = performance.now();
        const file = join(dir, `trial-${rep}.ckpt`);
        writeCheckpointFile(file, ck);
        readCheckpoint(file);
        s.file.push(performance.now() - start);
      }
      const m = (xs: number[]) => summarize(xs);
      const epoch = m(s.epochMs).median;
      const state = m(s.withState).median - m(s.bare).median;
      const handoff = state + m(s.transfer).median;
      rows.push({
        task: name,
        weights: ck!.weights.length,
        megabytes: checkpointBytes(ck!) / 1024 / 1024,
        epochMs: m(s.epochMs),
        reportOverhead: m(s.report),
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

const iqr = (s: Summary, f = num) => `${f(s.median)} [${f(s.q1)}, ${f(s.q3)}]`;
const pct = (v: number) => `${num(v * 100)}%`;

export function toMarkdown(rows: readonly CheckpointCostRow[]): string {
  return [
    'Median [IQR] over the repeats; ms unless marked. A hand-off = state (restore + checkpoint) + transfer round trip.',
    '',
    table(
      ['task', 'weights', 'checkpoint MB', 'one epoch', 'report overhead', 'state', 'transfer', 'copy', 'file write+read', 'hand-off / epoch', 'with file / epoch'],
      rows.map((r) => [
        r.task,
        String(r.weights),
        num(r.megabytes),
        iqr(r.epochMs),
        iqr(r.reportOverhead, pct),
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
  title: 'Checkpoints and reports: what they cost against one epoch',
  async run({ quick, backend, log }) {
    const rows = await runCheckpointCost({ quick, backend, log });
    return { kind: 'ran', markdown: toMarkdown(rows), data: rows, charts: [] };
  },
};
