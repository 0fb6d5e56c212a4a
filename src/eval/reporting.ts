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
 * answer never depends on timing or on which worker runs the trial.
 */
export class TrialReports {
  private readonly reports: Report[] = [];
  /** Index of the next check not yet applied. */
  private next = 0;
  private prunedAt: Report | undefined;

  constructor(
    private readonly rule: PruneRule | undefined,
    private readonly wantCheckpoint = false,
  ) {}

  /** ctx.report: records the value, applies any check due at this step, says whether to go on. */
  readonly report = (step: number, value: number): boolean => {
    if (typeof step !== 'number' || !Number.isFinite(step)) throw errors.fitnessReport(`step must be a finite number, got ${String(step)}`);
    if (typeof value !== 'number') throw errors.fitnessReport(`value must be a number, got ${typeof value}`);
    const last = this.reports[this.reports.length - 1];
    if (last && step < last.step) throw errors.fitnessReport(`steps must not decrease: step ${step} after step ${last.step}`);
    if (this.prunedAt) return false;
    // A NaN or infinite value is the fitness's own business (its return value decides the outcome); it is neither
    // recorded (JSON has no NaN) nor used to prune.
    if (!Number.isFinite(value)) return true;
    this.reports.push({ step, value });
    const checks = this.rule?.checks ?? [];
    while (this.next < checks.length && checks[this.next]!.step <= step) {
      const check = checks[this.next++]!;
      if (value > check.threshold) {
        this.prunedAt = { step, value };
        return false;
      }
    }
    return true;
  };

  readonly shouldStop = (): boolean => this.prunedAt !== undefined;

  /** The outcome of a fitness call that returned `raw`: pruned if a report said stop, whatever it returned. */
  outcome(raw: unknown, durationMs: number, worker: string): TrialOutcome {
    const reports = this.reports.length > 0 ? { reports: [...this.reports] } : {};
    if (this.prunedAt) {
      const metrics = (() => {
        const o = outcomeOf(raw, durationMs, worker);
        return o.state === 'complete' ? o.metrics : {};
      })();
      return { state: 'pruned', value: this.prunedAt.value, step: this.prunedAt.step, metrics, durationMs, worker, reports: [...this.reports] };
    }
    const o = outcomeOf(raw, durationMs, worker);
    const checkpoint = o.state === 'complete' && this.wantCheckpoint ? checkpointOf(raw) : undefined;
    return { ...o, ...reports, ...(checkpoint ? { checkpoint } : {}) };
  }

  /** A failure that keeps the steps reported before it (a trial that throws after reporting is failed, not pruned). */
  failed(kind: FailureKind, message: string, durationMs: number, worker: string): TrialOutcome {
    const f = failure(kind, message, durationMs, worker);
    return this.reports.length > 0 ? { ...f, reports: [...this.reports] } : f;
  }

  /** What a throw from the fitness becomes. */
  thrown(e: unknown, durationMs: number, worker: string): TrialOutcome {
    return this.failed('error', errorMessage(e), durationMs, worker);
  }
}
