/**
 * Checkpoints: a training session's whole state as flat typed arrays, so that a later segment of training (in
 * another worker, another process, or after a resume) continues exactly where this one stopped.
 *
 * One binary layout serves the run folder (`<run>/checkpoints/trial-<n>.ckpt`) and Redis jobs (base64 of the
 * same bytes):
 *   8 bytes  magic "EVOCKPT1"
 *   4 bytes  header length H (uint32, little-endian)
 *   H bytes  header JSON: { shapeKey, step, epoch, counters, lengths: [weights, ...slots], crc32 }
 *   padding  zeros up to a multiple of 4
 *   payload  the weights, then each slot, as little-endian float32; crc32 is the payload's (zlib's CRC-32)
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { endianness } from 'node:os';
import { crc32 } from 'node:zlib';
import { errors, show } from '../errors.js';

export interface Checkpoint {
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
}

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
    .map((k) => `${k} ${k === 'task' ? keyTask(checkpoint) : (a.get(k) ?? 'none')} (checkpoint) vs ${k === 'task' ? keyTask(run) : (b.get(k) ?? 'none')} (this run)`);
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

const MAGIC = 'EVOCKPT1';

interface Header {
  readonly shapeKey: string;
  readonly step: number;
  readonly epoch: number;
  readonly counters: Record<string, number>;
  readonly lengths: readonly number[];
  readonly crc32: number;
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

function littleEndianOnly(): void {
  if (endianness() !== 'LE') throw errors.internal('checkpoints are written little-endian; this machine is big-endian');
}

/** The checkpoint as one byte array (the file's contents). */
export function toBytes(c: Checkpoint): Uint8Array {
  littleEndianOnly();
  const arrays = [c.weights, ...c.slots];
  const payload = Buffer.allocUnsafe(checkpointBytes(c));
  let at = 0;
  for (const a of arrays) at += Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(payload, at);
  const header: Header = {
    shapeKey: c.shapeKey,
    step: c.step,
    epoch: c.epoch,
    counters: { ...c.counters },
    lengths: arrays.map((a) => a.length),
    crc32: crc32(payload),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(MAGIC.length + 4 + json.length + pad4(MAGIC.length + 4 + json.length));
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, MAGIC.length);
  json.copy(head, MAGIC.length + 4);
  return Buffer.concat([head, payload]);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function parseHeader(json: string, bad: (problem: string) => Error): Header {
  let h: Partial<Header>;
  try {
    h = JSON.parse(json) as Partial<Header>;
  } catch {
    throw bad('corrupt header (not JSON)');
  }
  if (typeof h !== 'object' || h === null) throw bad('corrupt header (not an object)');
  if (typeof h.shapeKey !== 'string') throw bad('corrupt header: no shapeKey');
  if (!isCount(h.step) || !isCount(h.epoch)) throw bad(`corrupt header: step ${show(h.step)}, epoch ${show(h.epoch)}`);
  if (!Array.isArray(h.lengths) || h.lengths.length < 1 || !h.lengths.every(isCount)) throw bad('corrupt header: array lengths');
  if (typeof h.counters !== 'object' || h.counters === null || !Object.values(h.counters).every((v) => typeof v === 'number')) {
    throw bad('corrupt header: counters');
  }
  if (!isCount(h.crc32)) throw bad('corrupt header: no checksum');
  return h as Header;
}

/**
 * A checkpoint from bytes written by toBytes; `source` names where they came from (a file, a job) in errors.
 * Every array is a fresh copy that owns its buffer.
 */
export function fromBytes(bytes: Uint8Array, source: string): Checkpoint {
  littleEndianOnly();
  const bad = (problem: string) => errors.checkpoint(source, problem);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    throw bad(buf.length === 0 ? 'empty (truncated)' : 'not an evotune checkpoint (wrong magic bytes)');
  }
  const headerLength = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4 + headerLength + pad4(MAGIC.length + 4 + headerLength);
  if (buf.length < MAGIC.length + 4 + headerLength) throw bad(`truncated: ${buf.length} bytes, the header alone needs ${MAGIC.length + 4 + headerLength}`);
  const h = parseHeader(buf.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + headerLength), bad);
  const expected = start + h.lengths.reduce((n, l) => n + l * 4, 0);
  if (buf.length < expected) throw bad(`truncated: ${buf.length} bytes, expected ${expected}`);
  if (buf.length > expected) throw bad(`corrupt: ${buf.length} bytes, expected ${expected}`);
  const payload = buf.subarray(start);
  if (crc32(payload) !== h.crc32) throw bad('corrupt: checksum mismatch (the weights are not the ones written)');
  const weightsLength = h.lengths[0]!;
  if (h.lengths.some((l) => l !== weightsLength)) throw bad(`corrupt header: slot lengths ${h.lengths.slice(1).join(', ')} differ from ${weightsLength} weights`);
  let at = 0;
  const arrays = h.lengths.map((l) => {
    const a = new Float32Array(l);
    Buffer.from(a.buffer).set(payload.subarray(at, at + l * 4));
    at += l * 4;
    return a;
  });
  return { shapeKey: h.shapeKey, step: h.step, epoch: h.epoch, counters: h.counters, weights: arrays[0]!, slots: arrays.slice(1) };
}

