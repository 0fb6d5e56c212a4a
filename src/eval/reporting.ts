import { errors } from '../errors.js';
import { errorMessage, failure, outcomeOf } from './outcome.js';
import type { Checkpoint, FailureKind, PruneRule, Report, TrialOutcome, TrialRequest } from './types.js';

/** The checkpoint a fitness returned beside its loss ({ loss, checkpoint }), if it is an object. */
function checkpointOf(raw: unknown): Checkpoint | undefined {
  const c = typeof raw === 'object' && raw !== null ? (raw as { checkpoint?: unknown }).checkpoint : undefined;
  return typeof c === 'object' && c !== null && !Array.isArray(c) ? (c as Checkpoint) : undefined;
}

/** The context a fitness gets for this request (the same in every evaluator). */
export function fitnessContext(request: TrialRequest, signal: AbortSignal, reports: TrialReports) {
  return {
    seed: request.seed,
    trial: request.number,
    signal,
    report: reports.report,
    shouldStop: reports.shouldStop,
    ...(request.segment ? { segment: request.segment } : {}),
    ...(request.restore ? { restore: request.restore } : {}),
    ...(request.wantCheckpoint ? { wantCheckpoint: true } : {}),
  };
}

/**
 * One trial's intermediate values and its prune rule, on the thread that runs the fitness (worker or main).
 * `report` answers at once from the rule fixed at dispatch, so a synchronous fitness gets its answer too, and the
 * answer never depends on timing or on which worker runs the trial. It allocates nothing: the values go into one
 * growing Float64Array, and become Report objects once, when the outcome is built.
 */
export class TrialReports {
  /** Steps and values interleaved: [step0, value0, step1, value1, ...] (a plain array of doubles stores them unboxed). */
  private readonly packed: number[] = [];
  /** Index of the next check not yet applied. */
  private next = 0;
  /** Index in `packed` of the step of the report that stopped the trial; -1 while it runs on. */
  private prunedAt = -1;
  private readonly checks: PruneRule['checks'];

  constructor(
    rule: PruneRule | undefined,
    private readonly wantCheckpoint = false,
  ) {
    this.checks = rule?.checks ?? [];
  }

  /** ctx.report: records the value, applies any check due at this step, says whether to go on. */
  readonly report = (step: number, value: number): boolean => {
    if (typeof step !== 'number' || !Number.isFinite(step)) throw errors.fitnessReport(`step must be a finite number, got ${String(step)}`);
    if (typeof value !== 'number') throw errors.fitnessReport(`value must be a number, got ${typeof value}`);
    const packed = this.packed;
    const last = packed.length - 2;
    if (last >= 0 && step < packed[last]!) throw errors.fitnessReport(`steps must not decrease: step ${step} after step ${packed[last]!}`);
    if (this.prunedAt >= 0) return false;
    // A NaN or infinite value is the fitness's own business (its return value decides the outcome); it is neither
    // recorded (JSON has no NaN) nor used to prune.
    if (!Number.isFinite(value)) return true;
    packed.push(step, value);
    const checks = this.checks;
    while (this.next < checks.length && checks[this.next]!.step <= step) {
      if (value > checks[this.next++]!.threshold) {
        this.prunedAt = last + 2;
        return false;
      }
    }
    return true;
  };

  readonly shouldStop = (): boolean => this.prunedAt >= 0;

  /** The reports as an outcome carries them (a fresh array each call). */
  private list(): Report[] {
    const packed = this.packed;
    const out: Report[] = new Array(packed.length / 2);
    for (let i = 0; i < packed.length; i += 2) out[i / 2] = { step: packed[i]!, value: packed[i + 1]! };
    return out;
  }

  /** The outcome of a fitness call that returned `raw`: pruned if a report said stop, whatever it returned. */
  outcome(raw: unknown, durationMs: number, worker: string): TrialOutcome {
    const o = outcomeOf(raw, durationMs, worker);
    const at = this.prunedAt;
    if (at >= 0) {
      const metrics = o.state === 'complete' ? o.metrics : {};
      return { state: 'pruned', value: this.packed[at + 1]!, step: this.packed[at]!, metrics, durationMs, worker, reports: this.list() };
    }
    const checkpoint = o.state === 'complete' && this.wantCheckpoint ? checkpointOf(raw) : undefined;
    return { ...o, ...(this.packed.length > 0 ? { reports: this.list() } : {}), ...(checkpoint ? { checkpoint } : {}) };
  }

