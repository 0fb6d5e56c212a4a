/**
 * The Piscina worker: loads its fitness source once (module import, or tfjs backend + task data), then scores
 * trials. Timeouts are enforced by the main thread (it aborts the task, and Piscina replaces this worker); the
 * worker also aborts ctx.signal at the deadline so that cooperative fitness functions can stop early.
 */
import { threadId, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { FitnessSource } from './source.js';
import { importFitness } from './source.js';
import type { FitnessFn, TrialOutcome, TrialRequest } from './types.js';
import { errorMessage, score } from './outcome.js';

export interface WorkerData {
  readonly source: FitnessSource;
  /** Threads each worker's tfjs backend may start (wasm), so that workers x threads <= cores. */
  readonly threads: number;
}

const data = workerData as WorkerData;
const worker = `thread-${threadId}`;
let loaded: Promise<{ fn: FitnessFn; backend?: string }> | undefined;

function load(): Promise<{ fn: FitnessFn; backend?: string }> {
  loaded ??= (async () => {
    const src = data.source;
    if (src.kind === 'module') return { fn: await importFitness(src.url) };
    const { loadTaskFitness } = await import('../tasks/runtime.js');
    const { fitness, backend } = await loadTaskFitness({ task: src.task, backend: src.backend, threads: data.threads });
    return { fn: fitness as FitnessFn, backend };
  })();
  return loaded;
}

export interface WorkerTask {
  readonly request: TrialRequest;
  readonly timeoutMs?: number;
}

export default async function runTrial({ request, timeoutMs }: WorkerTask): Promise<TrialOutcome> {
  const start = performance.now();
  const since = () => performance.now() - start;
  const controller = new AbortController();
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(), timeoutMs);
  try {
    const { fn } = await load();
    const raw = await fn(request.params, { seed: request.seed, trial: request.number, signal: controller.signal });
    const s = score(raw);
    return s.ok
      ? { state: 'complete', value: s.value, metrics: s.metrics, durationMs: since(), worker }
      : { state: 'failed', kind: s.kind, message: s.message, durationMs: since(), worker };
  } catch (e) {
    return { state: 'failed', kind: 'error', message: errorMessage(e), durationMs: since(), worker };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Loads the source without running a trial: lets the pool warm every worker before timing starts. */
export async function warm(): Promise<string | undefined> {
  return (await load()).backend;
}
