/**
 * Evaluations per second and per-trial overhead through the Redis queue, against the local pool, with 1 and 2
 * worker processes (1 slot each) and 1 and 2 pool threads. Needs redis-server on PATH and a build:
 *   node dist/benchmarks/queue.js [--quick] [--json]
 * The study records a generation's results when the whole generation is back, so rates are taken from the end of
 * the first generation to the end of the last: a worker discovering the study and loading its module falls in the
 * first generation, reported apart (first result). The machine is shared: each figure is the median of repeats.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { search } from '../src/search.js';
import type { SpaceSpec } from '../src/space/spec.js';
import { redisServerBinary, startRedis, startWorker, type WorkerProcess } from '../support/redis-harness.js';
import { table } from '../src/bench/report-markdown.js';
import { median } from '../src/bench/stats.js';

const SPACE: SpaceSpec = {
  x: { type: 'float', low: -1, high: 1, log: false },
  y: { type: 'float', low: -1, high: 1, log: false },
};

/** A fitness that returns at once (pure overhead), and one that keeps a core busy for about 10 ms. */
const FITNESS = {
  noop: 'export default (p) => p.x * p.x + p.y * p.y;\n',
  cpu10ms:
    'export default (p) => { const end = performance.now() + 10; let s = 0; while (performance.now() < end) s += Math.sqrt(s + 1); return p.x * p.x + p.y * p.y + s * 0; };\n',
} as const;
type FitnessName = keyof typeof FITNESS;

export interface QueueBenchRow {
  readonly fitness: FitnessName;
  /** "pool" (threads in this process) or "queue" (worker processes through Redis). */
  readonly executor: 'pool' | 'queue';
  /** Threads, or worker processes of one slot each. */
  readonly slots: 1 | 2;
  readonly trials: number;
  readonly evalsPerSec: number;
  /** Slot time per trial not spent in the fitness: slots x wall / trials - mean trial duration. */
  readonly overheadMs: number;
  /** From the start of search() to its first result (the end of the first generation). */
  readonly firstResultMs: number;
}

export interface QueueBenchOptions {
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

interface Run {
  readonly evalsPerSec: number;
  readonly overheadMs: number;
  readonly firstResultMs: number;
}

/** Trials per generation (random search's batch); budgets are whole generations. */
const BATCH = 32;

async function measure(fitness: string, budget: number, slots: number, executor: string | undefined): Promise<Run> {
  const times: number[] = [];
  let busyMs = 0;
  const start = performance.now();
  const result = await search({
    fitness,
    space: SPACE,
    strategy: 'random',
    strategyOptions: { batch: BATCH },
    budget,
    ...(executor ? { executor } : { workers: slots }),
    onEvent: (e) => {
      if (e.type !== 'finished') return;
      times.push(performance.now());
      if (times.length > BATCH) busyMs += e.record.outcome.durationMs;
    },
  });
  if (result.failed > 0) throw new Error(`${result.failed} trials failed: ${JSON.stringify(result.failuresByKind)}`);
  const span = times[times.length - 1]! - times[BATCH - 1]!;
  const n = times.length - BATCH;
  return {
    evalsPerSec: (n * 1000) / span,
    overheadMs: (slots * span - busyMs) / n,
    firstResultMs: times[0]! - start,
  };
}

export async function queueBenchmark({ quick, log }: QueueBenchOptions): Promise<QueueBenchRow[]> {
  if (!redisServerBinary) throw new Error('no redis-server on PATH (scripts/ci-redis.sh installs it)');
  const repeats = quick ? 1 : 3;
  const budgets: Record<FitnessName, number> = quick ? { noop: 4 * BATCH, cpu10ms: 2 * BATCH } : { noop: 12 * BATCH, cpu10ms: 5 * BATCH };
  const dir = mkdtempSync(join(tmpdir(), 'evotune-queue-bench-'));
  const files = Object.fromEntries(
    Object.entries(FITNESS).map(([name, code]) => {
      const file = join(dir, `${name}.mjs`);
      writeFileSync(file, code);
      return [name, file];
    }),
  ) as Record<FitnessName, string>;
  const redis = await startRedis();
  const rows: QueueBenchRow[] = [];
  const workers: WorkerProcess[] = [];
  try {
    for (const slots of [1, 2] as const) {
      // Worker processes for this row stay up across its searches; each search is a new study they pick up.
      while (workers.length < slots) {
        const w = startWorker(redis.url, ['--concurrency', '1']);
        await w.waitFor(/trial slot/);
        workers.push(w);
      }
      for (const fitness of Object.keys(FITNESS) as FitnessName[]) {
        for (const executor of ['pool', 'queue'] as const) {
          const runs: Run[] = [];
          for (let r = 0; r < repeats; r++)
            runs.push(await measure(files[fitness], budgets[fitness], slots, executor === 'queue' ? redis.url : undefined));
          const row: QueueBenchRow = {
            fitness,
            executor,
            slots,
            trials: budgets[fitness],
            evalsPerSec: median(runs.map((x) => x.evalsPerSec)),
            overheadMs: median(runs.map((x) => x.overheadMs)),
            firstResultMs: median(runs.map((x) => x.firstResultMs)),
          };
          log(
            `${fitness} ${executor} x${slots}: ${row.evalsPerSec.toFixed(0)} evals/s, overhead ${row.overheadMs.toFixed(2)} ms/trial, first result ${row.firstResultMs.toFixed(0)} ms`,
          );
          rows.push(row);
        }
      }
    }
  } finally {
    for (const w of workers) {
      w.kill('SIGTERM');
      await w.exited;
    }
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function toMarkdown(rows: readonly QueueBenchRow[]): string {
  return table(
    ['fitness', 'executor', 'threads / worker processes', 'trials', 'evals/s', 'overhead ms/trial', 'first result ms'],
    rows.map((r) => [
      r.fitness,
      r.executor,
      String(r.slots),
      String(r.trials),
      r.evalsPerSec.toFixed(0),
      r.overheadMs.toFixed(2),
      r.firstResultMs.toFixed(0),
    ]),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  const rows = await queueBenchmark({ quick: values.quick, log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : `${toMarkdown(rows)}\n`);
}
