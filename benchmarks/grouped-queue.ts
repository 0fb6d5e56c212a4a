/**
 * A fixed-architecture search through the Redis executor, with and without groups, side by side:
 *   node dist/benchmarks/grouped-queue.js [--quick]
 * The same search (random, digits, lr, momentum, weight decay and schedule vary, the rest the task's defaults) runs
 * on one `evotune worker` process of one slot (one core), alternating grouped and ungrouped runs (ABBA). Ungrouped is
 * the evaluator's `groupTrials: false`: the study sends every trial as a job of its own. Reports
 * wall time, the CPU of both processes (study and worker), member-steps per wall second, and whether both gave the
 * same trials and best. Needs redis-server on PATH and a build.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createEvaluator } from '../src/eval/create.js';
import { prepareSearch } from '../src/search.js';
import { Space } from '../src/space/codec.js';
import type { SpaceSpec } from '../src/space/spec.js';
import { runStudy } from '../src/study/study.js';
import type { StudySummary } from '../src/study/types.js';
import { SCHEDULES } from '../src/tasks/config.js';
import { median } from '../src/bench/stats.js';
import { table } from '../src/bench/report-markdown.js';
import { redisServerBinary, startRedis, startWorker, type WorkerProcess } from '../support/redis-harness.js';
import type { Section } from './section.js';

/** The space of benchmarks/grouped-trials.ts's requests: only the trainer's hyperparameters vary. */
const SPACE: SpaceSpec = {
  lr: { type: 'float', low: 1e-4, high: 1e-1, log: true },
  momentum: { type: 'float', low: 0.5, high: 0.99, log: false },
  weightDecay: { type: 'float', low: 1e-6, high: 1e-2, log: true },
  schedule: { type: 'categorical', choices: [...SCHEDULES] },
};
const SEED = 1;

export interface GroupedQueueRun {
  readonly grouped: boolean;
  readonly wallMs: number;
  /** From the worker's "ready, taking trials" for this study (its task loaded) to the search's end. */
  readonly trainingWallMs: number;
  /** This process's CPU (the study) plus the worker process's (all its threads). */
  readonly cpuMs: number;
  /** Training steps of all trials per second of trainingWallMs. */
  readonly memberStepsPerWallSec: number;
  readonly groupsBySize?: Record<string, number>;
  /** Median over groups of a group's own member-steps per second (evaluatorStats). */
  readonly groupMemberStepsPerSec?: number;
}

export interface GroupedQueueResult {
  readonly task: string;
  readonly trials: number;
  readonly runs: readonly GroupedQueueRun[];
  /** Every trial's params and value (or failure kind) identical grouped and ungrouped, in every run. */
  readonly sameTrials: boolean;
  readonly sameBest: boolean;
  readonly best: number;
}

