/**
 * Fault injection at scale (issue #18): every kill scenario of test/fault-injection.test.ts at RUNS seeded random
 * kill moments (20 in a full run, 3 in quick mode), with real processes, a real redis-server and real signals.
 * The table counts, per scenario, trials lost, trials recorded twice, runs whose best differs from a run that
 * never stopped, and processes that overran their exit bound (test/fault-harness.ts). The target is 0 everywhere.
 *   npm run bench -- --sections faults
 */
import { rngFor } from '../src/util/rng.js';
import {
  concurrentResume,
  coordinatorKillLocal,
  coordinatorKillRedis,
  redisKillForGood,
  redisKillRestart,
  redisRig,
  removeTemps,
  signalLocal,
  uninterrupted,
  workerKill,
  type RedisRig,
  type RunResult,
} from '../support/fault-harness.js';
import { redisServerBinary } from '../support/redis-harness.js';

export interface FaultRow {
  readonly scenario: string;
  readonly runs: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly wrongBest: number;
  readonly hangs: number;
  /** Runs where something else the scenario checks went wrong (an exit code, a missing message). */
  readonly otherProblems: number;
  readonly examples: readonly string[];
}

type Scenario = readonly [string, (rng: () => number, rig: RedisRig | undefined) => Promise<RunResult>, 'local' | 'redis'];

const SCENARIOS: readonly Scenario[] = [
  ['coordinator SIGKILL (local pool), then resume', (rng) => coordinatorKillLocal(rng), 'local'],
  ['Ctrl-C (local pool), then resume', (rng) => signalLocal(rng, 'SIGINT'), 'local'],
  ['SIGTERM (local pool), then resume', (rng) => signalLocal(rng, 'SIGTERM'), 'local'],
  ['concurrent resume of a live run', (rng) => concurrentResume(rng), 'local'],
  ['coordinator SIGKILL (Redis), then resume', (rng, rig) => coordinatorKillRedis(rig!, rng), 'redis'],
  ['worker SIGKILL (Redis)', (rng, rig) => workerKill(rig!, rng), 'redis'],
  ['redis-server SIGKILL + restart', (rng, rig) => redisKillRestart(rig!, rng), 'redis'],
  ['redis-server SIGKILL for good (--worker-wait), then resume', (rng, rig) => redisKillForGood(rig!, rng, 'wait'), 'redis'],
  ['redis-server SIGKILL for good + Ctrl-C, then resume', (rng, rig) => redisKillForGood(rig!, rng, 'SIGINT'), 'redis'],
  ['redis-server SIGKILL for good + SIGTERM, then resume', (rng, rig) => redisKillForGood(rig!, rng, 'SIGTERM'), 'redis'],
];

export async function faultBenchmark(opts: { runs: number; log: (line: string) => void }): Promise<FaultRow[]> {
  await uninterrupted();
  const rig = redisServerBinary ? await redisRig() : undefined;
  const rows: FaultRow[] = [];
  try {
    for (const [scenario, runOne, needs] of SCENARIOS) {
      if (needs === 'redis' && !rig) {
        opts.log(`${scenario}: skipped (no redis-server)`);
        continue;
      }
      const rng = rngFor(18, scenario);
      const tally = { lost: 0, duplicated: 0, wrongBest: 0, hangs: 0, otherProblems: 0 };
      const examples: string[] = [];
      for (let i = 0; i < opts.runs; i++) {
        let r: RunResult;
        try {
          r = await runOne(rng, rig);
        } catch (e) {
          tally.otherProblems++;
          examples.push(e instanceof Error ? e.message : String(e));
          continue;
        }
        tally.lost += r.lost;
        tally.duplicated += r.duplicated;
        tally.wrongBest += r.wrongBest ? 1 : 0;
        tally.hangs += r.hangs;
        if (r.problems.length > 0) {
          tally.otherProblems++;
          examples.push(...r.problems);
        }
      }
      opts.log(`${scenario}: ${opts.runs} runs, ${JSON.stringify(tally)}`);
      rows.push({ scenario, runs: opts.runs, ...tally, examples: examples.slice(0, 3) });
      removeTemps();
    }
  } finally {
    await rig?.stop();
  }
  return rows;
}

export function toMarkdown(rows: readonly FaultRow[]): string {
  const head = '| scenario | runs | lost | duplicated | wrong best | hangs | other problems |\n| --- | --- | --- | --- | --- | --- | --- |';
  const body = rows
    .map((r) => `| ${r.scenario} | ${r.runs} | ${r.lost} | ${r.duplicated} | ${r.wrongBest} | ${r.hangs} | ${r.otherProblems} |`)
    .join('\n');
  const notes = rows.flatMap((r) => r.examples.map((e) => `- ${r.scenario}: ${e.replace(/\n/g, ' ').slice(0, 200)}`));
  return (
    'Each run: a search of 40 trials (8 ms each, GA, seed 5) hit by the fault at a seeded random moment, resumed if the fault ' +
    'ended it; lost / duplicated count trials 0..39 without / with more than one finished line; wrong best counts runs whose ' +
    'trials or best differ from a run that never stopped; hangs counts processes that did not exit within 5 s of the decision ' +
    '(10 s more after Ctrl-C/SIGTERM, the grace running trials get; 5 s of slack for a loaded machine).\n\n' +
    `${head}\n${body}\n${notes.length > 0 ? `\n${notes.join('\n')}\n` : ''}`
  );
}
