import { errors, show } from '../errors.js';
import { parseSpace } from '../space/spec.js';
import type { Task } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks that a user's task module exports a Task, naming the first field that is missing or of the wrong kind.
 * The space is checked like any space file.
 */
export function validateTask(where: string, value: unknown): Task {
  const bad = (field: string, expected: string, got: unknown) =>
    errors.module(where, `default export: field "${field}": expected ${expected}, got ${show(got)}`, 'see src/tasks/README.md for the task contract');
  if (!isObject(value)) throw errors.module(where, `default export: expected a task object, got ${show(value)}`, 'export default { name, description, kind, space, defaults, data, build }');
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
  return value as unknown as Task;
}
