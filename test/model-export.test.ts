import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { isEvotuneError } from '../src/errors.js';
import { readJournal } from '../src/journal/reader.js';
import { runData } from '../src/report/data.js';
import { search } from '../src/search.js';
import { trainSchedule, type ScheduleStep } from '../src/tasks/replay.js';
import type { Params } from '../src/space/spec.js';
import { loadTf } from '../src/tf/backend.js';
import { lossValue } from '../src/tf/loss.js';
import { checkpointPath } from '../src/journal/format.js';
import { modelFromCheckpoint, saveModel } from '../src/tasks/model-file.js';
import { BUNDLED_TASKS, resolveTask } from '../src/tasks/registry.js';
import { taskData, trainAndEvaluate } from '../src/tasks/train.js';
import type { Task, TF } from '../src/tasks/types.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'dist/bin/evotune.js');
const tiny = join(root, 'test/fixtures/tiny-task.mjs');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'evotune-model-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Read by hand, the way a user without evotune would: model.json's manifest names the weight files. */
function filesHandler(_tf: TF, dir: string): tfjs.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tfjs.io.ModelJSON;
      const paths = json.weightsManifest.flatMap((g) => g.paths);
      const bytes = Buffer.concat(paths.map((p) => readFileSync(join(dir, p))));
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}

/** The validation loss of a loaded model on the task's split (dataSeed 0, as trials use). */
async function validationLoss(tf: TF, task: Task, dir: string): Promise<{ loss: number; meta: unknown }> {
  const model = await tf.loadLayersModel(filesHandler(tf, dir));
  const d = await taskData(task, 0);
  const loss = tf.tidy(() => {
    const x = tf.tensor(d.xVal, [d.nVal, ...d.inputShape]);
    const y = tf.tensor2d(d.yVal, [d.nVal, d.targetSize]);
    return lossValue(tf, task.kind, model.predict(x, { batchSize: d.nVal }) as tfjs.Tensor, y).dataSync()[0]!;
  });
  const meta = model.getUserDefinedMetadata();
  model.dispose();
  return { loss, meta };
}

describe('saveModel: the trained model in TensorFlow.js format', () => {
  const cases: [Task, Params][] = [
    [BUNDLED_TASKS.digits!, { epochs: 2, batchSize: 64, dropout: 0.2 }],
    [BUNDLED_TASKS.sine!, { epochs: 3, batchSize: 64, optimizer: 'rmsprop', lr: 3e-3 }],
  ];
  for (const [task, params] of cases) {
    it(`${task.name}: loads with tf.loadLayersModel and scores the validation loss the trainer reported`, async () => {
      const { tf, backend } = await loadTf({ backend: 'wasm' });
      const r = await trainAndEvaluate(task, params, { tf, backend, seed: 5 }, { wantCheckpoint: true });
      const dir = join(tmp(), 'model');
      await saveModel(task, params, r.checkpoint!, dir, tf);
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tfjs.io.ModelJSON;
      expect(json.format).toBe('layers-model');
      expect(json.weightsManifest[0]!.paths).toEqual(['./weights.bin']);
      const { loss, meta } = await validationLoss(tf, task, dir);
      // To float precision (1e-6 relative): the loaded model computes tanh through tfjs-layers (1 ulp apart seen).
      expect(Math.abs(loss - r.loss) / r.loss).toBeLessThan(1e-6);
      expect(meta).toMatchObject({
        evotune: { task: task.name, epoch: params.epochs, output: task.kind === 'classification' ? 'logits' : 'values' },
      });
    });
  }

  it("refuses a checkpoint that does not fit the params' model, naming the difference", async () => {
    const { tf, backend } = await loadTf({ backend: 'wasm' });
    const task = BUNDLED_TASKS.digits!;
    const r = await trainAndEvaluate(task, { epochs: 1, batchSize: 128, units: 16 }, { tf, backend, seed: 1 }, { wantCheckpoint: true });
    const before = tf.memory().numTensors;
    let e: unknown;
    try {
      modelFromCheckpoint(tf, task, { units: 32 }, r.checkpoint!);
    } catch (err) {
      e = err;
    }
    expect(isEvotuneError(e)).toBe(true);
    expect((e as Error).message).toBe(
      'task digits: the checkpoint does not fit the model these params build: weights 64x16,16,16x10,10 (checkpoint) vs 64x32,32,32x10,10 (this run)',
    );
    expect(tf.memory().numTensors).toBe(before); // the model built was disposed
  });
});

