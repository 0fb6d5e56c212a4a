/**
 * Fault injection at scale (issue #18): every kill scenario of test/fault-injection.test.ts at RUNS seeded random
 * kill moments (20 in a full run, 3 in quick mode), with real processes, a real redis-server and real signals.
 * The table counts, per scenario, trials lost, trials recorded twice, runs whose best differs from a run that
 * never stopped, and processes that overran their exit bound (support/fault-harness.ts). The target is 0 everywhere.
 *
 * A full run takes long on a small machine, so each scenario's row is appended to a progress file the moment the
 * scenario ends, and a later run reuses the rows measured with at least as many runs and the same compiled code
 * (delete the file to measure again). So a run that stops loses at most one scenario, and scenarios can be run one
 * invocation at a time, then put in one table by a last invocation that runs none of them again.
 *   FAULT_RUNS=20 npm run bench -- --sections faults
 *   FAULT_SCENARIOS=concurrent-resume,redis-gone-wait FAULT_RUNS=20 npm run bench -- --sections faults
 * Environment: FAULT_RUNS (kill moments per scenario), FAULT_SCENARIOS (ids, comma-separated; default all),
 * FAULT_PROGRESS (the progress file; default: the run's own folder, benchmarks/progress.ts, which the run deletes
 * when every section has run; outside a full run benchmarks/results/tmp-faults-progress.jsonl, which git ignores).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errors } from '../src/errors.js';
import { appendJsonLine, readJsonLines } from './progress.js';
import { rngFor } from '../src/util/rng.js';
import {
  concurrentResume,
  coordinatorKillLocal,
  coordinatorKillRedis,
  fixturePath,
  redisKillForGood,
  redisKillRestart,
  redisRig,
  removeTemps,
  signalSearch,
  uninterrupted,
  workerKill,
  type RedisRig,
  type RunResult,
} from '../support/fault-harness.js';
import { redisServerBinary } from '../support/redis-harness.js';

export interface FaultRow {
  /** The scenario's id (as in test/fault-injection.test.ts and FAULT_SCENARIOS). */
  readonly id: string;
  readonly scenario: string;
  readonly runs: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly wrongBest: number;
  readonly hangs: number;
  /** Runs where something else the scenario checks went wrong (an exit code, a missing message). */
  readonly otherProblems: number;
  readonly examples: readonly string[];
  /** Median wall-clock seconds of one run (fault, exits, resume, audit). */
  readonly secondsPerRun: number;
  /** When the scenario finished (ISO), and a hash of the compiled code it ran (rows are reused only for the same code). */
  readonly measuredAt: string;
  readonly code: string;
}

interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly needs: 'local' | 'redis';
  run(rng: () => number, rig: RedisRig | undefined): Promise<RunResult>;
}

const need = (rig: RedisRig | undefined): RedisRig => {
  if (!rig) throw new Error('this scenario needs redis-server');
  return rig;
};