/** Clock ticks per second of /proc's CPU times. */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** A process's CPU time so far (user + system, all threads) from /proc (Linux). */
function processCpuMs(pid: number): number {
  // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /s, '')
    .split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** A search's outcome: what search() returns that this benchmark reads. */
interface Searched {
  readonly summary: StudySummary;
  readonly evaluatorStats: Record<string, unknown>;
}

/**
 * The search search() runs for these options (random, the task's trials keeping the best one's weights), on the
 * evaluator search() creates but with the grouping switch given: search() always groups.
 */
async function searchThroughRedis(task: string, trials: number, redisUrl: string, groupTrials: boolean): Promise<Searched> {
  const prepared = await prepareSearch({ task, space: SPACE, strategy: 'random', budget: trials, seed: SEED, backend: 'wasm', executor: redisUrl });
  const { options } = prepared;
  const evaluator = createEvaluator(prepared.source, { ...options, groupTrials });
  try {
    await evaluator.warm?.();
    const summary = await runStudy({
      space: new Space(prepared.space),
      strategy: prepared.strategy.strategy,
      strategyOptions: prepared.strategy.options,
      evaluator,
      seed: options.seed,
      budget: options.budget,
      initialPoints: prepared.initialPoints,
      maxConsecutiveFailures: options.maxConsecutiveFailures,
      keepBestCheckpoint: true,
      objectives: prepared.objectives,
    });
    return { summary, evaluatorStats: evaluator.info?.() ?? {} };
  } finally {
    await evaluator.close();
  }
}

const trialsOf = ({ summary }: Searched) =>
  JSON.stringify(summary.trials.map((t) => [t.number, t.params, t.outcome.state === 'failed' ? t.outcome.kind : t.outcome.value]));

/** The worker's n-th (1-based) study loaded and taking trials: when its line arrives. */
const readyAt = (worker: WorkerProcess, n: number) =>
  worker.waitFor(new RegExp(`(?:: ready, taking trials[\\s\\S]*?){${n}}`), 600_000).then(() => performance.now());

async function measure(task: string, trials: number, redisUrl: string, worker: WorkerProcess, grouped: boolean, study: number) {
  const w0 = performance.now();
  const c0 = selfCpuMs() + processCpuMs(worker.pid);
  const ready = readyAt(worker, study);
  ready.catch(() => undefined); // waited for below, once the search is done (a failed search rejects first)
  const r = await searchThroughRedis(task, trials, redisUrl, grouped);
  const end = performance.now();
  const wallMs = end - w0;
  const trainingWallMs = end - (await ready);
  const cpuMs = selfCpuMs() + processCpuMs(worker.pid) - c0;
  const steps = r.summary.trials.reduce((sum, t) => sum + (t.outcome.state === 'failed' ? 0 : Number(t.outcome.metrics.steps ?? 0)), 0);
  const { groupsBySize, groupMemberStepsPerSec } = r.evaluatorStats as Pick<GroupedQueueRun, 'groupsBySize' | 'groupMemberStepsPerSec'>;
  const run: GroupedQueueRun = {
    grouped,
    wallMs,
    trainingWallMs,
    cpuMs,
    memberStepsPerWallSec: (steps / trainingWallMs) * 1000,
    ...(groupsBySize ? { groupsBySize } : {}),
    ...(groupMemberStepsPerSec !== undefined ? { groupMemberStepsPerSec } : {}),
  };
  return { run, result: r };
}

export async function runGroupedQueue(o: { quick: boolean; log?: (line: string) => void }): Promise<GroupedQueueResult> {
  if (!redisServerBinary) throw new Error('no redis-server on PATH (scripts/ci-redis.sh installs it)');
  const log = o.log ?? (() => undefined);
  const task = o.quick ? 'wine' : 'digits';
  const trials = o.quick ? 32 : 100;
  // ABBA: a drift in the machine's load weighs on both modes alike.
  const order = o.quick ? [true, false] : [true, false, false, true];
  const redis = await startRedis();
  const worker = startWorker(redis.url, ['--concurrency', '1']);
  const runs: GroupedQueueRun[] = [];
  const results: Searched[] = [];
  try {
    await worker.waitFor(/trial slot/, 60_000);
    for (const [i, grouped] of order.entries()) {
      const { run, result } = await measure(task, trials, redis.url, worker, grouped, i + 1);
      const ran = result.summary.trials.length;
      if (ran !== trials) throw new Error(`the ${grouped ? 'grouped' : 'ungrouped'} search ran ${ran} of ${trials} trials`);
      runs.push(run);
      results.push(result);
      log(
        `grouped queue: ${trials} ${task} trials through redis, groups ${grouped ? 'on' : 'off'}: ${(run.wallMs / 1000).toFixed(1)} s wall, ` +
          `${(run.trainingWallMs / 1000).toFixed(1)} s after the worker loaded the task, ${(run.cpuMs / 1000).toFixed(1)} s cpu, ${run.memberStepsPerWallSec.toFixed(0)} member-steps/s${run.groupsBySize ? `, groups ${JSON.stringify(run.groupsBySize)}` : ''}`,
      );
    }
  } finally {
    worker.kill('SIGTERM');
    await worker.exited;
    await redis.stop();
  }
  const best = ({ summary }: Searched) => JSON.stringify([summary.best?.trial, summary.best?.value]);
  return {
    task,
    trials,
    runs,
    sameTrials: results.every((r) => trialsOf(r) === trialsOf(results[0]!)),
    sameBest: results.every((r) => best(r) === best(results[0]!)),
    best: results[0]!.summary.best?.value ?? Number.NaN,
  };
}

export function toMarkdown(res: GroupedQueueResult): string {
  const med = (grouped: boolean, f: (r: GroupedQueueRun) => number | undefined) => {
    const xs = res.runs.filter((r) => r.grouped === grouped).flatMap((r) => f(r) ?? []);
    return xs.length > 0 ? median(xs) : undefined;
  };
  const fixed = (x: number | undefined, digits: number) => (x === undefined ? '-' : x.toFixed(digits));
  const row = (grouped: boolean) => [
    grouped ? 'on' : 'off',
    fixed(
      med(grouped, (r) => r.wallMs / 1000),
      1,
    ),
    fixed(
      med(grouped, (r) => r.trainingWallMs / 1000),
      1,
    ),
    fixed(
      med(grouped, (r) => r.cpuMs / 1000),
      1,
    ),
    fixed(
      med(grouped, (r) => r.memberStepsPerWallSec),
      0,
    ),
    fixed(
      med(grouped, (r) => r.groupMemberStepsPerSec),
      0,
    ),
  ];
  const ratio = (f: (r: GroupedQueueRun) => number) => (med(false, f)! / med(true, f)!).toFixed(2);
  const groups = res.runs.find((r) => r.grouped)?.groupsBySize ?? {};
  const repeats = res.runs.filter((r) => r.grouped).length;
  return [
    `${res.trials} random trials of ${res.task} (seed ${SEED}) from a space that fixes the architecture (lr, momentum, weight decay, schedule vary), ` +
      `through the Redis executor to one \`evotune worker\` process of one slot; median of ${repeats} run(s) each way, in ABBA order. ` +
      "'Task loaded': from the worker's line saying it loaded the study's task (the same fixed cost either way) to the search's end. " +
      'CPU is the study process and the worker process together.',
    '',
    table(['groups', 'wall s', 'wall s, task loaded', 'CPU s', 'member-steps/s, task loaded', "a group's member-steps/s"], [row(true), row(false)]),
    '',
    `Speed-up with groups: ${ratio((r) => r.wallMs)}x wall, ${ratio((r) => r.trainingWallMs)}x wall once the task is loaded, ${ratio((r) => r.cpuMs)}x CPU. ` +
      `Same trials (params and values) grouped and ungrouped: ${res.sameTrials ? 'yes' : 'NO'}; same best: ${res.sameBest ? 'yes' : 'NO'} (${res.best.toFixed(4)}). ` +
      `Groups formed per run: ${JSON.stringify(groups)}.`,
  ].join('\n');
}

export const groupedQueueSection: Section = {
  id: 'grouped-queue',
  title: '5b. A fixed-architecture search through the Redis executor, with and without groups',
  async run({ quick, log }) {
    if (!redisServerBinary) return { kind: 'skipped', reason: 'no redis-server on PATH (scripts/ci-redis.sh installs it)' };
    const result = await runGroupedQueue({ quick, log });
    return { kind: 'ran', markdown: toMarkdown(result), data: result, charts: [] };
  },
  render: (data) => toMarkdown(data as GroupedQueueResult),
};

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: { quick: { type: 'boolean', default: false } } });
  console.log(toMarkdown(await runGroupedQueue({ quick: values.quick, log: (l) => console.error(l) })));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
