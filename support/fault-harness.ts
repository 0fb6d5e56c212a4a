/**
 * Fault injection with real processes: the CLI as a user runs it (from dist/: build first), a real redis-server on
 * 127.0.0.1 (test/redis-harness.ts), real signals. Each scenario runs one search to its end through the fault
 * (a kill at a random moment, chosen by a seeded RNG, then a resume if the fault ended the search) and returns what
 * a user would check: every trial 0..N-1 recorded exactly once, the same best as a run that never stopped, the
 * exit codes, and whether every process ended within its bound. Used by test/fault-injection.test.ts (a few
 * moments per scenario) and benchmarks/faults.ts (20 or more).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Rng } from '../src/util/rng.js';
import { CLI, startRedis, startWorker, type RedisServer, type WorkerProcess } from './redis-harness.js';

/** From support/ (vitest) or dist/support/ (the benchmark): the fixtures stay in test/fixtures. */
export const fixturePath = (name: string) => {
  const here = fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));
  return existsSync(here) ? here : fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
};

export const BUDGET = 40;
/** The search every scenario runs: 8 ms trials, GA generations of 8, so that a kill lands between and inside trials. */
export const searchArgs = (): string[] => [
  'search',
  '--fitness',
  fixturePath('journal-sleepy.mjs'),
  '--space',
  fixturePath('journal-space.json'),
  '--strategy',
  'ga',
  '--strategy-options',
  '{"populationSize":8}',
  '--budget',
  String(BUDGET),
  '--seed',
  '5',
];

/**
 * Bounds a process must end within, after the moment that decides its end. The decisions: a signal, the worker
 * wait running out, the last trial. Ctrl-C or SIGTERM give running trials 10 s (the documented grace) first.
 * SLACK covers a loaded machine (a shared 2-core box starts node in 1-3 s).
 */
export const EXIT_BOUND_MS = 5_000;
export const GRACE_MS = 10_000;
const SLACK_MS = 5_000;

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  out(): string;
  err(): string;
  /** Exit code, or the signal's name. */
  readonly exited: Promise<number | string>;
  /** Waits at most `ms` for the exit: the code, or 'hang' (the process is then SIGKILLed). */
  endWithin(ms: number): Promise<number | string>;
}

export function run(args: readonly string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | string>((res) => child.on('close', (code, signal) => res(code ?? signal ?? 'unknown')));
  return {
    child,
    pid: child.pid!,
    out: () => out,
    err: () => err,
    exited,
    endWithin: async (ms) => {
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([exited, new Promise<'hang'>((res) => (timer = setTimeout(() => res('hang'), ms + SLACK_MS)))]);
      clearTimeout(timer);
      if (r === 'hang') {
        child.kill('SIGKILL');
        await exited;
      }
      return r;
    },
  };
}

