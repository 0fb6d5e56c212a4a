/**
 * The trained model as a library product: loadBestModel and exportBestModel (src/tasks/best-model.ts) after real
 * searches, on wasm and cpu; clear errors for a run without a model and for damaged model files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportBestModel, loadBestModel } from '../src/index.js';
import { EvotuneError } from '../src/errors.js';
import { checkpointPath } from '../src/journal/format.js';
import { search, type SearchResult } from '../src/search.js';
import { loadTf } from '../src/tf/backend.js';
import { lossValue } from '../src/tf/loss.js';
import { modelFiles } from '../src/tasks/model-file.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { taskData } from '../src/tasks/train.js';
import type { LayersModel, Task, TF } from '../src/tasks/types.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'dist/bin/evotune.js');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'evotune-best-model-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The model's loss on the task's validation split (dataSeed 0, as trials use); disposes the model. */
async function validationLoss(tf: TF, task: Task, model: LayersModel): Promise<number> {
  const d = await taskData(task, 0);
  try {
    return tf.tidy(() => {
      const x = tf.tensor(d.xVal, [d.nVal, ...d.inputShape]);
      const y = tf.tensor2d(d.yVal, [d.nVal, d.targetSize]);
      return lossValue(tf, task.kind, model.predict(x, { batchSize: d.nVal }) as tfjs.Tensor, y).dataSync()[0]!;
    });
  } finally {
    model.dispose();
  }
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** The rejection of a promise, which must be an EvotuneError. */
async function refusal(p: Promise<unknown>): Promise<EvotuneError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(EvotuneError);
  return e as EvotuneError;
}

describe('loadBestModel / exportBestModel after a search over a task', () => {
  const task = BUNDLED_TASKS.iris!;
  let run: string;
  let r: SearchResult;
  beforeAll(async () => {
    run = join(tmp(), 'run');
    r = await search({ task: 'iris', budget: 4, workers: 1, seed: 3, backend: 'wasm', out: run });
  }, 300_000);

  it("scores the best trial's validation loss on wasm and cpu, from best-model/ and from the checkpoint; export writes the same model", async () => {
    expect(r.failed).toBe(0);
    const best = r.best!.value;
    let { tf } = await loadTf({ backend: 'wasm' });
    const before = tf.memory().numTensors;
    const model = await loadBestModel(run, { tf });
    const epochs = Number(r.best!.params.epochs ?? task.defaults.epochs);
    expect(model.getUserDefinedMetadata()).toMatchObject({ evotune: { task: 'iris', output: 'logits', epoch: epochs } });
    // To float precision: the trainer evaluates through its own program, the loaded model through tfjs-layers.
    expect(relative(await validationLoss(tf, task, model), best)).toBeLessThan(1e-6);
    for (let i = 0; i < 3; i++) (await loadBestModel(run, { tf })).dispose();
    expect(tf.memory().numTensors).toBe(before);

    // The same on the pure-JS backend (another arithmetic: a looser tolerance).
    ({ tf } = await loadTf({ backend: 'cpu' }));
    expect(relative(await validationLoss(tf, task, await loadBestModel(run, { tf })), best)).toBeLessThan(1e-5);
    ({ tf } = await loadTf({ backend: 'wasm' }));

    // Exported, it is the same model, loadable from the files alone.
    const out = join(tmp(), 'exported');
    const e = await exportBestModel(run, out);
    expect(e).toEqual({ modelJson: join(out, 'model.json'), from: join(run, 'best-model') });
    expect(readFileSync(join(out, 'weights.bin'))).toEqual(readFileSync(join(run, 'best-model', 'weights.bin')));
    const exported = await validationLoss(tf, task, await tf.loadLayersModel(modelFiles(tf, out)));

    // Without best-model/, the best trial's checkpoint builds the same model (the same loss, bit for bit).
    rmSync(join(run, 'best-model'), { recursive: true });
    const rebuilt = await loadBestModel(run, { tf });
    expect(rebuilt.getUserDefinedMetadata()).toMatchObject({ evotune: { task: 'iris', params: r.best!.params } });
    expect(await validationLoss(tf, task, rebuilt)).toBe(exported);
    const again = join(tmp(), 'again');
    expect((await exportBestModel(run, again)).from).toBe(join(run, checkpointPath(r.best!.trial)));
    expect(readFileSync(join(again, 'weights.bin'))).toEqual(readFileSync(join(out, 'weights.bin')));
    expect(tf.memory().numTensors).toBe(before);

    // Neither best-model/ nor the checkpoint: a clear error naming the run and what was looked for.
    rmSync(join(run, checkpointPath(r.best!.trial)));
    const none = await refusal(loadBestModel(run, { tf }));
    expect(none.kind).toBe('usage');
    expect(none.message).toBe(
      `run folder ${run}: no trained model kept (neither best-model/ nor ${checkpointPath(r.best!.trial)} for the best trial ${r.best!.trial})`,
    );
    expect((await refusal(exportBestModel(run, join(tmp(), 'x')))).message).toBe(none.message);
  }, 300_000);
});