export const SCENARIOS: readonly Scenario[] = [
  { id: 'local-sigkill', title: 'coordinator SIGKILL (local pool), then resume', needs: 'local', run: (rng) => coordinatorKillLocal(rng) },
  { id: 'local-sigint', title: 'Ctrl-C (local pool), then resume', needs: 'local', run: (rng) => signalSearch(rng, 'SIGINT') },
  { id: 'local-sigterm', title: 'SIGTERM (local pool), then resume', needs: 'local', run: (rng) => signalSearch(rng, 'SIGTERM') },
  { id: 'concurrent-resume', title: 'concurrent resume of a live run', needs: 'local', run: (rng) => concurrentResume(rng) },
  {
    id: 'redis-coordinator-sigkill',
    title: 'coordinator SIGKILL (Redis), then resume',
    needs: 'redis',
    run: (rng, rig) => coordinatorKillRedis(need(rig), rng),
  },
  {
    id: 'redis-coordinator-sigint',
    title: 'Ctrl-C (Redis), then resume',
    needs: 'redis',
    run: (rng, rig) => signalSearch(rng, 'SIGINT', need(rig)),
  },
  {
    id: 'redis-coordinator-sigterm',
    title: 'SIGTERM (Redis), then resume',
    needs: 'redis',
    run: (rng, rig) => signalSearch(rng, 'SIGTERM', need(rig)),
  },
  { id: 'redis-worker-sigkill', title: 'worker SIGKILL (Redis)', needs: 'redis', run: (rng, rig) => workerKill(need(rig), rng) },
  { id: 'redis-sigkill-restart', title: 'redis-server SIGKILL + restart', needs: 'redis', run: (rng, rig) => redisKillRestart(need(rig), rng) },
  {
    id: 'redis-gone-wait',
    title: 'redis-server SIGKILL for good (--worker-wait), then resume',
    needs: 'redis',
    run: (rng, rig) => redisKillForGood(need(rig), rng, 'wait'),
  },
  {
    id: 'redis-gone-sigint',
    title: 'redis-server SIGKILL for good + Ctrl-C, then resume',
    needs: 'redis',
    run: (rng, rig) => redisKillForGood(need(rig), rng, 'SIGINT'),
  },
  {
    id: 'redis-gone-sigterm',
    title: 'redis-server SIGKILL for good + SIGTERM, then resume',
    needs: 'redis',
    run: (rng, rig) => redisKillForGood(need(rig), rng, 'SIGTERM'),
  },
];

export interface FaultOptions {
  readonly runs: number;
  readonly scenarios: readonly Scenario[];
  readonly progress: string;
}

/** The section's options, from the environment (a Section takes no flags); a bad value is a usage error naming it. */
export function faultOptions(env: NodeJS.ProcessEnv, quick: boolean, progressDir?: string): FaultOptions {
  const runs = quick ? 3 : Number(env.FAULT_RUNS ?? 20);
  if (!Number.isSafeInteger(runs) || runs < 1) throw errors.option('FAULT_RUNS', 'a whole number >= 1', env.FAULT_RUNS);
  const ids = (env.FAULT_SCENARIOS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = ids.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0)
    throw errors.option('FAULT_SCENARIOS', `a comma-separated list of ${SCENARIOS.map((s) => s.id).join(', ')}`, env.FAULT_SCENARIOS);
  return {
    runs,
    scenarios: ids.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => ids.includes(s.id)),
    progress:
      env.FAULT_PROGRESS ??
      (progressDir !== undefined
        ? join(progressDir, 'faults-progress.jsonl')
        : join('benchmarks', 'results', quick ? 'tmp-quick-faults-progress.jsonl' : 'tmp-faults-progress.jsonl')),
  };
}

/** A hash of the compiled code a scenario exercises (dist/ beside this file) and of the fixtures it runs. */
export function codeHash(): string {
  const dist = fileURLToPath(new URL('..', import.meta.url));
  const hash = createHash('sha256');
  const add = (file: string) => hash.update(file.slice(dist.length)).update(readFileSync(file));
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) add(p);
    }
  };
  for (const d of ['src', 'strategies', 'bin', 'support']) if (existsSync(join(dist, d))) walk(join(dist, d));
  for (const f of ['journal-sleepy.mjs', 'journal-space.json']) hash.update(readFileSync(fixturePath(f)));
  return hash.digest('hex').slice(0, 16);
}

