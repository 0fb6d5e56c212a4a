import { performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { compiledSibling } from '../util/compiled.js';
import { errorMessage } from './outcome.js';
import type { FitnessSource } from './source.js';
import type { Evaluator, FailureKind, TrialOutcome, TrialRequest } from './types.js';
import type { WorkerData, WorkerTask } from './worker.js';

export interface PoolOptions {
  readonly source: FitnessSource;
  /** Worker threads; default: the number of cores. */
  readonly workers?: number;
  /** Per-trial timeout in ms: past it the trial's worker is terminated and replaced. */
  readonly trialTimeoutMs?: number;
  /** Heap limit per worker (MB): a runaway trial fails as 'oom' instead of taking the machine down. */
  readonly maxHeapMb?: number;
}

/**
 * A Piscina pool of worker threads, each importing the fitness source once.
 * At most `workers` trials are handed to Piscina at a time, so a dispatched trial starts at once and its timeout
 * clock measures its own run, not time spent queueing.
 */
export class PoolEvaluator implements Evaluator {
  readonly concurrency: number;
  readonly description: string;
  private readonly pool: Piscina<WorkerTask, TrialOutcome>;
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private restarts = 0;
  private backend: string | undefined;
  private closed = false;

  constructor(private readonly opts: PoolOptions) {
    const workers = opts.workers ?? availableParallelism();
    this.concurrency = workers;
    this.description = `piscina pool, ${workers} worker thread${workers === 1 ? '' : 's'}`;
    // One backend thread per worker: workers x threads <= cores, and the arithmetic (hence every result) is the
    // same whatever the number of workers.
    const data: WorkerData = { source: opts.source, threads: 1 };
    this.pool = new Piscina<WorkerTask, TrialOutcome>({
      filename: compiledSibling(import.meta.url, 'worker.js').href,
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      workerData: data,
      resourceLimits: opts.maxHeapMb ? { maxOldGenerationSizeMb: opts.maxHeapMb } : undefined,
    });
    // A worker that dies between tasks must not take the main thread with it; Piscina replaces it.
    this.pool.on('error', () => undefined);
  }

  /** Loads the fitness source in every worker before any trial is timed (tfjs setup, data, module import). */
  async warm(): Promise<void> {
    const backends = await Promise.all(Array.from({ length: this.concurrency }, () => this.pool.run({} as WorkerTask, { name: 'warm' })));
    this.backend = (backends as unknown as Array<string | undefined>).find((b) => b !== undefined);
  }

  async run(request: TrialRequest, signal?: AbortSignal): Promise<TrialOutcome> {
    if (this.closed) throw new Error('the pool is closed');
    await this.acquire();
    const start = performance.now();
    const controller = new AbortController();
    const onAbort = () => controller.abort('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    const timeout = this.opts.trialTimeoutMs;
    // The worker aborts ctx.signal at the deadline; past a grace period the main thread terminates the worker.
    const hardDeadline = timeout === undefined ? undefined : timeout + Math.max(1000, timeout * 0.25);
    const timer = hardDeadline === undefined ? undefined : setTimeout(() => controller.abort('timeout'), hardDeadline);
    try {
      if (signal?.aborted) return this.failed('aborted', 'the search was stopped', 0);
      return await this.pool.run({ request, timeoutMs: timeout }, { signal: controller.signal });
    } catch (e) {
      const ms = performance.now() - start;
      const reason = controller.signal.reason;
      if (reason === 'timeout') {
        this.restarts++;
        return this.failed('timeout', `the trial ran past ${timeout} ms; its worker was replaced`, ms);
      }
      if (reason === 'aborted') return this.failed('aborted', 'the search was stopped', ms);
      this.restarts++;
      return this.failed(crashKind(e), `the worker died: ${errorMessage(e)}`, ms);
    } finally {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.release();
    }
  }

  private failed(kind: FailureKind, message: string, durationMs: number): TrialOutcome {
    return { state: 'failed', kind, message, durationMs, worker: 'pool' };
  }

  private acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  info(): Record<string, unknown> {
    return { workerRestarts: this.restarts, ...(this.backend ? { backend: this.backend } : {}) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.destroy();
  }
}

function crashKind(e: unknown): FailureKind {
  const code = (e as { code?: string } | undefined)?.code;
  return code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'oom' : 'crash';
}
