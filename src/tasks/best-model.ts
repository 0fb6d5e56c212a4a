/**
 * A run's best trained model as a library product (KerasTuner's get_best_models(), Ray Tune's best checkpoint):
 * loaded as a tfjs LayersModel, or written where the user wants it (`evotune export --model` is exportBestModel).
 * It comes from `<run>/best-model/` (written when the best changes; for PBT the best member at the end), else is
 * rebuilt from the best trial's checkpoint file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { errors, EvotuneError } from '../errors.js';
import { checkpointPath } from '../journal/format.js';
import { readJournal } from '../journal/reader.js';
import { runData } from '../report/data.js';
import type { Params } from '../space/spec.js';
import { readCheckpoint, type Checkpoint } from './checkpoint.js';
import { activeTf, BEST_MODEL_DIR, copyModel, MODEL_JSON, modelFiles, saveModel, trainedModel } from './model-file.js';
import { resolveTask } from './registry.js';
import type { LayersModel, Task, TF } from './types.js';

export interface LoadBestModelOptions {
  /** The tfjs to load the model into (its active backend: wasm, cpu, tensorflow); default: evotune's own tfjs. */
  readonly tf?: TF;
}

/** Where a run's best model is: its saved files, or the best trial's checkpoint with the task and params to build it. */
type BestModelSource =
  | { readonly kind: 'files'; readonly dir: string }
  | { readonly kind: 'checkpoint'; readonly file: string; readonly task: Task; readonly params: Params; readonly checkpoint: Checkpoint };

async function bestModelSource(runDir: string): Promise<BestModelSource> {
  const kept = join(runDir, BEST_MODEL_DIR);
  if (existsSync(join(kept, MODEL_JSON))) return { kind: 'files', dir: kept };
  const journal = readJournal(runDir);
  const best = runData(runDir, journal).best;
  if (!best) throw errors.runFolder(runDir, 'has no complete trial, so no trained model');
  const taskName = journal.study.config.task;
  if (typeof taskName !== 'string') throw errors.runFolder(runDir, 'its trials ran a fitness module, not a task: there is no trained model');
  const file = join(runDir, checkpointPath(best.trial));
  if (!existsSync(file)) {
    const looked = `neither ${BEST_MODEL_DIR}/ nor ${checkpointPath(best.trial)} for the best trial ${best.trial}`;
    throw errors.runFolder(runDir, `no trained model kept (${looked})`, 'the model is kept by searches over a task with --out');
  }
  const task = await resolveTask(taskName);
  return { kind: 'checkpoint', file, task, params: best.params, checkpoint: readCheckpoint(file, { task: task.name }) };
}

/**
 * The best trained model of a run folder as a tfjs LayersModel (the caller disposes it). Its output layer gives
 * logits (classification: apply softmax for probabilities) or values; `model.getUserDefinedMetadata().evotune` holds
 * the task, params, epoch and step. Reads the files itself: no tfjs-node, any backend.
 */
export async function loadBestModel(runDir: string, options: LoadBestModelOptions = {}): Promise<LayersModel> {
  const source = await bestModelSource(runDir);
  const tf = options.tf ?? (await activeTf());
  if (source.kind === 'files') return damagedHint(source.dir, () => tf.loadLayersModel(modelFiles(tf, source.dir)));
  return trainedModel(tf, source.task, source.params, source.checkpoint);
}

/** A damaged best-model/ says how to get the model back: the best trial's checkpoint rebuilds it. */
async function damagedHint<T>(dir: string, read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof EvotuneError) || e.code !== 'E_MODEL') throw e;
    throw new EvotuneError(e.code, e.kind, e.message, `remove ${dir} to rebuild the model from the best trial's checkpoint, if the run kept it`);
  }
}

/**
 * Writes a run's best trained model into `outDir` (model.json + weights.bin, TensorFlow.js's layers format, for
 * `tf.loadLayersModel`). Returns the model.json written and what it came from (best-model/ or a checkpoint file).
 */
export async function exportBestModel(runDir: string, outDir: string): Promise<{ readonly modelJson: string; readonly from: string }> {
  const source = await bestModelSource(runDir);
  if (source.kind === 'files') await damagedHint(source.dir, () => copyModel(source.dir, outDir));
  else await saveModel(source.task, source.params, source.checkpoint, outDir);
  return { modelJson: join(outDir, MODEL_JSON), from: source.kind === 'files' ? source.dir : source.file };
}