describe.skipIf(!existsSync(bin))('evotune export --model', () => {
  const evotune = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it("keeps the best trial's model; export writes it from <run>/best-model/, else from its checkpoint; a run without either is a clear error", async () => {
    const run = join(tmp(), 'run');
    const s = evotune(['search', '--task', tiny, '--budget', '4', '--workers', '1', '--seed', '3', '--out', run]);
    expect(s.code, s.stderr).toBe(0);
    const data = runData(run, readJournal(run));
    const best = data.best!;
    const task = await resolveTask(tiny);
    const { tf } = await loadTf({ backend: 'wasm' });

    // The search kept the model: exported, it scores what the best trial scored.
    const out = join(tmp(), 'exported');
    const e = evotune(['export', run, '--model', out]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/\(from .*best-model\)$/m);
    const { loss } = await validationLoss(tf, task, out);
    expect(Math.abs(loss - best.value) / best.value).toBeLessThan(1e-6);

    // Without best-model/, the best trial's checkpoint file rebuilds the same model.
    rmSync(join(run, 'best-model'), { recursive: true });
    const again = join(tmp(), 'again');
    const e2 = evotune(['export', run, '--model', again]);
    expect(e2.code, e2.stderr).toBe(0);
    expect(e2.stdout).toMatch(/^wrote .*again\/model\.json \(from .*checkpoints\/trial-\d+\.ckpt\)$/m);
    expect(readFileSync(join(again, 'weights.bin'))).toEqual(readFileSync(join(out, 'weights.bin')));

    rmSync(join(run, checkpointPath(best.trial)));
    const none = evotune(['export', run, '--model', join(run, 'm0')]);
    expect(none.code).toBe(2);
    expect(none.stderr.split('\n')[0]).toMatch(
      /^evotune: run folder .*run: no trained model kept \(neither best-model\/ nor checkpoints\/trial-\d+\.ckpt/,
    );

    const conflict = evotune(['export', run, '--model', again, '--json']);
    expect(conflict.code).toBe(2);
  });

  it('after population-based training on a task: the best member, from best-model/ and from its kept checkpoint', async () => {
    const run = join(tmp(), 'pbt');
    const pbt = { strategy: 'pbt', strategyOptions: { population: 4, readyEpochs: 3 } } as const;
    const r = await search({ task: 'wine', ...pbt, seed: 2, budgetEpochs: 48, workers: 1, out: run });
    expect(r.failed).toBe(0);
    const { tf } = await loadTf({ backend: 'wasm' });
    const exported = async (from: string) => {
      const out = join(tmp(), 'pbt-model');
      const e = evotune(['export', run, '--model', out]);
      expect(e.code, e.stderr).toBe(0);
      expect(e.stdout).toContain(from);
      return validationLoss(tf, BUNDLED_TASKS.wine!, out);
    };
    const kept = await exported('best-model');
    expect(Math.abs(kept.loss - r.best!.value) / r.best!.value).toBeLessThan(1e-6);
    // A PBT member continues from others: its model holds every epoch of its lineage, not only its own segment.
    expect((kept.meta as { evotune: { epoch: number } }).evotune.epoch).toBeGreaterThan(3);
    rmSync(join(run, 'best-model'), { recursive: true });
    const rebuilt = await exported(`checkpoints/trial-${r.best!.trial}.ckpt`);
    expect(rebuilt.loss).toBe(kept.loss);

    // The evolved schedule: the best member's lineage as a file, which trainSchedule trains again from scratch.
    const file = join(tmp(), 'schedule.json');
    const e = evotune(['export', run, '--schedule', file]);
    expect(e.code, e.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { task: string; steps: ScheduleStep[] };
    expect(saved.task).toBe('wine');
    expect(saved.steps).toEqual(JSON.parse(JSON.stringify(r.lineage!.steps)));
    expect(saved.steps.at(-1)!.segment.to).toBeGreaterThan(3); // more than one round
    const again = await trainSchedule(BUNDLED_TASKS.wine!, saved.steps, { tf, backend: 'wasm', seed: 77 });
    expect(again.loss).toBeGreaterThan(0);
    expect(again.epochs).toBe(saved.steps.at(-1)!.segment.to - saved.steps.at(-1)!.segment.from);
  });

  it('export --schedule of a run without PBT is a clear error', () => {
    const run = join(tmp(), 'plain');
    const s = evotune(['search', '--task', tiny, '--budget', '2', '--workers', '1', '--out', run]);
    expect(s.code, s.stderr).toBe(0);
    const e = evotune(['export', run, '--schedule', join(tmp(), 'x.json')]);
    expect(e.code).toBe(2);
    expect(e.stderr.split('\n')[0]).toMatch(/has no PBT lineage/);
  });
});