/** Runs to the end (bounded by a minute: a search of 40 short trials that takes longer is hung). */
export const complete = (args: readonly string[], env?: Record<string, string>) => run(args, env).endWithin(60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function finishedCount(out: string): number {
  const file = join(out, 'journal.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('"type":"finished"').length - 1 : 0;
}

/** Waits until the run has `n` finished trials, then a random 0-12 ms more (a kill then lands inside trials too). */
export async function atMoment(out: string, n: number, rng: Rng, proc?: Proc): Promise<void> {
  const t0 = Date.now();
  while (finishedCount(out) < n) {
    if (proc && proc.child.exitCode !== null) return;
    if (Date.now() - t0 > 60_000) throw new Error(`${out}: never reached ${n} finished trials`);
    await sleep(3);
  }
  await sleep(Math.floor(rng() * 12));
}

/** A trial's row as the journal has it: number, point and value (or failure kind). */
type Row = readonly [number, readonly number[], number | string];

export interface Audit {
  /** Trials 0..BUDGET-1 without a finished line. */
  readonly lost: number;
  /** Trials with more than one finished line. */
  readonly duplicated: number;
  /** The rows or the best differ from the uninterrupted run's. */
  readonly wrongBest: boolean;
}

interface Outcome {
  readonly rows: Map<number, Row[]>;
  readonly best: unknown;
}

/** Reads the raw journal (not through the reader, which would refuse duplicates): what each trial recorded. */
function outcome(out: string): Outcome {
  const rows = new Map<number, Row[]>();
  let best: unknown;
  const file = join(out, 'journal.jsonl');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const line of text.split('\n')) {
    let l: Record<string, unknown>;
    try {
      l = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (l.type === 'finished') {
      const n = l.trial as number;
      rows.set(n, [...(rows.get(n) ?? []), [n, l.x as number[], (l.value ?? l.kind) as number | string]]);
    } else if (l.type === 'done') best = l.best;
  }
  return { rows, best };
}

let reference: Outcome | undefined;
/** The uninterrupted run every scenario is compared with (computed once per process). */
export async function uninterrupted(): Promise<Outcome> {
  if (!reference) {
    const out = tempRun();
    const code = await complete([...searchArgs(), '--workers', '2', '--out', out, '--json']);
    if (code !== 0) throw new Error(`the reference run exited with ${code}`);
    reference = outcome(out);
  }
  return reference;
}

export async function audit(out: string): Promise<Audit> {
  const ref = await uninterrupted();
  const got = outcome(out);
  let lost = 0;
  let duplicated = 0;
  let same = JSON.stringify(got.best) === JSON.stringify(ref.best);
  for (let n = 0; n < BUDGET; n++) {
    const rows = got.rows.get(n) ?? [];
    if (rows.length === 0) lost++;
    if (rows.length > 1) duplicated++;
    if (rows.length > 0 && JSON.stringify(rows[0]) !== JSON.stringify(ref.rows.get(n)?.[0])) same = false;
  }
  return { lost, duplicated, wrongBest: !same };
}

const temps: string[] = [];
export function tempRun(): string {
  const dir = mkdtempSync(join(tmpdir(), 'evotune-fault-'));
  temps.push(dir);
  return join(dir, 'run');
}
export function removeTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** One run of a scenario: the audit, the exit codes seen (in order) and the processes that overran their bound. */
export interface RunResult extends Audit {
  readonly codes: readonly (number | string)[];
  readonly hangs: number;
  /** Anything the scenario checked beyond the audit that went wrong (empty: all as expected). */
  readonly problems: readonly string[];
}

const result = async (out: string, codes: (number | string)[], problems: string[] = []): Promise<RunResult> => ({
  ...(await audit(out)),
  codes,
  hangs: codes.filter((c) => c === 'hang').length,
  problems,
});

// ---------------------------------------------------------------- local pool

/** SIGKILL the search at a random moment, then resume it to its end. */
export async function coordinatorKillLocal(rng: Rng): Promise<RunResult> {
  const out = tempRun();
  const first = run([...searchArgs(), '--workers', '2', '--out', out, '--json']);
  await atMoment(out, 1 + Math.floor(rng() * (BUDGET - 2)), rng, first);
  first.child.kill('SIGKILL');
  const codes = [await first.endWithin(EXIT_BOUND_MS)];
  codes.push(await complete(['search', '--resume', out, '--json']));
  const problems = codes[1] === 0 ? [] : [`resume exited ${codes[1]}`];
  return result(out, codes, problems);
}

/**
 * Ctrl-C (SIGINT) or SIGTERM once at a random moment: exit 1 with the resume hint, then resume to the end. With a
 * rig, the search runs on Redis, and the resume (given no --executor: the run recorded it) must run there again.
 */
export async function signalSearch(rng: Rng, signal: 'SIGINT' | 'SIGTERM', rig?: RedisRig): Promise<RunResult> {
  if (rig && rig.workers.length === 0) await rig.worker();
  const out = tempRun();
  const first = run(rig ? redisSearch(rig, out) : [...searchArgs(), '--workers', '2', '--out', out]);
  await atMoment(out, 1 + Math.floor(rng() * (BUDGET - 2)), rng, first);
  first.child.kill(signal);
  const codes = [await first.endWithin(GRACE_MS + EXIT_BOUND_MS)];
  const problems: string[] = [];
  // It may have finished the budget before the signal landed: then it exits 0.
  if (codes[0] === 1) {
    if (!first.err().includes(`resume with: evotune search --resume ${out}`)) problems.push(`no resume hint: ${first.err()}`);
    if (!/interrupted/.test(first.out())) problems.push(`the summary does not say it was interrupted: ${first.out().split('\n')[1]}`);
  } else if (codes[0] !== 0) problems.push(`exit ${codes[0]} after ${signal}: ${first.err()}`);
  if (/stopped by stopped/.test(first.out())) problems.push('"stopped by stopped"');
  const resumed = run(['search', '--resume', out, '--json']);
  codes.push(await resumed.endWithin(60_000));
  if (codes[1] !== 0) problems.push(`resume exited ${codes[1]}: ${resumed.err()}`);
  // A signal in the last generation lets it finish (exit 0): the resume then only reports the complete run.
  else if (rig && !/"alreadyComplete":true/.test(resumed.out()) && !/redis queue/.test(resumed.out()))
    problems.push('the resume did not run on Redis');
  return result(out, codes, problems);
}

/**
 * A resume started while the run is still going: refused (exit 2, naming the PID); the run ends whole. The run is
 * held live by a gate (trials from a random one on wait for a file) until the second process has ended: a run that
 * merely sleeps can end before a second node process reaches the lock on a loaded machine, and that second process
 * then resumes a complete run (exit 0, "already complete"), which is right but tests nothing.
 */
export async function concurrentResume(rng: Rng): Promise<RunResult> {
  const out = tempRun();
  const gate = join(dirname(out), 'gate');
  const moment = 1 + Math.floor(rng() * 6);
  const gateTrial = moment + 1 + Math.floor(rng() * (BUDGET - 2 - moment));
  const first = run([...searchArgs(), '--workers', '2', '--out', out, '--json'], { SLEEPY_GATE: gate, SLEEPY_GATE_TRIAL: String(gateTrial) });
  await atMoment(out, moment, rng, first);
  const second = run(['search', '--resume', out, '--json']);
  const codes = [await second.endWithin(60_000)];
  const problems: string[] = [];
  if (first.child.exitCode !== null) problems.push(`the run ended (exit ${first.child.exitCode}) before the second process did: ${first.err()}`);
  writeFileSync(gate, '');
  codes.push(await first.endWithin(60_000));
  if (codes[0] !== 2) problems.push(`the second process exited ${codes[0]}, not 2: ${second.err()}`);
  const lines = second
    .err()
    .split('\n')
    .filter((l) => l.startsWith('evotune: '));
  if (!lines.some((l) => l.includes(`in use by process ${first.pid}`))) problems.push(`no line naming process ${first.pid}: ${second.err()}`);
  if (codes[1] !== 0) problems.push(`the run exited ${codes[1]}: ${first.err()}`);
  const exported = run(['export', out, '--json']);
  if ((await exported.endWithin(60_000)) !== 0) problems.push(`export exited: ${exported.err()}`);
  return result(out, codes, problems);
}

// ---------------------------------------------------------------- Redis

export interface RedisRig {
  redis: RedisServer;
  readonly workers: WorkerProcess[];
  worker(args?: readonly string[]): Promise<WorkerProcess>;
  stop(): Promise<void>;
}

export async function redisRig(): Promise<RedisRig> {
  const rig: RedisRig = {
    redis: await startRedis(),
    workers: [],
    async worker(args = ['--concurrency', '2']) {
      const w = startWorker(rig.redis.url, args);
      rig.workers.push(w);
      await w.waitFor(/trial slot/, 60_000);
      return w;
    },
    async stop() {
      for (const w of rig.workers.splice(0)) {
        w.kill('SIGKILL');
        await w.exited;
      }
      await rig.redis.stop();
    },
  };
  return rig;
}

const redisSearch = (rig: RedisRig, out: string, extra: string[] = []) => [...searchArgs(), '--executor', rig.redis.url, '--out', out, ...extra];

/** SIGKILL the search (coordinator) at a random moment; resume it through the same Redis. */
export async function coordinatorKillRedis(rig: RedisRig, rng: Rng): Promise<RunResult> {
  if (rig.workers.length === 0) await rig.worker();
  const out = tempRun();
  const first = run(redisSearch(rig, out, ['--json']));
  await atMoment(out, 1 + Math.floor(rng() * (BUDGET - 2)), rng, first);
  first.child.kill('SIGKILL');
  const codes = [await first.endWithin(EXIT_BOUND_MS)];
  // No --executor: the run folder recorded it (a password-less URL), so the resume runs on Redis again.
  const resumed = run(['search', '--resume', out, '--json']);
  codes.push(await resumed.endWithin(60_000));
  const problems = codes[1] === 0 ? [] : [`resume exited ${codes[1]}: ${resumed.err()}`];
  if (codes[1] === 0 && !/redis queue/.test(resumed.out())) problems.push('the resume did not run on Redis');
  return result(out, codes, problems);
}

/** SIGKILL one of two workers at a random moment: its trials go to the other; the search ends whole. */
export async function workerKill(rig: RedisRig, rng: Rng): Promise<RunResult> {
  for (const w of rig.workers.splice(0)) w.kill('SIGKILL');
  const [a] = [await rig.worker(['--concurrency', '1', '--stall-timeout', '2']), await rig.worker(['--concurrency', '1', '--stall-timeout', '2'])];
  const out = tempRun();
  const search = run(redisSearch(rig, out, ['--json']));
  await atMoment(out, Math.floor(rng() * (BUDGET - 2)), rng, search);
  a!.kill('SIGKILL');
  const codes = [await search.endWithin(60_000)];
  return result(out, codes, codes[0] === 0 ? [] : [`search exited ${codes[0]}`]);
}

/** SIGKILL redis-server at a random moment and start it again, empty: the search ends whole, exit 0. */
export async function redisKillRestart(rig: RedisRig, rng: Rng): Promise<RunResult> {
  if (rig.workers.length === 0) await rig.worker();
  const out = tempRun();
  const search = run(redisSearch(rig, out, ['--json']));
  await atMoment(out, Math.floor(rng() * (BUDGET - 2)), rng, search);
  await rig.redis.restart();
  const codes = [await search.endWithin(60_000)];
  return result(out, codes, codes[0] === 0 ? [] : [`search exited ${codes[0]}: ${search.err()}`]);
}

/**
 * SIGKILL redis-server for good at a random moment. `then`: 'wait' lets --worker-wait (2 s) end the search (exit
 * 1); 'SIGINT' / 'SIGTERM' interrupts it first. Either way the search and the worker (one SIGTERM) must end within
 * their bounds. Redis then comes back (empty) and the run is resumed to its end.
 */
export async function redisKillForGood(rig: RedisRig, rng: Rng, then: 'wait' | 'SIGINT' | 'SIGTERM'): Promise<RunResult> {
  const worker = rig.workers[0] ?? (await rig.worker());
  const out = tempRun();
  const search = run(redisSearch(rig, out, ['--worker-wait', then === 'wait' ? '2' : '600']));
  await atMoment(out, Math.floor(rng() * (BUDGET - 2)), rng, search);
  const killed = rig.redis.stop();
  await killed;
  const problems: string[] = [];
  if (then !== 'wait') search.child.kill(then);
  worker.kill('SIGTERM');
  const [searchCode, workerCode] = await Promise.all([
    search.endWithin(then === 'wait' ? 2_000 + 1_000 + EXIT_BOUND_MS : GRACE_MS + EXIT_BOUND_MS),
    Promise.race([worker.exited, sleep(EXIT_BOUND_MS + SLACK_MS).then(() => 'hang' as const)]),
  ]);
  rig.workers.splice(rig.workers.indexOf(worker), 1);
  if (workerCode === 'hang') worker.kill('SIGKILL');
  const codes: (number | string)[] = [searchCode, workerCode];
  if (searchCode !== 1 && searchCode !== 0) problems.push(`search exited ${searchCode}`);
  if (then !== 'wait' && searchCode === 1 && !search.err().includes(`--resume ${out}`)) problems.push(`no resume hint: ${search.err()}`);
  rig.redis = await startRedis();
  await rig.worker();
  // The run recorded --worker-wait 2 (the fault's): on a loaded machine a worker may take longer to take up the resumed study.
  const resumed = run(['search', '--resume', out, '--executor', rig.redis.url, '--worker-wait', '60', '--json']);
  codes.push(await resumed.endWithin(60_000));
  if (codes[2] !== 0) problems.push(`resume exited ${codes[2]}: ${resumed.err()}`);
  return result(out, codes, problems);
}
