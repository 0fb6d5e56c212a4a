import type { Argv, ArgumentsCamelCase } from 'yargs';
import { errors } from '../../errors.js';
import { search, type SearchInput, type SearchResult } from '../../search.js';
import type { Best, StudyEvent } from '../../study/types.js';
import type { RunData } from '../../report/data.js';
import { completedRun, completedRunJson } from '../complete-run.js';
import { DEFAULT_STRATEGY, strategyNames } from '../../../strategies/index.js';
import { schedulerNames } from '../../study/schedulers/index.js';
import { BACKENDS, UNBOUNDED_TRIALS, parseSearchOptions, searchOptionsSchema, type SearchOptions } from '../../options.js';
import { DEFAULT_MULTI_STRATEGY, DIRECTIONS } from '../../study/objectives.js';
import { flagName, formatValue, stopPhrase } from '../output.js';
import { existsSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { basename, join } from 'node:path';
import { givenOptions, planResume } from '../../search/resume.js';
import { loadConfigFile } from '../config.js';
import { LOCAL_EXECUTOR, passwordPlaceholder, withoutPassword } from '../../eval/queue/url.js';
import { createProgress, progressMode, stageLine } from '../progress.js';
import { lrRangeSummary } from './lr-find.js';

export const command = 'search';
export const describe = 'Search hyperparameters of a task or a fitness module with a population strategy';

export function builder(y: Argv) {
  return y
    .usage(
      `$0 search (--task NAME | --fitness FILE --space FILE | --resume DIR) [options]\n\n${describe}. One of --task or --fitness is required (or --resume, or a --config file naming one).`,
    )
    .option('task', {
      type: 'string',
      requiresArg: true,
      describe: 'bundled task name (see `evotune tasks`) or path to a task module; this or --fitness is required',
    })
    .option('fitness', {
      type: 'string',
      requiresArg: true,
      describe: 'path to a fitness module: its default export (params, ctx) => loss; needs --space',
    })
    .option('space', { type: 'string', requiresArg: true, describe: "path to a space JSON file (default: the task's space)" })
    .option('strategy', {
      type: 'string',
      requiresArg: true,
      describe: `search strategy: ${strategyNames().join(', ')} (default ${DEFAULT_STRATEGY}; see \`evotune strategies\`)`,
    })
    .option('strategy-options', { type: 'string', requiresArg: true, describe: 'strategy options as JSON, e.g. \'{"populationSize":30}\'' })
    .option('budget', { type: 'number', requiresArg: true, describe: 'number of evaluations (default 100)' })
    .option('budget-epochs', {
      type: 'number',
      requiresArg: true,
      describe: 'resource budget: stop once trials trained this many epochs in all (a fitness module: its reported steps)',
    })
    .option('scheduler', {
      type: 'string',
      requiresArg: true,
      describe: `stop bad trials early on their intermediate values: ${schedulerNames().join(', ')} (default: none)`,
    })
    .option('scheduler-options', {
      type: 'string',
      requiresArg: true,
      describe: 'scheduler options as JSON, e.g. \'{"reductionFactor":3,"minResource":1}\'',
    })
    .option('tell-pruned', {
      type: 'string',
      requiresArg: true,
      choices: ['last', 'worst'],
      describe: 'what the strategy is told for a pruned trial: its last value (default) or the worst',
    })
    .option('time-budget', { type: 'number', requiresArg: true, describe: 'stop after this many seconds (not reproducible)' })
    .option('workers', { type: 'number', requiresArg: true, describe: 'worker threads (default: number of cores)' })
    .option('executor', {
      type: 'string',
      requiresArg: true,
      describe: 'where trials run: "threads" (default), or redis://host:6379 (rediss:// for TLS) served by `evotune worker`s',
    })
    .option('worker-wait', {
      type: 'number',
      requiresArg: true,
      describe: 'with a redis executor: give up after this many seconds without a worker (default: wait)',
    })
    .option('seed', { type: 'number', requiresArg: true, describe: 'root seed: decides every trial (default 0)' })
    .option('backend', {
      type: 'string',
      requiresArg: true,
      choices: BACKENDS as unknown as string[],
      describe: 'tfjs backend for tasks (default auto)',
    })
    .option('trial-timeout', { type: 'number', requiresArg: true, describe: 'seconds a trial may run before its worker is replaced' })
    .option('max-heap-mb', { type: 'number', requiresArg: true, describe: 'heap limit per worker in MB' })
    .option('lr-bounds', { type: 'string', requiresArg: true, describe: 'LR range: "auto" (run the LR range test first) or LO,HI' })
    .option('target', { type: 'number', requiresArg: true, describe: 'stop once the best value is at or below this' })
    .option('objective', {
      type: 'string',
      requiresArg: true,
      describe: 'the metric to optimise: loss (default) or any metric the fitness or task returns (accuracy, trainMs, params, ...)',
    })
    .option('direction', {
      type: 'string',
      requiresArg: true,
      choices: DIRECTIONS as unknown as string[],
      describe: 'minimize (default) or maximize the objective',
    })
    .option('objectives', {
      type: 'string',
      requiresArg: true,
      describe: 'several metrics, e.g. loss,trainMs: search for the Pareto front (strategies nsga2, smsemoa)',
    })
    .option('directions', {
      type: 'string',
      requiresArg: true,
      describe: 'one direction per objective, e.g. minimize,maximize (default: all minimize)',
    })
    .option('constraint', {
      type: 'string',
      requiresArg: true,
      describe: 'a metric that must be <= 0, or METRIC<=NUMBER / METRIC>=NUMBER such as "params<=5e4" (repeatable)',
    })
    .option('max-consecutive-failures', { type: 'number', requiresArg: true, describe: 'stop after this many failed trials in a row (0: never)' })
    .option('out', {
      type: 'string',
      requiresArg: true,
      describe: "folder for the run's config and journal (default: runs/<strategy>-<task>-<seed>-<time>, named on stderr)",
    })
    .option('resume', {
      type: 'string',
      requiresArg: true,
      describe: 'continue the run in this folder (after a crash or Ctrl-C); --budget may be raised',
    })
    .option('config', {
      type: 'string',
      requiresArg: true,
      describe: 'JSON file of search options ({"task": "digits", "budget": 200, ...}); flags override it',
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print one JSON object with the result on stdout (no progress; messages stay on stderr)',
    })
    .group(['task', 'fitness', 'space', 'lr-bounds'], 'What to optimise:')
    .group(['strategy', 'strategy-options', 'budget', 'budget-epochs', 'time-budget', 'target', 'max-consecutive-failures', 'seed'], 'Search:')
    .group(['scheduler', 'scheduler-options', 'tell-pruned'], 'Early stopping (multi-fidelity):')
    .group(['workers', 'executor', 'worker-wait', 'backend', 'trial-timeout', 'max-heap-mb'], 'Where trials run:')
    .group(['out', 'resume', 'config', 'json'], 'Run folder and output:')
    .example('$0 search --task digits', `${DEFAULT_STRATEGY} on the bundled digits task, 100 trials, run folder under runs/`)
    .example('$0 search --task digits --lr-bounds auto --strategy ga', 'LR range test first, then GA within its bounds')
    .example('$0 search --fitness ./f.mjs --space ./s.json --json', 'your own fitness module; the result as JSON')
    .example('$0 search --resume runs/d1 --budget 300', 'continue a run (after Ctrl-C or a crash), with a larger budget')
    .epilog(
      'Ctrl-C (or SIGTERM) once: no new generation starts, running trials get 10 s to finish, the journal is closed, exit code 1 ' +
        'and the command to resume. Twice: quit at once (exit 130; the journal stays whole).',
    );
}

type Args = ArgumentsCamelCase<Record<string, unknown>>;

/** Turns parsed flags into library input; only flags the user gave are passed, so defaults live in one place. */
export function searchInputFromArgs(args: Args): SearchInput {
  const keys = [
    'task',
    'fitness',
    'space',
    'strategy',
    'budget',
    'budgetEpochs',
    'scheduler',
    'tellPruned',
    'timeBudget',
    'workers',
    'executor',
    'workerWait',
    'seed',
    'backend',
    'trialTimeout',
    'maxHeapMb',
    'target',
    'maxConsecutiveFailures',
    'out',
  ] as const;
  const input: Record<string, unknown> = {};
  for (const k of keys) if (args[k] !== undefined) input[k] = args[k];
  if (args.strategyOptions !== undefined) input.strategyOptions = parseJsonFlag('--strategy-options', args.strategyOptions);
  if (args.schedulerOptions !== undefined) input.schedulerOptions = parseJsonFlag('--scheduler-options', args.schedulerOptions);
  if (args.lrBounds !== undefined) input.lrBounds = parseLrBounds(String(args.lrBounds));
  for (const k of ['objective', 'direction'] as const) if (args[k] !== undefined) input[k] = args[k];
  for (const k of ['objectives', 'directions'] as const)
    if (args[k] !== undefined)
      input[k] = String(args[k])
        .split(',')
        .map((p) => p.trim());
  if (args.constraint !== undefined) input.constraint = Array.isArray(args.constraint) ? args.constraint.map(String) : String(args.constraint);
  return input as SearchInput;
}

function parseJsonFlag(flag: string, raw: unknown): unknown {
  try {
    return JSON.parse(String(raw));
  } catch {
    throw errors.option(flag, 'a JSON object such as \'{"populationSize": 30}\'', raw);
  }
}

export function parseLrBounds(raw: string): 'auto' | [number, number] {
  if (raw === 'auto') return 'auto';
  const parts = raw.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length !== 2 || parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n))) {
    throw errors.lrBounds(`expected "auto" or LO,HI such as 1e-4,1e-1, got "${raw}"`);
  }
  return [nums[0]!, nums[1]!];
}

