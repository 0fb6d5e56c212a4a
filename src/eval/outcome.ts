import { describe } from '../errors.js';
import type { FailureKind, Metrics, MetricValue, TrialOutcome } from './types.js';

export type Scored = { ok: true; value: number; metrics: Metrics } | { ok: false; kind: FailureKind; message: string };

const fail = (kind: FailureKind, message: string): Scored => ({ ok: false, kind, message });

/** How a returned value reads in a failure message: short, and never the whole of a huge object. */
function shown(value: unknown): string {
  if (value === undefined) return 'undefined (did the fitness forget to return?)';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value;
}

/**
 * Turns whatever a fitness returned into a score or a failure. Accepted: a finite number, or an object with a
 * finite numeric `loss` plus metrics (numbers, strings, booleans; anything else is dropped).
 */
export function score(raw: unknown): Scored {
  let value: unknown = raw;
  const metrics: Metrics = {};
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const obj = raw as Record<string, unknown>;
    if (!('loss' in obj)) {
      const keys = Object.keys(obj);
      return fail(
        'invalid',
        `expected a number or an object with "loss", got an object with ${keys.length === 0 ? 'no keys' : `keys ${keys.slice(0, 8).join(', ')}`}`,
      );
    }
    value = obj.loss;
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'loss') continue;
      if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') metrics[k] = v as MetricValue;
    }
  }
  if (typeof value !== 'number') return fail('invalid', `expected a number, got ${shown(value)}`);
  if (Number.isNaN(value)) return fail('nan', 'the fitness returned NaN');
  if (!Number.isFinite(value)) return fail('infinite', `the fitness returned ${value}`);
  return { ok: true, value, metrics };
}

export const errorMessage = (e: unknown): string => describe(e).split('\n')[0]!.slice(0, 500);

export const failure = (kind: FailureKind, message: string, durationMs: number, worker: string): TrialOutcome => ({
  state: 'failed',
  kind,
  message,
  durationMs,
  worker,
});

/** The outcome of a fitness call that returned `raw`. */
export function outcomeOf(raw: unknown, durationMs: number, worker: string): TrialOutcome {
  const s = score(raw);
  return s.ok ? { state: 'complete', value: s.value, metrics: s.metrics, durationMs, worker } : failure(s.kind, s.message, durationMs, worker);
}

export const timeoutMessage = (timeoutMs: number, ending: string) => `the trial ran past its ${timeoutMs} ms timeout; ${ending}`;

/** A trial ended by the search stopping, not by its own fault. */
export const aborted = (durationMs: number, worker: string) => failure('aborted', 'the search was stopped while the trial ran', durationMs, worker);
