import { errors, show } from '../errors.js';

/** A float parameter; `log: true` searches it on a log scale (low must be > 0). */
export interface FloatParam {
  readonly type: 'float';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
}
/** An integer parameter, inclusive bounds; `log: true` for sizes such as hidden units. */
export interface IntParam {
  readonly type: 'int';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
}
export type Choice = string | number | boolean;
export interface CategoricalParam {
  readonly type: 'categorical';
  readonly choices: readonly Choice[];
}
export type ParamSpec = FloatParam | IntParam | CategoricalParam;
export type SpaceSpec = Readonly<Record<string, ParamSpec>>;
/** A parameter as written in a space file or passed to `search()`: `log` may be left out (false). */
export type ParamInput =
  | (Omit<FloatParam, 'log'> & { readonly log?: boolean })
  | (Omit<IntParam, 'log'> & { readonly log?: boolean })
  | CategoricalParam;
/** A space as written: what `search({ space })` and `parseSpace` take. `SpaceSpec` is the parsed form. */
export type SpaceInput = Readonly<Record<string, ParamInput>>;
export type ParamValue = number | Choice;
export type Params = Record<string, ParamValue>;

const KEYS: Record<ParamSpec['type'], readonly string[]> = {
  float: ['type', 'low', 'high', 'log'],
  int: ['type', 'low', 'high', 'log'],
  categorical: ['type', 'choices'],
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a space as written in a space file or passed to the API, and returns it with defaults filled in.
 * Every error names the parameter and what was expected.
 */
export function parseSpace(input: unknown): SpaceSpec {
  if (!isPlainObject(input)) {
    throw errors.spaceShape(
      `expected an object of parameters such as {"lr": {"type": "float", "low": 1e-5, "high": 1, "log": true}}, got ${show(input)}`,
    );
  }
  const names = Object.keys(input);
  if (names.length === 0) throw errors.spaceShape('expected at least one parameter, got an empty object');
  const out: Record<string, ParamSpec> = {};
  for (const name of names) out[name] = parseParam(name, input[name]);
  return out;
}

function parseParam(name: string, raw: unknown): ParamSpec {
  // Assigning it would set an object's prototype instead: the parameter would silently vanish.
  if (name === '__proto__') throw errors.space(name, 'this name is reserved; rename the parameter');
  if (!isPlainObject(raw)) throw errors.space(name, `expected an object with a "type", got ${show(raw)}`);
  const type = raw.type;
  if (type !== 'float' && type !== 'int' && type !== 'categorical') {
    throw errors.space(name, `unknown type ${show(type)}; expected "float", "int" or "categorical"`);
  }
  const unknown = Object.keys(raw).filter((k) => !KEYS[type].includes(k));
  if (unknown.length > 0) {
    throw errors.space(name, `unknown key ${show(unknown[0])} for type "${type}"; expected only ${KEYS[type].join(', ')}`);
  }
  if (type === 'categorical') {
    const choices = raw.choices;
    if (!Array.isArray(choices)) throw errors.space(name, `"choices" must be an array, got ${show(choices)}`);
    if (choices.length === 0) throw errors.space(name, '"choices" must not be empty');
    for (const c of choices) {
      const ok = typeof c === 'string' || typeof c === 'boolean' || (typeof c === 'number' && Number.isFinite(c));
      if (!ok) throw errors.space(name, `each choice must be a string, a finite number or a boolean, got ${show(c)}`);
    }
    const seen = new Set<string>();
    for (const c of choices) {
      const key = `${typeof c}:${String(c)}`;
      if (seen.has(key)) throw errors.space(name, `duplicate choice ${show(c)}`);
      seen.add(key);
    }
    return { type, choices: [...(choices as Choice[])] };
  }
  const { low, high } = raw;
  if (typeof low !== 'number' || !Number.isFinite(low)) throw errors.space(name, `"low" must be a finite number, got ${show(low)}`);
  if (typeof high !== 'number' || !Number.isFinite(high)) throw errors.space(name, `"high" must be a finite number, got ${show(high)}`);
  if (raw.log !== undefined && typeof raw.log !== 'boolean') throw errors.space(name, `"log" must be true or false, got ${show(raw.log)}`);
  const log = raw.log === true;
  if (type === 'int' && (!Number.isInteger(low) || !Number.isInteger(high))) {
    throw errors.space(name, `int bounds must be whole numbers, got low ${show(low)} and high ${show(high)}`);
  }
  if (low >= high) throw errors.space(name, `"low" must be less than "high", got low ${show(low)} and high ${show(high)}`);
  if (log && low <= 0) throw errors.space(name, `a log-scale parameter needs "low" > 0, got ${show(low)}`);
  return { type, low, high, log };
}

/** Names that mark the learning-rate parameter, in order of preference. */
export const LR_PARAM_NAMES = ['lr', 'learningRate', 'learning_rate'] as const;

/** The name of the space's learning-rate parameter, if it has one. */
export function findLrParam(space: SpaceSpec): string | undefined {
  return LR_PARAM_NAMES.find((n) => space[n]?.type === 'float');
}