export async function handler(args: Args): Promise<void> {
  const json = args.json === true;
  const err = process.stderr;
  let run: RunToStart;
  try {
    run = runToStart(args);
  } catch (e) {
    throw renameFields(e);
  }
  if (run.resumed) {
    const complete = completedRun(run.dir, run.budget, run.options.budgetEpochs);
    if (complete) return printCompleted(complete, json);
  }
  const mode = progressMode(json, err);
  const local = run.options.executor === LOCAL_EXECUTOR;
  const progress = createProgress(mode, run.budget, err, undefined, local ? run.options.workers : undefined);
  // Named once the journal exists (when the workers start), not before: a search that fails to start leaves no folder.
  // With --json too when evotune chose the folder: the user did not ask for it, so they are told where it is.
  let named = json && !run.defaultDir;
  const name = () => {
    if (!named) progress.log(`${run.resumed ? 'resuming' : 'run folder'} ${run.dir}`);
    named = true;
  };
  const onEvent = (e: StudyEvent) => {
    name();
    progress.onEvent(e);
  };
  const resumeHint = resumeCommand(run);
  const signals = watchSignals({
    first: (sig) =>
      progress.log(
        `evotune: ${sig}: stopping; running trials get ${GRACE_MS / 1000} s to finish (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again quits at once)`,
      ),
    second: () => {
      progress.stop();
      err.write(`evotune: stopped at once; the journal is intact\nhint: ${resumeHint}\n`);
    },
  });
  let result: SearchResult;
  try {
    result = await search({
      ...run.input,
      onEvent,
      onWarning: (w) => progress.log(`evotune: warning: ${w}`),
      // Before the first trial there can be seconds of silence (an LR range test, workers loading tfjs and warming up).
      onStage: (stage) => {
        if (stage === 'workers') name(); // the journal exists from here on
        if (mode !== 'off') progress.log(stageLine(stage, run.options));
      },
      stopSignal: signals.stopSignal,
      abortSignal: signals.abortSignal,
    });
  } catch (e) {
    throw renameFields(e);
  } finally {
    progress.stop();
    signals.dispose();
  }
  if (json) process.stdout.write(`${JSON.stringify(toJson(result))}\n`);
  else printResult(result);
  // A signal that came after the last trial (while the search closed) interrupted nothing: the run is complete.
  if (signals.received() && result.stoppedBy === 'stopped') throw errors.interrupted(resumeHint);
}

