import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errors, isEvotuneError } from '../errors.js';
import { parseSearchOptions } from '../options.js';
import { withAbsolutePaths } from '../journal/config.js';

/**
 * Reads a --config file: a JSON object of search options with the API's names ("timeBudget", "strategyOptions"),
 * checked by the same schema as flags. Relative paths in it are relative to the file's folder, so a study folder
 * can be moved whole. A run folder's config.json is such a file.
 */
export function loadConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw errors.config(file, `cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw errors.config(file, `not valid JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw errors.config(file, 'expected a JSON object of search options, e.g. {"task": "digits", "budget": 200}');
  }
  try {
    parseSearchOptions(raw);
  } catch (e) {
    if (isEvotuneError(e)) throw errors.config(file, e.message);
    throw e;
  }
  return withAbsolutePaths(raw as Record<string, unknown>, dirname(resolve(file)));
}
