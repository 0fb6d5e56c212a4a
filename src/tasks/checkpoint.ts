/**
 * The shared trainer's checkpoints: a training session's whole state as flat typed arrays, so that a later segment of
 * training (in another worker, another process, or after a resume) continues exactly where this one stopped.
 * On disk and through Redis they travel in the run's generic checkpoint encoding (src/eval/checkpoint-codec.ts);
 * this module says what a trainer checkpoint holds, what it must match to be restored, and checks one read back.
 */
import { readFileSync } from 'node:fs';
import { errors, show } from '../errors.js';
import { decodeCheckpoint } from '../eval/checkpoint-codec.js';

/** A type, not an interface, so that it is also a generic checkpoint (src/eval/types.ts) as it stands. */
export type Checkpoint = {
  /** Task name, optimizer, batch size and the shapes of the weights (see shapeKey): restore refuses any other. */
  readonly shapeKey: string;
  /** Optimizer steps taken. */
  readonly step: number;
  /** Epochs completed. */
  readonly epoch: number;
  /** Every trainable variable, flattened in the model's weight order. */
  readonly weights: Float32Array;
  /** Optimizer slots (Adam m, v; SGD velocity; RMSProp mean square, momentum), each as long as `weights`. */
  readonly slots: readonly Float32Array[];
  /** Scalar optimizer state, e.g. Adam's t. */
  readonly counters: Readonly<Record<string, number>>;
};

/** What a checkpoint must match to be restored: the model's shape, not its hyperparameters (lr, momentum, weight
 *  decay and dropout may change between segments, as population-based training does). */
export interface ShapeParts {
  readonly task: string;
  readonly optimizer: string;
  readonly batchSize: number;
  /** Each trainable variable's shape, in order. */
  readonly shapes: readonly (readonly number[])[];
}

export function shapeKey(p: ShapeParts): string {
  return `task=${encodeURIComponent(p.task)};optimizer=${p.optimizer};batch=${p.batchSize};weights=${p.shapes.map((s) => s.join('x')).join(',')}`;
}

function keyFields(key: string): Map<string, string> {
  return new Map(key.split(';').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
}

/** The task a shape key names. */
export function keyTask(key: string): string {
  return decodeURIComponent(keyFields(key).get('task') ?? '?');
}

/** Undefined when the keys match (in `fields`, default all), else which fields differ, e.g.
 *  `batch 64 (checkpoint) vs 32 (this run)`. */
export function shapeKeyDiff(checkpoint: string, run: string, fields?: readonly string[]): string | undefined {
  if (checkpoint === run) return undefined;
  const a = keyFields(checkpoint);
  const b = keyFields(run);
  const names = fields ?? [...new Set([...a.keys(), ...b.keys()])];
  const diffs = names
    .filter((k) => a.get(k) !== b.get(k))
    .map((k) => {
      const value = (key: string, fields: Map<string, string>) => (k === 'task' ? keyTask(key) : (fields.get(k) ?? 'none'));
      return `${k} ${value(checkpoint, a)} (checkpoint) vs ${value(run, b)} (this run)`;
    });
  if (diffs.length > 0) return diffs.join(', ');
  return fields ? undefined : `shape key ${show(checkpoint)} vs ${show(run)}`;
}

/** The ArrayBuffers a checkpoint owns: hand them as a transfer list so that it crosses threads without a copy. */
export function transferList(c: Checkpoint): ArrayBuffer[] {
  return [c.weights, ...c.slots].map((a) => {
    if (a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) throw new Error('checkpoint arrays must own their buffers to be transferred');
    return a.buffer as ArrayBuffer;
  });
}

/** Bytes of a checkpoint's arrays (what the size limit counts). */
export const checkpointBytes = (c: Checkpoint): number => [c.weights, ...c.slots].reduce((n, a) => n + a.byteLength, 0);

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

const isFloats = (v: unknown): v is Float32Array => v instanceof Float32Array;

/**
 * A checkpoint that came from elsewhere (a fitness module's return value under the checkpoint contract, a message),
 * checked field by field; `source` names it in the usage error. Plain fitness modules that checkpoint return
 * `{ loss, checkpoint }` with this shape, and get their state back as `ctx.restore`.
 */
export function asCheckpoint(value: unknown, source: string): Checkpoint {
  const bad = (field: string, expected: string, got: unknown) => {
    const shown = typeof got === 'object' && got !== null ? Object.prototype.toString.call(got) : got;
    return errors.checkpoint(source, `field "${field}": expected ${expected}, got ${show(shown)}`);
  };
  if (typeof value !== 'object' || value === null) throw bad('checkpoint', 'an object', value);
  const c = value as Record<string, unknown>;
  if (typeof c.shapeKey !== 'string' || c.shapeKey === '') throw bad('shapeKey', 'a non-empty string', c.shapeKey);
  if (!isCount(c.step)) throw bad('step', 'a whole number >= 0', c.step);
  if (!isCount(c.epoch)) throw bad('epoch', 'a whole number >= 0', c.epoch);
  if (!isFloats(c.weights)) throw bad('weights', 'a Float32Array', c.weights);
  if (!Array.isArray(c.slots) || !c.slots.every(isFloats)) throw bad('slots', 'an array of Float32Arrays', c.slots);
  const counters = c.counters ?? {};
  if (typeof counters !== 'object' || counters === null || !Object.values(counters).every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw bad('counters', 'an object of finite numbers', c.counters);
  }
  const slots = c.slots as Float32Array[];
  return { shapeKey: c.shapeKey, step: c.step, epoch: c.epoch, weights: c.weights, slots, counters: counters as Record<string, number> };
}

/**
 * Reads a checkpoint file. A missing, truncated or corrupt file, or (with `expect`) one of another task or
 * shape, is a usage error naming the file.
 */
export function readCheckpoint(file: string, expect?: { readonly task?: string; readonly shapeKey?: string }): Checkpoint {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw errors.checkpoint(file, code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? String(e)})`);
  }
  const c = asCheckpoint(
    decodeCheckpoint(bytes, (problem) => errors.checkpoint(file, problem)),
    file,
  );
  if (expect?.task !== undefined && keyTask(c.shapeKey) !== expect.task) {
    throw errors.checkpoint(file, `is for task ${show(keyTask(c.shapeKey))}, not ${show(expect.task)}`);
  }
  const diff = expect?.shapeKey === undefined ? undefined : shapeKeyDiff(c.shapeKey, expect.shapeKey);
  if (diff) throw errors.checkpoint(file, `does not fit this model: ${diff}`);
  return c;
}