/**
 * The command that resumes the run. The run folder records a Redis executor without its password: the command
 * then names it, with *** for the password to put back (the journal and this hint never hold the password).
 */
function resumeCommand(run: RunToStart): string {
  const base = `resume with: evotune search --resume ${run.dir}`;
  const executor = run.input.executor;
  if (executor === undefined || executor === LOCAL_EXECUTOR || withoutPassword(executor) === executor) return base;
  return `${base} --executor '${passwordPlaceholder(executor)}' (with the password in place of ***)`;
}

/** What the command will run: the input (flags over --config, or a resume), its folder and its budget. */
interface RunToStart {
  readonly input: SearchInput;
  /** The options as they will run (a resumed run's with the changes given now). */
  readonly options: SearchOptions;
  readonly dir: string;
  readonly resumed: boolean;
  /** True when the folder is the default under runs/ (no --out). */
  readonly defaultDir: boolean;
  readonly budget: number;
}

function runToStart(args: Args): RunToStart {
  const flags = searchInputFromArgs(args);
  if (typeof args.resume === 'string') {
    if (args.config !== undefined) throw errors.optionConflict('give either --resume (the run keeps its config) or --config, not both');
    const plan = planResume(args.resume, flags);
    const options = parseSearchOptions(plan.options);
    return { input: { ...flags, resume: args.resume }, options, dir: args.resume, resumed: true, defaultDir: false, budget: options.budget };
  }
  const input = { ...(typeof args.config === 'string' ? loadConfigFile(args.config) : {}), ...flags } as SearchInput;
  const options = parseSearchOptions(givenOptions(input));
  const dir = options.out ?? defaultRunDir(options);
  return { input: { ...input, out: dir }, options, dir, resumed: false, defaultDir: options.out === undefined, budget: options.budget };
}

