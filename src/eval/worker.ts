/**
 * The Piscina worker: loads its fitness source once (module import, or tfjs backend + task data), then scores
 * trials. The source loads while the module itself loads, so Piscina reports a worker ready only once it can score:
 * a worker that replaces a terminated one never charges its import to a trial's timeout.
 * Each trial's timeout starts when that trial starts. At the deadline ctx.signal aborts; a fitness that stops on
 * it ends as 'timeout' and keeps its worker. One that does not is terminated by the main thread (see pool.ts).
 */
import { threadId, workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { performance } from 'node:perf_hooks';
import { isEvotuneError, type ErrorCode, type ErrorKind } from '../errors.js';
import type { FitnessSource } from './source.js';
import { importFitness } from './source.js';
import type { FitnessFn, TrialOutcome, TrialRequest } from './types.js';
import { errorMessage, failure, timeoutMessage } from './outcome.js';
import { fitnessContext, packReports, TrialReports, type PackedOutcomes } from './reporting.js';
import { GROUP_SIZE, runInGroups } from './grouping.js';
import type { TaskGroups } from '../tasks/group-fitness.js';

export interface WorkerData {
  readonly source: FitnessSource;
  /** Threads each worker's tfjs backend may start (wasm), so that workers x threads <= cores. */
  readonly threads: number;
}

/** Several trials run one after another in one task when trials are short (see chunking.ts). */
export interface WorkerTask {
  readonly requests: readonly TrialRequest[];
  readonly timeoutMs?: number;
  /** Train those that can share a program together (grouping.ts). */
  readonly group?: boolean;
  /** Format the reports' journal text too (reporting.ts packReports). */
  readonly json?: boolean;
}

/** Why the source did not load, as plain data (an error's class does not survive the trip to the main thread). */
export interface LoadFailure {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly message: string;
  readonly hint?: string;
}

/** `group`: how many trials the worker trains together when it holds that many that can share a program. */
export type WarmReport =
  | { readonly ok: true; readonly backend?: string; readonly group?: number }
  | { readonly ok: false; readonly error: LoadFailure };

type Loaded =
  | { readonly ok: true; readonly fn: FitnessFn; readonly backend?: string; readonly groups?: TaskGroups }
  | { readonly ok: false; readonly error: LoadFailure };

const worker = `thread-${threadId}`;

async function load(source: FitnessSource, threads: number): Promise<Loaded> {
  try {
    if (source.kind === 'module') return { ok: true, fn: await importFitness(source.url) };
    const { loadTaskFitness } = await import('../tasks/runtime.js');
    const { fitness, backend, groups } = await loadTaskFitness({ task: source.task, backend: source.backend, threads });
    return { ok: true, fn: fitness as FitnessFn, backend, ...(groups ? { groups } : {}) };
  } catch (e) {
    // Never throw here: a worker that fails while starting makes Piscina stop replacing workers for good.
    const error: LoadFailure = isEvotuneError(e)
      ? { code: e.code, kind: e.kind, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }
      : { code: 'E_EXECUTOR', kind: 'runtime', message: `the worker could not load its fitness: ${errorMessage(e)}` };
    return { ok: false, error };
  }
}

const data = workerData as WorkerData;
const loaded = await load(data.source, data.threads);

async function runOne(request: TrialRequest, timeoutMs: number | undefined): Promise<TrialOutcome> {
  if (!loaded.ok) return failure('error', loaded.error.message, 0, worker);
  const start = performance.now();
  const controller = new AbortController();
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(), timeoutMs);
  const reports = new TrialReports(request.prune, request.wantCheckpoint);
  try {
    const ctx = fitnessContext(request, controller.signal, reports);
    const raw = await loaded.fn(request.params, ctx);
    if (controller.signal.aborted)
      return reports.failed('timeout', timeoutMessage(timeoutMs!, 'it returned after ctx.signal aborted'), performance.now() - start, worker);
    return reports.outcome(raw, performance.now() - start, worker);
  } catch (e) {
    // Whatever a fitness throws once its signal aborted (an AbortError, usually) is the timeout, not a bug.
    if (controller.signal.aborted)
      return reports.failed('timeout', timeoutMessage(timeoutMs!, 'it stopped on ctx.signal'), performance.now() - start, worker);
    return reports.thrown(e, performance.now() - start, worker);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export default async function runTrials({ requests, timeoutMs, group, json }: WorkerTask): Promise<PackedOutcomes> {
  let outcomes: TrialOutcome[] = [];
  if (group && loaded.ok && loaded.groups && requests.length > 1)
    outcomes = await runInGroups(requests, timeoutMs, loaded.groups, (r) => runOne(r, timeoutMs), worker);
  else for (const request of requests) outcomes.push(await runOne(request, timeoutMs));
  // The reports' array and checkpoints' arrays move to the main thread instead of being copied (this thread never
  // uses them again).
  const packed = packReports(outcomes, json === true);
  const buffers = outcomes.flatMap((o) => (o.state === 'complete' && o.checkpoint ? ownedBuffers(o.checkpoint) : []));
  buffers.push(packed.reports.buffer as ArrayBuffer);
  return move({ [transferableSymbol]: buffers, [valueSymbol]: packed } as never) as unknown as PackedOutcomes;
}

/** The ArrayBuffers a checkpoint's typed arrays own whole (a view into a larger buffer is copied, not moved). */
function ownedBuffers(c: unknown, out = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(c)) {
    const b = c.buffer;
    if (b instanceof ArrayBuffer && c.byteOffset === 0 && c.byteLength === b.byteLength) out.add(b);
  } else if (Array.isArray(c)) for (const v of c) ownedBuffers(v, out);
  else if (c !== null && typeof c === 'object') for (const v of Object.values(c)) ownedBuffers(v, out);
  return [...out];
}

/** Reports whether the source loaded: the pool checks every worker before any trial runs. */
export function warm(): WarmReport {
  if (!loaded.ok) return { ok: false, error: loaded.error };
  return { ok: true, ...(loaded.backend ? { backend: loaded.backend } : {}), ...(loaded.groups ? { group: GROUP_SIZE } : {}) };
}
