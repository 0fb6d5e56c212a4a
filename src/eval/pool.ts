import { performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { compiledSibling } from '../util/compiled.js';
import { errors, EvotuneError } from '../errors.js';
import { ChunkPolicy } from './chunking.js';
import { aborted, errorMessage, failure, timeoutMessage } from './outcome.js';
import type { FitnessSource } from './source.js';
import type { Evaluator, TrialOutcome, TrialRequest } from './types.js';
import type { WarmReport, WorkerData, WorkerTask } from './worker.js';
import { unpackReports, type PackedOutcomes } from './reporting.js';
import { GroupTally } from './grouping.js';

export interface PoolOptions {
  readonly source: FitnessSource;
  /** Worker threads; default: the number of cores. */
  readonly workers?: number;
  /** Per-trial timeout in ms: past it ctx.signal aborts, and past a grace period the worker is terminated and replaced. */
  readonly trialTimeoutMs?: number;
  /** Heap limit per worker (MB): a runaway trial fails as 'oom' instead of taking the machine down. */
  readonly maxHeapMb?: number;
  /** Train trials of an MLP task K at a time in a worker (eval/grouping.ts); default true. Results are the same. */
  readonly groupTrials?: boolean;
  /** Workers format trials' reports as journal text (reporting.ts reportsJson), so that the main thread need not. */
  readonly reportsJson?: boolean;
}

/**
 * Node options for the pool's worker threads. Piscina loads a worker's file with require() before import(); where
 * require() can load an ES module (Node 20.19+, 22.12+), a worker terminated while it instantiates worker.js (a trial
 * past its timeout, the pool closing) ends the whole process with a V8 fatal error ("IsGraphAsync must be used on an
 * instantiated module": Node's synchronous instantiate goes on after the termination). Without require(esm) that
 * require() fails at once and Piscina imports the file, which survives termination.
 */
export function workerExecArgv(): string[] | undefined {
  return process.features.require_module ? [...process.execArgv, '--no-experimental-require-module'] : undefined;
}

/** Time a fitness gets to stop on ctx.signal after its timeout before its worker is terminated. */
export const graceMs = (timeoutMs: number) => Math.max(1000, timeoutMs * 0.25);

/** A trial handed to the pool and not yet settled. */
interface Pending {
  readonly request: TrialRequest;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (outcome: TrialOutcome) => void;
  readonly reject: (error: unknown) => void;
  readonly onAbort: () => void;
  /** The task running it, once dispatched: aborting it terminates the worker. */
  task: AbortController | undefined;
  /** Shared by the members of a group handed over with runGroup: they go to a worker in one task. */
  readonly group?: object;
}

const WORKER = 'pool';

/**
 * A Piscina pool of worker threads, each importing the fitness source once.
 * A task goes to Piscina only when a loaded worker is free for it, so its timeout measures its own run, never time
 * spent queueing or a replacement worker's import. A worker lost to a timeout or a crash keeps its slot until
 * Piscina's replacement is loaded, so no slot is ever lost; the lost trial becomes a failed outcome, and any other
 * trials that shared its task run again, each alone.
 */
export class PoolEvaluator implements Evaluator {
  readonly concurrency: number;
  readonly description: string;
  private readonly pool: Piscina<WorkerTask, PackedOutcomes>;
  private readonly queue: Pending[] = [];
  private readonly chunks = new ChunkPolicy();
  private readonly warming: Promise<void>;
  /** Loaded workers with no task; 0 until every worker has loaded. */
  private free = 0;
  /** Slots whose worker was lost and whose replacement is still loading. */
  private replacing = 0;
  private restarts = 0;
  /** Trials that travelled in a task with others. */
  private chunked = 0;
  /** Trials a worker trains together when it can (worker.ts's warm report); 1 once a worker was lost. */
  private groupSize = 1;
  private readonly groups = new GroupTally();
  private pumpQueued = false;
  private backend: string | undefined;
  private broken: EvotuneError | undefined;
  private closed = false;

  constructor(private readonly opts: PoolOptions) {
    const workers = opts.workers ?? availableParallelism();
    this.concurrency = workers;
    this.description = `piscina pool, ${workers} worker thread${workers === 1 ? '' : 's'}`;
    // One backend thread per worker: workers x threads <= cores, and the arithmetic (hence every result) is the
    // same whatever the number of workers.
    const data: WorkerData = { source: opts.source, threads: 1 };
    this.pool = new Piscina<WorkerTask, PackedOutcomes>({
      filename: compiledSibling(import.meta.url, 'worker.js').href,
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      workerData: data,
      execArgv: workerExecArgv(),
      resourceLimits: opts.maxHeapMb ? { maxOldGenerationSizeMb: opts.maxHeapMb } : undefined,
    });
    // A replacement is created when it has loaded its source; Piscina has not yet marked it free when it tells us.
    this.pool.on('workerCreate', () => {
      if (this.replacing === 0) return;
      this.replacing--;
      this.free++;
      queueMicrotask(() => this.pump());
    });
    // A worker that dies between tasks must not take the main thread with it: Piscina replaces it. Piscina gives
    // up replacing workers for good when one dies while starting; then lost slots would never come back.
    this.pool.on('error', (e: unknown) => {
      if (!this.closed && this.pool.threads.length < this.concurrency) {
        this.breakDown(
          errors.executor(
            `a replacement worker thread died while starting (${errorMessage(e)}), so the pool cannot go on`,
            'check that the fitness module loads reliably, or raise --max-heap-mb',
          ),
        );
      }
    });
    this.warming = this.warmAll();
    // Failures surface through warm() and run(); this keeps an unobserved failure from being reported as unhandled.
    this.warming.catch(() => undefined);
  }

  /** Resolves once every worker has loaded the source; rejects with a usage error if the source cannot load. */
  warm(): Promise<void> {
    return this.warming;
  }

  private async warmAll(): Promise<void> {
    let reports: WarmReport[];
    try {
      reports = await Promise.all(
        Array.from({ length: this.concurrency }, () => this.pool.run({ requests: [] }, { name: 'warm' }) as unknown as Promise<WarmReport>),
      );
    } catch (e) {
      throw this.breakDown(
        errors.executor(
          `a worker thread could not start: ${errorMessage(e)}`,
          'check that the fitness module loads on its own, or raise --max-heap-mb',
        ),
      );
    }
    for (const r of reports) {
      if (!r.ok) throw this.breakDown(new EvotuneError(r.error.code, r.error.kind, r.error.message, r.error.hint));
    }
    this.backend = reports.find((r): r is { ok: true; backend: string } => r.ok && r.backend !== undefined)?.backend;
    if (this.opts.groupTrials !== false) this.groupSize = Math.min(...reports.map((r) => (r.ok && r.group !== undefined ? r.group : 1)));
    this.free = this.concurrency;
    this.pump();
  }

  capacity(): number {
    return this.concurrency * this.taskSize();
  }

  /** Trials per Piscina task when enough wait: a chunk of short trials, or a worker's group. */
  private taskSize(): number {
    return Math.max(this.chunks.size, this.groupSize);
  }

  run(request: TrialRequest, signal?: AbortSignal): Promise<TrialOutcome> {
    return this.enqueue(request, signal, undefined);
  }

  /**
   * Trials that share a group key (a Redis job of a group: eval/queue): one worker trains them in one task, as it
   * trains a group it forms itself, and each gets its own outcome. With grouping off they run as separate trials.
   */
  runGroup(requests: readonly TrialRequest[], signal?: AbortSignal): Promise<TrialOutcome[]> {
    const group = {};
    return Promise.all(requests.map((r) => this.enqueue(r, signal, group)));
  }

  private enqueue(request: TrialRequest, signal: AbortSignal | undefined, group: object | undefined): Promise<TrialOutcome> {
    if (this.closed) return Promise.reject(errors.internal('the worker pool is closed'));
    if (this.broken) return Promise.reject(this.broken);
    if (signal?.aborted) return Promise.resolve(aborted(0, WORKER));
    return new Promise((resolve, reject) => {
      const p: Pending = { request, signal, resolve, reject, onAbort: () => this.abort(p), task: undefined, ...(group ? { group } : {}) };
      signal?.addEventListener('abort', p.onAbort, { once: true });
      this.queue.push(p);
      this.schedulePump();
    });
  }

  /** With chunking on, trials handed over in one burst are gathered before any is sent, so chunks fill up. */
  private schedulePump(): void {
    if (this.taskSize() === 1) return this.pump();
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.free > 0 && this.queue.length > 0) this.dispatch(this.queue.splice(0, this.nextTake()));
  }

  /** How many trials at the queue's head go in the next task: a given group whole, or a chunk that stops before one. */
  private nextTake(): number {
    const grouping = this.groupSize > 1;
    const head = this.queue[0]!.group;
    let take = 1;
    if (grouping && head) while (this.queue[take]?.group === head) take++;
    else {
      const most = Math.min(this.taskSize(), Math.ceil(this.queue.length / this.free));
      while (take < most && !(grouping && this.queue[take]!.group)) take++;
    }
    return take;
  }

  private dispatch(chunk: Pending[]): void {
    this.free--;
    if (chunk.length > 1) this.chunked += chunk.length;
    const task = new AbortController();
    for (const p of chunk) p.task = task;
    const timeout = this.opts.trialTimeoutMs;
    // The worker aborts each trial's ctx.signal at its own deadline; this is the backstop for a worker that cannot
    // stop (a synchronous loop, a promise that never settles): terminate it. The clock starts at dispatch, which
    // is when the task starts, as it only ever goes to a free, loaded worker.
    // A worker that groups trials gives a group its members' limits added up (grouping.ts).
    const limit = timeout === undefined ? undefined : timeout * (this.groupSize > 1 ? chunk.length : 1);
    const timer = limit === undefined ? undefined : setTimeout(() => task.abort('timeout'), limit + graceMs(limit));
    const start = performance.now();
    const group = this.groupSize > 1 && chunk.length > 1;
    const json = this.opts.reportsJson === true;
    const work: WorkerTask = { requests: chunk.map((p) => p.request), timeoutMs: timeout, ...(group ? { group } : {}), ...(json ? { json } : {}) };
    this.pool.run(work, { signal: task.signal }).then(
      (packed) => {
        if (timer) clearTimeout(timer);
        const outcomes = unpackReports(packed);
        this.free++;
        this.groups.count(outcomes);
        chunk.forEach((p, i) => {
          const o = outcomes[i]!;
          // Only successes say how long trials take: a module whose every trial throws at once must not be
          // chunked, or a stop after failures in a row would come a whole chunk late.
          if (o.state === 'complete') this.chunks.observe(o.durationMs);
          else if (o.state === 'failed' && o.kind === 'timeout') this.chunks.disable();
          this.settle(p, o);
        });
        this.schedulePump();
      },
      (e: unknown) => {
        if (timer) clearTimeout(timer);
        this.lost(chunk, task.signal.reason, e, performance.now() - start);
      },
    );
  }

  /** The task's worker is gone: terminated (timeout, stop) or dead (exit, crash, out of memory). */
  private lost(chunk: Pending[], reason: unknown, e: unknown, ms: number): void {
    if (this.closed) {
      for (const p of chunk) this.settle(p, aborted(ms, WORKER));
      return;
    }
    this.restarts++;
    this.replacing++;
    this.chunks.disable();
    // As with chunks: from now on every trial runs alone, so that a failure names its own trial.
    this.groupSize = 1;
    const retry: Pending[] = [];
    for (const p of chunk) {
      if (p.signal?.aborted) this.settle(p, aborted(ms, WORKER));
      else if (chunk.length > 1) retry.push(p);
      else if (reason === 'timeout')
        this.settle(p, failure('timeout', timeoutMessage(this.opts.trialTimeoutMs!, 'its worker was terminated and replaced'), ms, WORKER));
      else this.settle(p, this.crashOutcome(e, ms));
    }
    // Which trial of a chunk broke its worker is unknown: run each again alone, so the culprit fails by itself.
    for (const p of retry) p.task = undefined;
    this.queue.unshift(...retry);
    if (this.broken) this.rejectQueued();
    else this.pump();
  }

  private crashOutcome(e: unknown, ms: number): TrialOutcome {
    if ((e as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      const limit = this.opts.maxHeapMb === undefined ? "the worker's heap limit" : `heap limit ${this.opts.maxHeapMb} MB`;
      return failure('oom', `the trial ran out of memory (${limit}); its worker was replaced`, ms, WORKER);
    }
    return failure('crash', `its worker died (${errorMessage(e)}); it was replaced`, ms, WORKER);
  }

  private abort(p: Pending): void {
    if (p.task) return p.task.abort('aborted');
    const i = this.queue.indexOf(p);
    if (i >= 0) this.queue.splice(i, 1);
    this.settle(p, aborted(0, WORKER));
  }

  private settle(p: Pending, outcome: TrialOutcome): void {
    p.signal?.removeEventListener('abort', p.onAbort);
    p.resolve(outcome);
  }

  /** From now on the pool takes no trials; trials already running finish. Returns the error for throwing. */
  private breakDown(error: EvotuneError): EvotuneError {
    this.broken ??= error;
    this.rejectQueued();
    return this.broken;
  }

  /** Rejected, not failed: these trials never ran, so the study must not record them. */
  private rejectQueued(): void {
    for (const p of this.queue.splice(0)) {
      p.signal?.removeEventListener('abort', p.onAbort);
      p.reject(this.broken);
    }
  }

  info(): Record<string, unknown> {
    return { workerRestarts: this.restarts, trialsInChunks: this.chunked, ...this.groups.info(), ...(this.backend ? { backend: this.backend } : {}) };
  }

  /** Ends every trial not finished yet as aborted (running ones are terminated with their workers). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) this.settle(p, aborted(0, WORKER));
    await this.pool.destroy();
  }
}
