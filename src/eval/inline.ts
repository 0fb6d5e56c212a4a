import { performance } from 'node:perf_hooks';
import type { Evaluator, FitnessFn, TrialOutcome, TrialRequest } from './types.js';
import { aborted, timeoutMessage } from './outcome.js';
import { fitnessContext, TrialReports } from './reporting.js';

const WORKER = 'main';

/**
 * Runs a fitness function in this thread, one trial at a time. For functions passed to the API, for debugging,
 * and for fitness functions so cheap that a thread hop would cost more than the work.
 * In-process nothing can stop a function that never yields, so the timeout covers only fitness functions that
 * await: at the deadline ctx.signal aborts and the trial ends as 'timeout', whether or not the function stops.
 */
export class InlineEvaluator implements Evaluator {
  readonly concurrency = 1;
  readonly description = 'in-process (1 at a time)';
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly fn: FitnessFn,
    private readonly trialTimeoutMs?: number,
  ) {}

  run(request: TrialRequest, signal?: AbortSignal): Promise<TrialOutcome> {
    const next = this.queue.then(() => this.runNow(request, signal));
    this.queue = next;
    return next;
  }

  private async runNow(request: TrialRequest, outer?: AbortSignal): Promise<TrialOutcome> {
    if (outer?.aborted) return aborted(0, WORKER);
    const start = performance.now();
    const since = () => performance.now() - start;
    const controller = new AbortController();
    const stop = new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
    const onAbort = () => controller.abort('aborted');
    outer?.addEventListener('abort', onAbort, { once: true });
    const timer = this.trialTimeoutMs === undefined ? undefined : setTimeout(() => controller.abort('timeout'), this.trialTimeoutMs);
    // Once the signal aborted, the deadline or the stop decides the outcome, even if the fitness then settled.
    const reports = new TrialReports(request.prune, request.wantCheckpoint);
    const ended = (): TrialOutcome | undefined => {
      const reason = controller.signal.reason as unknown;
      if (reason === 'timeout') return reports.failed('timeout', timeoutMessage(this.trialTimeoutMs!, 'ctx.signal was aborted'), since(), WORKER);
      if (reason === 'aborted') return aborted(since(), WORKER);
      return undefined;
    };
    try {
      const ctx = fitnessContext(request, controller.signal, reports);
      const work = Promise.resolve().then(() => this.fn(request.params, ctx));
      const raw = await Promise.race([work, stop]);
      return ended() ?? reports.outcome(raw, since(), WORKER);
    } catch (e) {
      return ended() ?? reports.thrown(e, since(), WORKER);
    } finally {
      if (timer) clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    await this.queue;
  }
}
