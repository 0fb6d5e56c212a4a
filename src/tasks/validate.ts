import { errors, show } from '../errors.js';
import { parseSpace } from '../space/spec.js';
import type { Task, TaskData } from './types.js';
import { sizeOf } from '../util/linalg.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks that a user's task module exports a Task, naming the first field that is missing or of the wrong kind.
 * The space is checked like any space file.
 */
export function validateTask(where: string, value: unknown): Task {
  const bad = (field: string, expected: string, got: unknown) =>
    errors.module(where, `default export: field "${field}": expected ${expected}, got ${show(got)}`, 'see src/tasks/README.md for the task contract');
  if (!isObject(value))
    throw errors.module(
      where,
      `default export: expected a task object, got ${show(value)}`,
      'export default { name, description, kind, space, defaults, data, build }',
    );
  const t = value;
  if (typeof t.name !== 'string' || t.name === '') throw bad('name', 'a non-empty string', t.name);
  if (typeof t.description !== 'string') throw bad('description', 'a string', t.description);
  if (t.kind !== 'classification' && t.kind !== 'regression') throw bad('kind', '"classification" or "regression"', t.kind);
  if (!isObject(t.space)) throw bad('space', 'an object of parameters', t.space);
  try {
    parseSpace(t.space);
  } catch (e) {
    throw errors.module(where, `default export: field "space": ${(e as Error).message}`);
  }
  if (!isObject(t.defaults)) throw bad('defaults', 'an object of parameter values', t.defaults);
  if (t.rangeTest !== undefined && !isObject(t.rangeTest)) throw bad('rangeTest', 'an object of parameter values', t.rangeTest);
  if (typeof t.data !== 'function') throw bad('data', 'a function (seed) => TaskData', t.data);
  if (typeof t.build !== 'function') throw bad('build', 'a function (params, ctx) => tf.LayersModel', t.build);
  if (t.layout !== undefined && typeof t.layout !== 'function') throw bad('layout', 'a function (params) => layout or undefined', t.layout);
  return value as unknown as Task;
}

const isWhole = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/**
 * Checks a task's data against its declared shapes, so that a mistake (labels as class indices instead of one-hot
 * rows, a transposed matrix, a wrong nTrain) is one clear usage error naming the field, not a tfjs shape error from
 * inside a worker. Every value is looked at once: linear in the data, and done once per process (data are cached).
 */
export function validateTaskData(where: string, kind: Task['kind'], value: unknown, seed: number): TaskData {
  const bad = (field: string, expected: string, got: unknown) =>
    errors.module(
      where,
      `data(${seed}): field "${field}": expected ${expected}, got ${typeof got === 'string' ? got : show(got)}`,
      'see "Task data" in src/tasks/README.md',
    );
  if (!isObject(value))
    throw errors.module(
      where,
      `data(${seed}): expected an object { xTrain, yTrain, xVal, yVal, inputShape, targetSize, nTrain, nVal }, got ${show(value)}`,
    );
  const d = value;
  const shape = d.inputShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((s) => isWhole(s, 1))) {
    throw bad('inputShape', 'the shape of one example, a non-empty array of whole numbers >= 1 such as [64] or [8, 8, 1]', shape);
  }
  const minTarget = kind === 'classification' ? 2 : 1;
  if (!isWhole(d.targetSize, minTarget)) {
    throw bad(
      'targetSize',
      kind === 'classification' ? 'the number of classes, a whole number >= 2' : 'the number of outputs, a whole number >= 1',
      d.targetSize,
    );
  }
  for (const n of ['nTrain', 'nVal'] as const) if (!isWhole(d[n], 1)) throw bad(n, 'a number of rows, a whole number >= 1', d[n]);
  const features = sizeOf(shape as number[]);
  const shapeText = `[${(shape as number[]).join(', ')}]`;
  for (const split of ['Train', 'Val'] as const) {
    const rows = d[`n${split}`] as number;
    const x = d[`x${split}`];
    const y = d[`y${split}`];
    const xField = `x${split}`;
    const yField = `y${split}`;
    if (!(x instanceof Float32Array)) throw bad(xField, 'a Float32Array', x === undefined ? undefined : `${kindOf(x)}`);
    if (!(y instanceof Float32Array)) throw bad(yField, 'a Float32Array', y === undefined ? undefined : `${kindOf(y)}`);
    if (x.length !== rows * features) {
      throw bad(xField, `n${split} x prod(inputShape) = ${rows} x ${features} = ${rows * features} numbers (inputShape ${shapeText})`, `${x.length}`);
    }
    const width = d.targetSize as number;
    if (y.length !== rows * width) {
      const indices =
        kind === 'classification' && y.length === rows
          ? ' (one number per row: class indices? classification needs one-hot rows of targetSize numbers)'
          : '';
      throw bad(yField, `n${split} x targetSize = ${rows} x ${width} = ${rows * width} numbers`, `${y.length}${indices}`);
    }
    const nonFinite = x.findIndex((v) => !Number.isFinite(v));
    if (nonFinite >= 0) throw bad(xField, 'finite numbers', `${x[nonFinite]} at index ${nonFinite} (row ${Math.floor(nonFinite / features)})`);
    if (kind === 'regression') {
      const i = y.findIndex((v) => !Number.isFinite(v));
      if (i >= 0) throw bad(yField, 'finite numbers', `${y[i]} at index ${i} (row ${Math.floor(i / width)})`);
      continue;
    }
    for (let r = 0; r < rows; r++) {
      const row = y.subarray(r * width, (r + 1) * width);
      let ones = 0;
      for (const v of row) ones += v === 1 ? 1 : v === 0 ? 0 : Infinity;
      if (ones !== 1) throw bad(yField, `one-hot rows (${width} numbers, a single 1, the rest 0)`, `row ${r} = [${Array.from(row).join(', ')}]`);
    }
  }
  return value as unknown as TaskData;
}

const kindOf = (v: unknown) => (Array.isArray(v) ? 'an array' : ArrayBuffer.isView(v) ? v.constructor.name : show(v));
