import { availableParallelism } from 'node:os';
import { search } from '../src/search.js';
import type { BackendOption } from '../src/options.js';
import { summarize, type Summary } from '../src/bench/stats.js';

export interface PoolTaskOptions {
  readonly task: string;
  /** Evaluations per search. */
  readonly budget: number;
  /** Searches per worker count; the counts alternate so that load changes hit both alike. */
  readonly repeats: number;
  readonly workerCounts: readonly number[];
  readonly backend?: BackendOption;
}

export interface PoolTaskRow {
  readonly workers: number;
  readonly evalsPerSec: Summary;
  readonly utilisation: Summary;
}

export interface PoolTaskResult {
  readonly task: string;
  readonly budget: number;
  readonly cores: number;
  readonly backend?: string;
  readonly rows: readonly PoolTaskRow[];
  /** Median evaluations per second with the most workers over that with the fewest. */
  readonly speedup: number;
}

/**
 * Evaluations per second of a real training task through search() with each worker count. Random search, so
 * that every worker count runs the same trials (same seed, same points) and only the dispatch differs. The
 * study's clock starts after the pool is warm, so worker start-up (tfjs, data) is not counted.
 */
export async function runPoolTask(o: PoolTaskOptions): Promise<PoolTaskResult> {
  const samples = new Map<number, Array<{ evalsPerSec: number; utilisation: number }>>(o.workerCounts.map((w) => [w, []]));
  let backend: string | undefined;
  for (let rep = 0; rep < o.repeats; rep++) {
    for (const workers of o.workerCounts) {
      const r = await search({
        task: o.task,
        strategy: 'random',
        budget: o.budget,
        seed: rep,
        workers,
        ...(o.backend ? { backend: o.backend } : {}),
      });
      backend ??= r.backend;
      samples.get(workers)!.push({ evalsPerSec: r.trials / (r.elapsedMs / 1000), utilisation: r.utilisation });
    }
  }
  const rows = o.workerCounts.map((workers) => {
    const s = samples.get(workers)!;
    return { workers, evalsPerSec: summarize(s.map((x) => x.evalsPerSec)), utilisation: summarize(s.map((x) => x.utilisation)) };
  });
  const byWorkers = [...rows].sort((a, b) => a.workers - b.workers);
  const speedup = byWorkers[byWorkers.length - 1]!.evalsPerSec.median / byWorkers[0]!.evalsPerSec.median;
  return { task: o.task, budget: o.budget, cores: availableParallelism(), ...(backend ? { backend } : {}), rows, speedup };
}