/** Rows of the progress file measured with this code and at least this many runs, by scenario id (the newest wins). */
export function readProgress(file: string, code: string, runs: number): Map<string, FaultRow> {
  const rows = new Map<string, FaultRow>();
  // A torn last line of a run that was killed is left out by readJsonLines.
  for (const row of readJsonLines(file) as Partial<FaultRow>[]) {
    if (row.code === code && typeof row.runs === 'number' && row.runs >= runs && typeof row.id === 'string') rows.set(row.id, row as FaultRow);
  }
  return rows;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? 0 : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function measure(scenario: Scenario, runs: number, rig: RedisRig | undefined, code: string): Promise<FaultRow> {
  const rng = rngFor(18, scenario.id);
  const tally = { lost: 0, duplicated: 0, wrongBest: 0, hangs: 0, otherProblems: 0 };
  const examples: string[] = [];
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = Date.now();
    let r: RunResult;
    try {
      r = await scenario.run(rng, rig);
    } catch (e) {
      tally.otherProblems++;
      examples.push(e instanceof Error ? e.message : String(e));
      continue;
    } finally {
      seconds.push((Date.now() - t0) / 1000);
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
  const secondsPerRun = Math.round(median(seconds) * 10) / 10;
  return {
    id: scenario.id,
    scenario: scenario.title,
    runs,
    ...tally,
    examples: examples.slice(0, 3),
    secondsPerRun,
    measuredAt: new Date().toISOString(),
    code,
  };
}

export async function faultBenchmark(opts: FaultOptions & { log: (line: string) => void }): Promise<FaultRow[]> {
  const code = codeHash();
  const done = readProgress(opts.progress, code, opts.runs);
  const todo = opts.scenarios.filter((s) => !done.has(s.id));
  if (done.size > 0) opts.log(`reusing ${opts.scenarios.length - todo.length} scenario(s) measured with this code from ${opts.progress}`);
  const rows: FaultRow[] = [];
  let rig: RedisRig | undefined;
  try {
    if (todo.length > 0) await uninterrupted();
    if (todo.some((s) => s.needs === 'redis') && redisServerBinary) rig = await redisRig();
    for (const scenario of opts.scenarios) {
      const saved = done.get(scenario.id);
      if (saved) {
        rows.push(saved);
        continue;
      }
      if (scenario.needs === 'redis' && !rig) {
        opts.log(`${scenario.id}: skipped (no redis-server)`);
        continue;
      }
      const row = await measure(scenario, opts.runs, rig, code);
      removeTemps();
      mkdirSync(dirname(opts.progress), { recursive: true });
      appendJsonLine(opts.progress, row);
      opts.log(`${scenario.id}: ${row.runs} runs in ${row.secondsPerRun} s each (median), ${JSON.stringify({ ...row, examples: undefined })}`);
      rows.push(row);
    }
  } finally {
    removeTemps();
    await rig?.stop();
  }
  return rows;
}

export function toMarkdown(rows: readonly FaultRow[]): string {
  const head =
    '| scenario | id | runs | lost | duplicated | wrong best | hangs | other problems | s per run (median) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |';
  const body = rows
    .map(
      (r) =>
        `| ${r.scenario} | \`${r.id ?? ''}\` | ${r.runs} | ${r.lost} | ${r.duplicated} | ${r.wrongBest} | ${r.hangs} | ${r.otherProblems} | ${r.secondsPerRun ?? ''} |`,
    )
    .join('\n');
  const notes = rows.flatMap((r) => r.examples.map((e) => `- ${r.scenario}: ${e.replace(/\n/g, ' ').slice(0, 200)}`));
  const when = rows
    .map((r) => r.measuredAt)
    .filter((t): t is string => typeof t === 'string')
    .sort();
  return (
    'Each run: a search of 40 trials (8 ms each, GA, seed 5) hit by the fault at a seeded random moment, resumed if the fault ' +
    'ended it; lost / duplicated count trials 0..39 without / with more than one finished line; wrong best counts runs whose ' +
    'trials or best differ from a run that never stopped; hangs counts processes that did not exit within 5 s of the decision ' +
    '(10 s more after Ctrl-C/SIGTERM, the grace running trials get; 5 s of slack for a loaded machine); other problems counts ' +
    'runs where another check of the scenario failed (an exit code, a message). Scenarios ran one after another' +
    (when.length > 1 ? `, finishing between ${when[0]} and ${when.at(-1)} (rows are recorded as each ends)` : '') +
    '.\n\n' +
    `${head}\n${body}\n${notes.length > 0 ? `\n${notes.join('\n')}\n` : ''}`
  );
}
