import type * as z from 'zod';
import { errors } from '../errors.js';
import { didYouMean } from './suggest.js';

/**
 * Parses with a zod object schema and turns the first problem into one usage error naming the field:
 * `budget: expected a whole number >= 1, got -3`, or `unknown option "foo"; known options: ...`.
 * `fieldName` maps a key to what the user typed (a flag on the command line).
 */
export function parseOptions<S extends z.ZodObject>(
  schema: S,
  raw: unknown,
  opts: { readonly what: string; readonly fieldName?: (key: string) => string },
): z.output<S> {
  const fieldName = opts.fieldName ?? ((k: string) => k);
  const r = schema.safeParse(raw ?? {}, { reportInput: true });
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys(schema.shape).map(fieldName);
    const guess = issue.keys.length === 1 ? didYouMean(fieldName(issue.keys[0]!), known, (k) => `"${k}"`) : '';
    throw errors.optionConflict(
      `unknown ${opts.what} ${issue.keys.map((k) => `"${fieldName(k)}"`).join(', ')}${guess}; known ${opts.what}s: ${known.join(', ')}`,
    );
  }
  const field =
    issue.path.length > 0
      ? fieldName(String(issue.path[0])) +
        issue.path
          .slice(1)
          .map((p) => `[${String(p)}]`)
          .join('')
      : '(options)';
  throw errors.option(field, issue.message.replace(/^expected /, ''), issue.input);
}
