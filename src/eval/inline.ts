import { performance } from 'node:perf_hooks';
import type { Evaluator, FitnessFn, TrialOutcome, TrialRequest } from './types.js';
import { errorMessage, score } from './outcome.js';

/**
 * Runs a fitness function in this thread, one trial at a time. For functions passed to the API, for debugging,
 * and for fitness functions so cheap that a thread hop would cost more than the work.
 */
export class InlineEvaluator implements Evaluator {
  readonly concurrency = 1;
  readonly description = 'in-process (1 at a time)';
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly fn: FitnessFn, private readonly trialTimeoutMs?: number) {}

  run(request: TrialRequest, signal?: AbortSignal): Promise<TrialOutcome> {
    const next = this.queue.then(() => this.runNow(request, signal));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(request: TrialRequest, outer?: AbortSignal): Promise<TrialOutcome> {
    const start = performance.now();
    const worker = 'main';
    const since = () => performance.now() - start;
    if (outer?.aborted) return { state: 'failed', kind: 'aborted', message: 'the search was stopped', durationMs: 0, worker };
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    outer?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = Promise.resolve().then(() => this.fn(request.params, { seed: request.seed, trial: request.number, signal: controller.signal }));
      // In-process we cannot kill a function that never yields, but one that awaits can be abandoned on timeout.
      const timeout = new Promise<'timeout'>((resolve) => {
        if (this.trialTimeoutMs !== undefined) timer = setTimeout(() => resolve('timeout'), this.trialTimeoutMs);
      });
      const aborted = new Promise<'aborted'>((resolve) => controller.signal.addEventListener('abort', () => resolve('aborted'), { once: true }));
      const raw = await Promise.race([work, timeout, aborted]);
      if (raw === 'timeout') {
        controller.abort();
        return { state: 'failed', kind: 'timeout', message: `the trial ran past ${this.trialTimeoutMs} ms`, durationMs: since(), worker };
      }
      if (raw === 'aborted') return { state: 'failed', kind: 'aborted', message: 'the search was stopped', durationMs: since(), worker };
      const s = score(raw);
      return s.ok
        ? { state: 'complete', value: s.value, metrics: s.metrics, durationMs: since(), worker }
        : { state: 'failed', kind: s.kind, message: s.message, durationMs: since(), worker };
    } catch (e) {
      return { state: 'failed', kind: 'error', message: errorMessage(e), durationMs: since(), worker };
    } finally {
      if (timer) clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    await this.queue;
  }
}
