import { readFileSync } from 'node:fs';
import { errors } from '../errors.js';
import { parseSpace, type SpaceSpec } from './spec.js';

/** Reads and validates a space file (JSON); bad JSON and bad parameters are usage errors naming the file. */
export function loadSpaceFile(path: string): SpaceSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw errors.spaceShape(`cannot read space file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw errors.spaceShape(`space file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseSpace(json);
}

/** Replaces the range of one float parameter, keeping it on a log scale (the LR bounds). */
export function withLogRange(space: SpaceSpec, name: string, low: number, high: number): SpaceSpec {
  const p = space[name];
  if (p?.type !== 'float') throw errors.lrBounds(`the space has no float parameter "${name}"`);
  return { ...space, [name]: { type: 'float', low, high, log: true } };
}