describe('loadBestModel after population-based training', () => {
  it('the best member at the end: its model scores the best value', async () => {
    const run = join(tmp(), 'pbt');
    const r = await search({
      task: 'wine',
      strategy: 'pbt',
      strategyOptions: { population: 4, readyEpochs: 3 },
      seed: 2,
      budgetEpochs: 24,
      workers: 1,
      backend: 'wasm',
      out: run,
    });
    expect(r.failed).toBe(0);
    const { tf } = await loadTf({ backend: 'wasm' });
    const model = await loadBestModel(run, { tf });
    // A member continues from others: its model holds every epoch of its lineage, not only its own round.
    expect((model.getUserDefinedMetadata() as { evotune: { epoch: number } }).evotune.epoch).toBeGreaterThan(3);
    expect(relative(await validationLoss(tf, BUNDLED_TASKS.wine!, model), r.best!.value)).toBeLessThan(1e-6);
  }, 300_000);
});

describe('loadBestModel: runs without a model and damaged model files', () => {
  it('a folder that is not a run, and a run of a fitness function, are refused naming the folder', async () => {
    const empty = tmp();
    const e = await refusal(loadBestModel(empty));
    expect(e.message).toBe(`run folder ${empty}: no journal.jsonl here`);
    expect(e.kind).toBe('usage');

    const run = join(tmp(), 'fn');
    await search({ fitness: (p) => (Number(p.x) - 1) ** 2, space: { x: { type: 'float', low: -2, high: 2 } }, budget: 3, seed: 1, out: run });
    expect((await refusal(loadBestModel(run))).message).toBe(
      `run folder ${run}: its trials ran a fitness module, not a task: there is no trained model`,
    );
  });

  it('a truncated or missing weights file, or a model.json that is not JSON: an error naming the file and what was expected', async () => {
    const run = join(tmp(), 'run');
    await search({ task: 'iris', budget: 2, workers: 1, seed: 4, backend: 'wasm', out: run });
    const dir = join(run, 'best-model');
    const weights = join(dir, 'weights.bin');
    const size = readFileSync(weights).byteLength;
    const { tf } = await loadTf({ backend: 'wasm' });
    const before = tf.memory().numTensors;

    truncateSync(weights, size - 40);
    const cut = await refusal(loadBestModel(run, { tf }));
    expect(cut.code).toBe('E_MODEL');
    expect(cut.kind).toBe('usage');
    expect(cut.message).toBe(
      `model ${weights}: holds ${size - 40} bytes of weights, model.json's weightsManifest expects ${size}: the file is truncated`,
    );
    expect(cut.hint).toBe(`remove ${dir} to rebuild the model from the best trial's checkpoint, if the run kept it`);
    // Export refuses the same way, and writes nothing.
    const out = join(tmp(), 'out');
    expect((await refusal(exportBestModel(run, out))).message).toBe(cut.message);
    expect(existsSync(out)).toBe(false);
    expect(tf.memory().numTensors).toBe(before);

    // The command line: exit 2, the same line.
    if (existsSync(bin)) {
      const c = spawnSync(process.execPath, [bin, 'export', run, '--model', out], { cwd: root, encoding: 'utf8' });
      expect(c.status).toBe(2);
      expect(c.stderr.split('\n')[0]).toBe(`evotune: ${cut.message}`);
    }

    rmSync(weights);
    expect((await refusal(loadBestModel(run, { tf }))).message).toBe(`model ${weights}: not found (model.json names it in its weightsManifest)`);

    writeFileSync(join(dir, 'model.json'), '{"modelTopology": ');
    expect((await refusal(loadBestModel(run, { tf }))).message).toMatch(new RegExp(`^model ${join(dir, 'model.json')}: is not JSON \\(`));
  }, 300_000);
});