  /** A failure that keeps the steps reported before it (a trial that throws after reporting is failed, not pruned). */
  failed(kind: FailureKind, message: string, durationMs: number, worker: string): TrialOutcome {
    const f = failure(kind, message, durationMs, worker);
    return this.packed.length > 0 ? { ...f, reports: this.list() } : f;
  }

  /** What a throw from the fitness becomes. */
  thrown(e: unknown, durationMs: number, worker: string): TrialOutcome {
    return this.failed('error', errorMessage(e), durationMs, worker);
  }
}

/** An outcome whose reports travel apart from it. */
type Bare<O> = O extends unknown ? Omit<O, 'reports'> & { readonly reports?: undefined } : never;

/** Outcomes on their way from a worker thread: without their reports, which travel packed beside them. */
export interface PackedOutcomes {
  readonly outcomes: readonly Bare<TrialOutcome>[];
  /** Per outcome in order: its report count (-1: none, not even an empty list), then its steps and values interleaved. */
  readonly reports: Float64Array;
  /** When asked for: per outcome, its reports as the journal writes them (reportsJson); '' for none. */
  readonly json?: readonly string[];
}

/**
 * Packs a task's reports for the trip to the main thread: one Float64Array (a structured clone of many small
 * { step, value } objects costs the main thread far more to read), and their journal text, formatted here while
 * the main thread has other work: turning 20 doubles into decimal text is most of what a journal line costs.
 */
export function packReports(outcomes: readonly TrialOutcome[], withJson: boolean): PackedOutcomes {
  let size = 0;
  for (const o of outcomes) size += 1 + 2 * (o.reports?.length ?? 0);
  const reports = new Float64Array(size);
  const json: string[] = [];
  let at = 0;
  const bare = outcomes.map((o) => {
    const list = o.reports ?? [];
    reports[at++] = o.reports === undefined ? -1 : list.length;
    for (const r of list) {
      reports[at++] = r.step;
      reports[at++] = r.value;
    }
    if (withJson) json.push(list.length > 0 ? formatReports(list) : '');
    // Overwritten, not deleted: a spread with one more key is a fast copy, a rest pattern a slow one.
    return o.reports === undefined ? (o as Bare<TrialOutcome>) : { ...o, reports: undefined };
  });
  return { outcomes: bare, reports, ...(withJson ? { json } : {}) };
}

/** The outcomes with their reports back in place (the inverse of packReports). */
export function unpackReports({ outcomes, reports, json }: PackedOutcomes): TrialOutcome[] {
  let at = 0;
  return outcomes.map((o, k) => {
    const n = reports[at++]!;
    if (n < 0) return o as TrialOutcome;
    const list: Report[] = new Array(n);
    for (let i = 0; i < n; i++, at += 2) list[i] = { step: reports[at]!, value: reports[at + 1]! };
    if (n > 0 && json) formatted.set(list, json[k]!);
    return { ...o, reports: list };
  });
}

/** Report lists that came from a worker, with the journal text it formatted for them. */
const formatted = new WeakMap<readonly Report[], string>();

/**
 * The reports as JSON [[step, value], ...] pairs. JSON.stringify, not string concatenation: it writes each double's
 * digits straight into its output, where a template literal first makes a string of every number (and a rope of the
 * whole); with every value new, that was most of what formatting cost (benchmarks/READING.md, report overhead).
 */
function formatReports(list: readonly Report[]): string {
  const pairs: [number, number][] = new Array(list.length);
  for (let i = 0; i < list.length; i++) pairs[i] = [list[i]!.step, list[i]!.value];
  return JSON.stringify(pairs);
}

/** A trial's reports as its journal line holds them: the text a worker formatted (taken: it is needed once), or formatted now. */
export function reportsJson(list: readonly Report[]): string {
  const text = formatted.get(list);
  if (text === undefined) return formatReports(list);
  formatted.delete(list);
  return text;
}
