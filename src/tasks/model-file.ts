/**
 * The trained model as a product: TensorFlow.js's own layers-model format (model.json + weights.bin, what
 * tfjs-node's `file://` handler writes), so that `tf.loadLayersModel` loads it in Node or, served over HTTP, in a
 * browser. Built from a checkpoint: the task rebuilds its model from the params, the checkpoint's flat weights fill it.
 * The output layer gives logits (classification: apply softmax for probabilities) or values (regression).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { describe, errors } from '../errors.js';
import type { Params } from '../space/spec.js';
import { loadTf } from '../tf/backend.js';
import { keyTask, shapeKey, shapeKeyDiff, type Checkpoint } from './checkpoint.js';
import type { LayersModel, Task, TF } from './types.js';
import { sizeOf } from '../util/linalg.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
/** Where a run folder keeps its best trial's model (saveModel into `<run>/best-model/` when the best changes). */
export const BEST_MODEL_DIR = 'best-model';

/** What evotune records in model.json's userDefinedMetadata. */
export interface ModelMetadata {
  readonly task: string;
  readonly params: Params;
  readonly epoch: number;
  readonly step: number;
  readonly output: 'logits' | 'values';
}

/** The model the task builds for these params, with the checkpoint's weights. The caller disposes it. */
export function modelFromCheckpoint(tf: TF, task: Task, params: Params, c: Checkpoint): LayersModel {
  const model = task.build({ ...task.defaults, ...params }, { tf, seed: 0, backend: tf.getBackend() });
  try {
    const weights = model.trainableWeights.map((w) => ({ w, shape: w.read().shape }));
    const built = shapeKey({ task: task.name, optimizer: '', batchSize: 0, shapes: weights.map((x) => x.shape) });
    const from = keyTask(c.shapeKey);
    const diff = from === task.name ? shapeKeyDiff(c.shapeKey, built, ['weights']) : `task ${from} (checkpoint) vs ${task.name}`;
    const refuse = (problem: string) => errors.task(task.name, problem);
    if (diff) throw refuse(`the checkpoint does not fit the model these params build: ${diff}`);
    if (model.nonTrainableWeights.length > 0) throw refuse('checkpoints hold trainable weights only; this model has non-trainable weights');
    const total = weights.reduce((n, x) => n + sizeOf(x.shape), 0);
    if (c.weights.length !== total) throw errors.task(task.name, `the checkpoint holds ${c.weights.length} weights, the model has ${total}`);
    let at = 0;
    for (const { w, shape } of weights) {
      const size = sizeOf(shape);
      const value = tf.tensor(c.weights.subarray(at, at + size), shape);
      w.write(value);
      value.dispose();
      at += size;
    }
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** modelFromCheckpoint, with what evotune knows of it in its userDefinedMetadata (`evotune`: ModelMetadata). */
export function trainedModel(tf: TF, task: Task, params: Params, c: Checkpoint): LayersModel {
  const model = modelFromCheckpoint(tf, task, params, c);
  const output = task.kind === 'classification' ? 'logits' : 'values';
  const meta: ModelMetadata = { task: task.name, params: { ...task.defaults, ...params }, epoch: c.epoch, step: c.step, output };
  model.setUserDefinedMetadata({ evotune: meta as unknown as Record<string, unknown> } as never);
  return model;
}

/** Writes a file so that a reader sees the old one or the new one, never half. */
function writeAtomic(file: string, data: Uint8Array | string): void {
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
}

/** tfjs with the backend this thread already uses (never switched: trials may be running on it), else cpu. */
export async function activeTf(): Promise<TF> {
  const tf = (await import('@tensorflow/tfjs')) as TF;
  return tf.engine().backendName ? tf : (await loadTf({ backend: 'cpu' })).tf;
}

/**
 * Writes the trained model into `dir` (created if needed): weights.bin, then model.json. Any backend writes the
 * same bytes (the weights are set from the checkpoint, not computed).
 */
export async function saveModel(task: Task, params: Params, c: Checkpoint, dir: string, tf?: TF): Promise<void> {
  tf ??= await activeTf();
  const model = trainedModel(tf, task, params, c);
  try {
    mkdirSync(dir, { recursive: true });
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
        const json: tfjs.io.ModelJSON = {
          modelTopology: artifacts.modelTopology!,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy ?? null,
          weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
          ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
        };
        writeAtomic(join(dir, WEIGHTS_BIN), new Uint8Array(weightData));
        writeAtomic(join(dir, MODEL_JSON), JSON.stringify(json));
        return {
          modelArtifactsInfo: {
            dateSaved: new Date(),
            modelTopologyType: 'JSON',
            modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
            weightDataBytes: weightData.byteLength,
          },
        };
      }),
    );
  } finally {
    model.dispose();
  }
}