/** runs/<strategy>-<task or fitness name>-<seed>-<UTC time>, unique. */
export function defaultRunDir(o: SearchOptions, now = new Date()): string {
  const what = o.task ?? o.fitness ?? 'search';
  const name = basename(what.replace(/^file:\/\//, '')).replace(/\.[^.]*$/, '');
  const time = now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:]/g, '')
    .replace('T', '-');
  const base = join(
    'runs',
    `${o.strategy ?? ((o.objectives?.length ?? 1) > 1 ? DEFAULT_MULTI_STRATEGY : DEFAULT_STRATEGY)}-${name}-${o.seed}-${time}`,
  );
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

/** Grace period after the first SIGINT/SIGTERM before running trials are aborted. */
const GRACE_MS = 10_000;

/**
 * First SIGINT or SIGTERM: stop asking for trials, let running ones finish for GRACE_MS, then abort them; the
 * search then returns normally, so the journal is flushed and closed. A second signal exits at once with
 * 128 + signal: journal lines are written whole and synchronously, so even then none is torn.
 */
function watchSignals(on: { first: (sig: NodeJS.Signals) => void; second: (sig: NodeJS.Signals) => void }) {
  const stop = new AbortController();
  const abort = new AbortController();
  // Every running trial listens on the abort signal: a population of 50 is not a leak.
  setMaxListeners(0, abort.signal);
  let received: NodeJS.Signals | undefined;
  let timer: NodeJS.Timeout | undefined;
  const handle = (sig: NodeJS.Signals) => {
    if (received !== undefined) {
      on.second(sig);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    received = sig;
    stop.abort();
    timer = setTimeout(() => abort.abort(), GRACE_MS);
    on.first(sig);
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  return {
    stopSignal: stop.signal,
    abortSignal: abort.signal,
    received: () => received,
    dispose: () => {
      clearTimeout(timer);
      process.off('SIGINT', handle);
      process.off('SIGTERM', handle);
    },
  };
}

/** Option errors name API fields (budget); on the command line the user typed flags (--budget). Only words that
 *  are option names are renamed, so values such as "auto" or "threads" stay as they are. */
function renameFields(e: unknown): unknown {
  const code = (e as { code?: string } | undefined)?.code;
  if (!(e instanceof Error) || (code !== 'E_OPTION' && code !== 'E_RESUME')) return e;
  const keys = new Set(Object.keys(searchOptionsSchema.def.shape));
  // In the message a renamed option stays quoted ("--seed" is 4); in the hint it reads as a flag (only --budget ...).
  const rename = (text: string, quote: string) =>
    text
      .replace(/^([a-zA-Z]+)(?=[:[ ])/, (k) => (keys.has(k) ? flagName(k) : k))
      .replace(/"([a-z][a-zA-Z]+)"/g, (m, k: string) => (keys.has(k) ? `${quote}${flagName(k)}${quote}` : m));
  e.message = rename(e.message, '"');
  const hinted = e as { hint?: string };
  if (hinted.hint) Object.assign(e, { hint: rename(hinted.hint, '') });
  return e;
}

export function toJson(r: SearchResult) {
  const { history: _h, ...rest } = r;
  return { ...rest, elapsedMs: Math.round(r.elapsedMs), utilisation: Number(r.utilisation.toFixed(4)) };
}

/** A resumed run with nothing left to do: say so and print its result, without starting a worker. */
function printCompleted(data: RunData, json: boolean): void {
  const r = completedRunJson(data);
  const epochs = data.study.config.budgetEpochs !== undefined;
  const raise = epochs ? '--budget-epochs' : '--budget';
  process.stderr.write(
    `evotune: run ${data.dir} is already complete (${r.trials} trials, stopped by ${r.stoppedBy}): nothing to run; raise ${raise} to continue it\n`,
  );
  if (json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const out = process.stdout;
  out.write(`strategy ${r.strategy}, seed ${String(r.seed)}: already complete\n`);
  out.write(`${r.trials} trials (${r.failed} failed)${r.budget < UNBOUNDED_TRIALS ? ` of budget ${r.budget}` : ''}\n`);
  printBest(r.best, r.out);
}

function printResult(r: SearchResult): void {
  const out = process.stdout;
  out.write(`strategy ${r.strategy}, seed ${r.seed}, ${r.evaluator}${r.backend ? `, backend ${r.backend}` : ''}\n`);
  const ended = [`${r.failed} failed`, ...(r.scheduler ? [`${r.pruned} pruned by ${r.scheduler}`] : [])].join(', ');
  out.write(
    `${r.trials} trials (${ended}) in ${(r.elapsedMs / 1000).toFixed(1)} s, pool utilisation ${(r.utilisation * 100).toFixed(0)}%, ${stopPhrase(r.stoppedBy)}\n`,
  );
  if (r.failed > 0)
    out.write(
      `failures: ${Object.entries(r.failuresByKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}\n`,
    );
  if (r.pruned > 0)
    out.write(
      `pruned at step: ${Object.entries(r.prunedByStep)
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ')}\n`,
    );
  if (r.scheduler || r.budgetEpochs !== undefined)
    out.write(
      `resource used: ${formatValue(r.resourceSpent)}${r.budgetEpochs !== undefined ? ` of ${formatValue(r.budgetEpochs)}` : ''} epochs (steps)\n`,
    );
  if (r.lrRange) out.write(lrRangeSummary(r.lrRange));
  if (r.constraints) out.write(`constraints ${r.constraints.join(', ')}: ${r.infeasible} of ${r.trials} trials broke them\n`);
  if (r.front && r.best) {
    printFront(r);
    return;
  }
  if (r.objectives) out.write(`objective: ${r.objectives.map((o) => `${o.direction} ${o.name}`).join(', ')}\n`);
  if (r.best?.violation !== undefined)
    out.write(`no trial met the constraints: the best below breaks them by ${formatValue(r.best.violation)} (INFEASIBLE)\n`);
  printBest(r.best, r.out);
}

/** Metrics worth a place on the summary's best line (the rest are in --json and the report). */
const BEST_METRICS = new Set(['accuracy', 'trainMs']);

function printBest(best: Best | undefined, dir: string | undefined): void {
  const out = process.stdout;
  if (!best) out.write('no trial completed\n');
  else {
    const metrics = Object.entries(best.metrics ?? {}).filter(([k]) => BEST_METRICS.has(k));
    out.write(
      `best value ${formatValue(best.value)} at trial ${best.trial}${metrics.length > 0 ? ` (${metrics.map(([k, v]) => `${k} ${typeof v === 'number' ? formatValue(v) : String(v)}`).join(', ')})` : ''}\n`,
    );
    for (const [k, v] of Object.entries(best.params)) out.write(`  ${k} = ${typeof v === 'number' ? formatValue(v) : String(v)}\n`);
  }
  if (dir !== undefined) out.write(`run folder ${dir} (pictures: evotune report ${dir})\n`);
}

/** Several objectives: the Pareto front, one line per trial, sorted by the first objective. */
function printFront(r: SearchResult): void {
  const out = process.stdout;
  const front = [...r.front!].sort((a, b) => Object.values(a.values)[0]! - Object.values(b.values)[0]!);
  out.write(
    `Pareto front (${r.objectives!.map((o) => `${o.direction} ${o.name}`).join(', ')}): ${front.length} trial${front.length === 1 ? '' : 's'}${front.length === 0 ? ' (none met the constraints)' : ''}\n`,
  );
  const show = (v: unknown) => (typeof v === 'number' ? formatValue(v) : String(v));
  for (const m of front) {
    const values = Object.entries(m.values)
      .map(([k, v]) => `${k} ${formatValue(v)}`)
      .join(', ');
    out.write(
      `  trial ${m.trial}: ${values} | ${Object.entries(m.params)
        .map(([k, v]) => `${k}=${show(v)}`)
        .join(' ')}\n`,
    );
  }
  if (r.out !== undefined) out.write(`run folder ${r.out} (pictures: evotune report ${r.out})\n`);
}
