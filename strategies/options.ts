import { errors } from '../src/errors.js';

/**
 * A tiny schema for strategy options: each field has a default, a one-line doc and a check.
 * `evotune strategies` prints these, and every strategy validates its options through them.
 */
export type Field<T> = {
  readonly doc: string;
  readonly default: T;
  readonly expected: string;
  readonly check: (v: unknown) => v is T;
};

export const num = (doc: string, def: number, opts: { min?: number; max?: number; minExclusive?: boolean } = {}): Field<number> => {
  const { min = -Infinity, max = Infinity, minExclusive = false } = opts;
  const lower = min === -Infinity ? '' : minExclusive ? `> ${min}` : `>= ${min}`;
  const upper = max === Infinity ? '' : `<= ${max}`;
  return {
    doc,
    default: def,
    expected: `a number ${[lower, upper].filter(Boolean).join(' and ')}`.trim(),
    check: (v): v is number => typeof v === 'number' && Number.isFinite(v) && (minExclusive ? v > min : v >= min) && v <= max,
  };
};

export const int = (doc: string, def: number, opts: { min?: number; max?: number } = {}): Field<number> => {
  const { min = -Infinity, max = Infinity } = opts;
  return {
    doc,
    default: def,
    expected: `a whole number${min > -Infinity ? ` >= ${min}` : ''}${max < Infinity ? ` and <= ${max}` : ''}`,
    check: (v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max,
  };
};

export const oneOf = <T extends string>(doc: string, def: T, values: readonly T[]): Field<T> => ({
  doc,
  default: def,
  expected: `one of ${values.map((v) => `"${v}"`).join(', ')}`,
  check: (v): v is T => typeof v === 'string' && (values as readonly string[]).includes(v),
});

export const bool = (doc: string, def: boolean): Field<boolean> => ({
  doc,
  default: def,
  expected: 'true or false',
  check: (v): v is boolean => typeof v === 'boolean',
});

/** A nullable number: `null` means "derive it" (for example the per-gene mutation rate 1/d). */
export const numOrAuto = (doc: string, opts: { min?: number; max?: number } = {}): Field<number | null> => {
  const inner = num(doc, 0, opts);
  return {
    doc,
    default: null,
    expected: `${inner.expected}, or null for automatic`,
    check: (v): v is number | null => v === null || inner.check(v),
  };
};

/** A whole number, or `null` to derive it (for example a population size from the dimension). */
export const intOrAuto = (doc: string, opts: { min?: number; max?: number } = {}): Field<number | null> => {
  const inner = int(doc, 0, opts);
  return {
    doc,
    default: null,
    expected: `${inner.expected}, or null for automatic`,
    check: (v): v is number | null => v === null || inner.check(v),
  };
};

export type Schema<O> = { readonly [K in keyof O]: Field<O[K]> };

/** Fills defaults and checks every field; unknown fields are an error that lists the known ones. */
export function validateOptions<O>(
  strategy: string,
  schema: Schema<O>,
  raw: unknown,
  // Schedulers share the schema helpers and name themselves in their errors.
  fail: (field: string, expected: string, got: unknown) => Error = (field, expected, got) => errors.strategyOption(strategy, field, expected, got),
): O {
  const given = raw ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw fail('(options)', 'an object', raw);
  }
  const input = given as Record<string, unknown>;
  const known = Object.keys(schema);
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) {
      throw fail(key, `one of the known options (${known.join(', ') || 'none'})`, input[key]);
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of known) {
    const field = (schema as Record<string, Field<unknown>>)[key]!;
    const v = key in input ? input[key] : field.default;
    if (!field.check(v)) throw fail(key, field.expected, v);
    out[key] = v;
  }
  // Validated once and read-only from here on: a strategy's options never change during a search.
  return Object.freeze(out) as O;
}
