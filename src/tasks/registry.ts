import { pathToFileURL } from 'node:url';
import { resolve as resolvePath } from 'node:path';
import { describe, errors } from '../errors.js';
import { digits } from './bundled/digits.js';
import { digitsCnn } from './bundled/digits-cnn.js';
import { iris } from './bundled/iris.js';
import { sine } from './bundled/sine.js';
import { spirals } from './bundled/spirals.js';
import { wine } from './bundled/wine.js';
import type { Task } from './types.js';
import { taskData } from './train.js';
import { validateTask, validateTaskData } from './validate.js';

export const BUNDLED_TASKS: Readonly<Record<string, Task>> = Object.freeze(
  Object.fromEntries([digits, digitsCnn, wine, iris, spirals, sine].map((t) => [t.name, t])),
);

/** A path or URL rather than a bundled name: anything with a slash, a dot or a scheme. */
const looksLikeModule = (s: string) => /[\\/.]/.test(s) || /^[a-z]+:/i.test(s);

/** A bundled task by name, or the default export of a task module (path or file URL), validated. */
export async function resolveTask(nameOrPath: string): Promise<Task> {
  const bundled = Object.hasOwn(BUNDLED_TASKS, nameOrPath) ? BUNDLED_TASKS[nameOrPath] : undefined;
  if (bundled) return bundled;
  if (!looksLikeModule(nameOrPath)) throw errors.unknownTask(nameOrPath, Object.keys(BUNDLED_TASKS));
  const url = /^[a-z][a-z0-9+.-]*:/i.test(nameOrPath) && !/^[a-z]:[\\/]/i.test(nameOrPath) ? nameOrPath : pathToFileURL(resolvePath(nameOrPath)).href;
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (e) {
    throw errors.module(`task module ${nameOrPath}`, `could not be imported: ${describe(e).split('\n')[0]}`);
  }
  const where = `task module ${nameOrPath}`;
  const task = validateTask(where, mod.default);
  await checkData(where, task, DATA_SEED);
  return task;
}

/** The data seed of every search and LR range test (TaskContext.dataSeed's default). */
const DATA_SEED = 0;

/**
 * Loads a module's data once (cached for the training that follows) and checks it against its shapes: a mistake
 * is then a usage error when the task loads, in `search` and `lr-find` alike, not a failure inside every worker.
 */
async function checkData(where: string, task: Task, seed: number): Promise<void> {
  let data: unknown;
  try {
    data = await taskData(task, seed);
  } catch (e) {
    throw errors.module(where, `data(${seed}) failed: ${describe(e).split('\n')[0]}`);
  }
  validateTaskData(where, task.kind, data, seed);
}