/** Bytes per value of a weight's stored dtype; undefined for strings (variable length). */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/** What model.json's manifest says the weight files hold in all, or undefined when it cannot be known (strings). */
function manifestBytes(specs: readonly tfjs.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const s of specs) {
    const per = DTYPE_BYTES[s.quantization?.dtype ?? s.dtype];
    if (per === undefined) return undefined;
    total += sizeOf(s.shape) * per;
  }
  return total;
}

/**
 * A saved model's model.json and its weights as one buffer, checked: the JSON parses and has a layers topology and a
 * weights manifest, every file it names exists, and together they hold the bytes the manifest describes.
 */
export function readModelFiles(dir: string): { readonly json: tfjs.io.ModelJSON; readonly weights: ArrayBuffer; readonly paths: readonly string[] } {
  const file = join(dir, MODEL_JSON);
  let json: tfjs.io.ModelJSON;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as tfjs.io.ModelJSON;
  } catch (e) {
    throw errors.model(
      file,
      existsSync(file) ? `is not JSON (${describe(e)})` : 'not found',
      `expected ${MODEL_JSON} and ${WEIGHTS_BIN} written by evotune`,
    );
  }
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || !Array.isArray(json.weightsManifest)) {
    throw errors.model(file, 'expected a TensorFlow.js layers model (modelTopology and weightsManifest)');
  }
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  const inside = resolve(dir) + sep;
  const outside = paths.find((p) => !resolve(dir, p).startsWith(inside));
  if (outside !== undefined) throw errors.model(file, `names a weight file outside its folder (${outside}); expected files beside it`);
  const buffers = paths.map((p) => {
    const weights = join(dir, p);
    try {
      return readFileSync(weights);
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw errors.model(weights, missing ? `not found (${MODEL_JSON} names it in its weightsManifest)` : `cannot be read: ${describe(e)}`);
    }
  });
  const all = Buffer.concat(buffers);
  const expected = manifestBytes(json.weightsManifest.flatMap((g) => g.weights));
  if (expected !== undefined && all.byteLength !== expected) {
    const named = paths.length === 1 ? join(dir, paths[0]!) : `${dir} (${paths.join(', ')})`;
    throw errors.model(
      named,
      `holds ${all.byteLength} bytes of weights, ${MODEL_JSON}'s weightsManifest expects ${expected}: the file is ${all.byteLength < expected ? 'truncated' : "not this model's"}`,
    );
  }
  return { json, weights: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer, paths };
}

/** An IOHandler that reads a folder written by saveModel: `tf.loadLayersModel(modelFiles(tf, dir))`; no tfjs-node needed. */
export function modelFiles(tf: TF, dir: string): tfjs.io.IOHandler {
  return {
    load: async () => {
      const { json, weights } = readModelFiles(dir);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => [manifest.flatMap((g) => g.weights), weights]);
    },
  };
}

/** Copies a saved model (model.json and the weight files it names) to another folder, once checked whole. */
export function copyModel(from: string, to: string): void {
  const { paths } = readModelFiles(from);
  mkdirSync(to, { recursive: true });
  for (const p of paths) {
    mkdirSync(dirname(join(to, p)), { recursive: true });
    copyFileSync(join(from, p), join(to, p));
  }
  copyFileSync(join(from, MODEL_JSON), join(to, MODEL_JSON));
}
