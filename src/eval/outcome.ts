import { describe } from '../errors.js';
import type { FailureKind, Metrics, MetricValue } from './types.js';

export type Scored =
  | { ok: true; value: number; metrics: Metrics }
  | { ok: false; kind: FailureKind; message: string };

const fail = (kind: FailureKind, message: string): Scored => ({ ok: false, kind, message });

/**
 * Turns whatever a fitness returned into a score or a failure. Accepted: a finite number, or an object with a
 * finite numeric `loss` plus metrics (numbers, strings, booleans; anything else is dropped).
 */
export function score(raw: unknown): Scored {
  let value: unknown = raw;
  const metrics: Metrics = {};
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const obj = raw as Record<string, unknown>;
    if (!('loss' in obj)) return fail('invalid', `expected a number or an object with "loss", got an object with keys ${Object.keys(obj).join(', ') || '(none)'}`);
    value = obj.loss;
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'loss') continue;
      if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') metrics[k] = v as MetricValue;
    }
  }
  if (typeof value !== 'number') return fail('invalid', `expected a number, got ${value === undefined ? 'undefined' : typeof value === 'string' ? `the string ${JSON.stringify(value)}` : typeof value}`);
  if (Number.isNaN(value)) return fail('nan', 'the fitness returned NaN');
  if (!Number.isFinite(value)) return fail('infinite', `the fitness returned ${value}`);
  return { ok: true, value, metrics };
}

export const errorMessage = (e: unknown): string => describe(e).split('\n')[0]!.slice(0, 500);