const isFloats = (v: unknown): v is Float32Array => v instanceof Float32Array;

/**
 * A checkpoint that came from elsewhere (a fitness module's return value under the checkpoint contract, a message),
 * checked field by field; `source` names it in the usage error. Plain fitness modules that checkpoint return
 * `{ loss, checkpoint }` with this shape, and get their state back as `ctx.restore`.
 */
export function asCheckpoint(value: unknown, source: string): Checkpoint {
  const bad = (field: string, expected: string, got: unknown) => errors.checkpoint(source, `field "${field}": expected ${expected}, got ${show(typeof got === 'object' && got !== null ? Object.prototype.toString.call(got) : got)}`);
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
  return { shapeKey: c.shapeKey, step: c.step, epoch: c.epoch, weights: c.weights, slots: c.slots as Float32Array[], counters: counters as Record<string, number> };
}

/** Where trial n's checkpoint lives in a run folder, relative to it (what the journal records). */
export const checkpointPath = (trial: number): string => join('checkpoints', `trial-${trial}.ckpt`);

/** Writes trial n's checkpoint into `<runDir>/checkpoints/` (atomically: a crash leaves the old file or the new one,
 *  never half of one) and returns its path relative to the run folder. */
export function writeCheckpoint(runDir: string, trial: number, c: Checkpoint): string {
  const rel = checkpointPath(trial);
  const file = join(runDir, rel);
  mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, toBytes(c));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return rel;
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
  const c = fromBytes(bytes, file);
  if (expect?.task !== undefined && keyTask(c.shapeKey) !== expect.task) {
    throw errors.checkpoint(file, `is for task ${show(keyTask(c.shapeKey))}, not ${show(expect.task)}`);
  }
  const diff = expect?.shapeKey === undefined ? undefined : shapeKeyDiff(c.shapeKey, expect.shapeKey);
  if (diff) throw errors.checkpoint(file, `does not fit this model: ${diff}`);
  return c;
}

/** Default cap on a checkpoint carried in a Redis job. */
export const CHECKPOINT_LIMIT_MB = 64;

/** A checkpoint as a string for a Redis job (base64 of toBytes); above `limitMb` a clear error instead. */
export function encodeForJob(c: Checkpoint, trial: number, limitMb = CHECKPOINT_LIMIT_MB): string {
  const bytes = toBytes(c);
  const limit = limitMb * 1024 * 1024;
  if (bytes.length > limit) {
    throw errors.checkpoint(
      `of trial ${trial}`,
      `${(bytes.length / 1024 / 1024).toFixed(1)} MB is above the ${limitMb} MB limit for a Redis job`,
      'raise checkpointLimitMb, or use a smaller model',
    );
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function decodeFromJob(text: string, trial: number): Checkpoint {
  return fromBytes(Buffer.from(text, 'base64'), `of trial ${trial} (from a Redis job)`);
}
