import { join } from 'node:path';
import { describe, errors } from './errors.js';
import { parseSearchOptions, type SearchOptions, type SearchOptionsInput } from './options.js';
import { findLrParam, parseSpace, type SpaceInput, type SpaceSpec } from './space/spec.js';
import { Space } from './space/codec.js';
import { loadSpaceFile, withLogRange } from './space/load.js';
import { resolveStrategy, type StrategyName } from '../strategies/index.js';
import {
  constraintText,
  isPlain,
  objectiveSpec,
  scoreOf,
  strategyFor,
  type FrontMember,
  type Objective,
  type ObjectiveSpec,
} from './study/objectives.js';
import { InlineEvaluator } from './eval/inline.js';
import { PoolEvaluator } from './eval/pool.js';
import { QueueEvaluator } from './eval/queue/evaluator.js';
import { LOCAL_EXECUTOR, redisTarget } from './eval/queue/url.js';
import { importFitness, moduleUrl, type FitnessSource } from './eval/source.js';
import type { Evaluator, FitnessFn } from './eval/types.js';
import { runStudy } from './study/study.js';
import type { Best, StopReason, StudyEvent, TrialRecord, StudySummary } from './study/types.js';
import type { FailureKind } from './eval/types.js';
import type { LrRangeResult } from './lr-range/index.js';
import type { Task } from './tasks/types.js';
import { lockAndPlanResume, openJournal, preflightRunFolder, type LockedResumePlan } from './journal/session.js';
import type { ScheduledBy } from './study/study.js';
import { resolveScheduler, schedulerNames } from './study/schedulers/index.js';
import { MUTABLE_MID_TRAINING, taskEpochs } from './tasks/config.js';
import { lineageOf, scheduleOf, type LineageStep, type SchedulePiece } from './study/lineage.js';

/** Library input: the serialisable options, plus what only code can pass (a function, a space object, hooks). */
export type SearchInput = Omit<SearchOptionsInput, 'fitness' | 'space' | 'strategy'> & {
  /** A fitness function (run in-process), or a path / file URL of a fitness module (run in the worker pool). */
  fitness?: FitnessFn | string | URL;
  /** A space object (`log` optional), or the path of a space JSON file. */
  space?: SpaceInput | string;
  /** One of STRATEGIES (default cmaes). */
  strategy?: StrategyName;
  onEvent?: (event: StudyEvent) => void;
  /** Stop asking for trials; running ones finish. */
  stopSignal?: AbortSignal;
  /** Abort running trials too. */
  abortSignal?: AbortSignal;
  /** Continue the run in this folder (written with `out`): its config gives the options, its journal the trials
   *  already finished. Options given here must match the run's, except those in RESUMABLE_CHANGES (budget, ...). */
  resume?: string;
  /** Told before the silent stretches at the start: the LR range test, then the workers' start (and warm-up). */
  onStage?: (stage: SearchStage) => void;
  /** Problems that do not stop the search, e.g. a truncated last journal line. */
  onWarning?: (message: string) => void;
  /** With lrBounds "auto": a finished LR range test to use instead of running one (a resumed run reuses its own). */
  lrRange?: LrRangeResult;
};

export type SearchStage = 'lr-range-test' | 'workers';

export interface SearchResult {
  readonly best: Best | undefined;
  /** Trials recorded (complete + failed). */
  readonly trials: number;
  readonly failed: number;
  readonly failuresByKind: Partial<Record<FailureKind, number>>;
  readonly strategy: string;
  readonly strategyOptions: Record<string, unknown>;
  readonly seed: number;
  readonly budget: number;
  readonly elapsedMs: number;
  readonly workers: number;
  readonly evaluator: string;
  /** The tfjs backend that ran the trials, for tasks. */
  readonly backend?: string;
  /** What the evaluator counted: worker restarts, trials retaken from the queue, ... */
  readonly evaluatorStats: Record<string, unknown>;
  readonly utilisation: number;
  /** Trials stopped early by the scheduler, and at which step. */
  readonly pruned: number;
  readonly prunedByStep: Record<string, number>;
  /** Resource the trials used (epochs for tasks), and the resource budget if one was set. */
  readonly resourceSpent: number;
  readonly budgetEpochs?: number;
  readonly scheduler?: string;
  readonly schedulerOptions?: Record<string, unknown>;
  /** PBT: the best trial's lineage (the chain of checkpoints it continued from) and its learning rate over epochs,
   *  a schedule discovered by evolution that a user can reuse. */
  readonly lineage?: { readonly steps: readonly LineageStep[]; readonly lrSchedule?: readonly SchedulePiece[] };
  /** What was optimised, when not simply the loss; with several objectives, the Pareto front of feasible trials. */
  readonly objectives?: readonly Objective[];
  readonly constraints?: readonly string[];
  /** Trials that broke a constraint. */
  readonly infeasible?: number;
  readonly front?: readonly FrontMember[];
  readonly stoppedBy: StopReason;
  readonly generations: number;
  readonly space: SpaceSpec;
  readonly history: readonly TrialRecord[];
  /** The run folder holding config.json and journal.jsonl, when there is one. */
  readonly out?: string;
  /** The LR range test run for `lrBounds: 'auto'`: its curve, suggestion and the bounds the space got. */
  readonly lrRange?: LrRangeResult;
}

/** Everything a search needs, resolved and validated, before any worker starts. */
export interface PreparedSearch {
  readonly options: SearchOptions;
  readonly space: SpaceSpec;
  readonly strategy: ReturnType<typeof resolveStrategy>;
  readonly strategyName: string;
  /** What is optimised: objectives with directions, and constraints (study/objectives.ts). */
  readonly objectives: ObjectiveSpec;
  readonly source: FitnessSource | { kind: 'function'; fn: FitnessFn };
  readonly initialPoints: number[][];
  readonly lrRange?: LrRangeResult;
  /** The scheduler, validated against the run; absent: every trial runs to its end. */
  readonly scheduler?: ScheduledBy;
  /** Resource of a full trial (a task's epochs), when known. */
  readonly fullResource?: number;
  /** The task, when trials train one: its best trained model is kept. */
  readonly task?: Task;
  /** For strategies that continue trainings (PBT): the genes that may change mid-training, and the horizon. */
  readonly lineage?: { readonly mutable: readonly boolean[]; readonly resource: number };
}

function bestLineage(history: readonly TrialRecord[], trial: number, space: SpaceSpec): NonNullable<SearchResult['lineage']> {
  const steps = lineageOf(history, trial);
  const lr = findLrParam(space);
  return { steps, ...(lr ? { lrSchedule: scheduleOf(steps, lr) } : {}) };
}

/** `epochs` as a single choice at its largest value, when the space searches it. */
function pinEpochs(space: SpaceSpec): SpaceSpec {
  const e = space.epochs;
  if (!e || e.type === 'categorical') return space;
  return { ...space, epochs: { type: 'categorical', choices: [e.high] } };
}

/**
 * What PBT needs beyond its options: which genes may change mid-training (for tasks, the trainer's optimizer
 * knobs and dropout: never the architecture, batch size or optimizer kind) and how long one lineage trains (the
 * resource budget shared by the population, else a full training). A fitness module must opt in to checkpoints.
 */
async function pbtLineage(
  name: string,
  strategyOptions: Record<string, unknown>,
  options: SearchOptions,
  space: SpaceSpec,
  source: PreparedSearch['source'],
  fullResource: number | undefined,
): Promise<{ mutable: boolean[]; resource: number }> {
  if (source.kind === 'module' && !(await supportsCheckpoints(source.url))) {
    throw errors.optionConflict(
      `strategy ${name} continues trainings from checkpoints, and this fitness module does not declare that it can`,
      'export const checkpoints = true from the module, read ctx.restore / ctx.segment and return { loss, checkpoint } (README: PBT)',
    );
  }
  if (source.kind === 'function' && !(source.fn as { checkpoints?: unknown }).checkpoints) {
    throw errors.optionConflict(
      `strategy ${name} continues trainings from checkpoints: set fitness.checkpoints = true on a function that can (README: PBT)`,
    );
  }
  const population = Number(strategyOptions.population);
  const resource = options.budgetEpochs !== undefined ? Math.floor(options.budgetEpochs / population) : fullResource;
  if (resource === undefined || resource < 1) {
    throw errors.optionConflict(
      resource === undefined
        ? `strategy ${name} needs to know how long a training is: give --budget-epochs`
        : `--budget-epochs ${options.budgetEpochs} is less than one epoch per member of a population of ${population}`,
      'e.g. --budget-epochs 400 trains 16 members 25 epochs each',
    );
  }
  const names = Object.keys(space);
  const mutable = names.map((n) => (source.kind === 'task' ? MUTABLE_MID_TRAINING.has(n) : true));
  return { mutable, resource };
}

async function supportsCheckpoints(url: string): Promise<boolean> {
  const mod = (await import(url)) as { checkpoints?: unknown };
  return mod.checkpoints === true;
}

/** Validates input and resolves the fitness, space and strategy. All usage errors surface here. */
export async function prepareSearch(input: SearchInput): Promise<PreparedSearch> {
  const {
    fitness,
    space: rawSpace,
    onEvent: _e,
    stopSignal: _s,
    abortSignal: _a,
    resume: _r,
    onWarning: _w,
    onStage: _st,
    lrRange: reusedLrRange,
    ...rest
  } = input;
  const fitnessIsPath = typeof fitness === 'string' || fitness instanceof URL;
  const options = parseSearchOptions({
    ...rest,
    ...(fitnessIsPath ? { fitness: fitness instanceof URL ? fitness.href : fitness } : {}),
    ...(typeof rawSpace === 'string' ? { space: rawSpace } : {}),
  });
  if (fitness !== undefined && typeof fitness !== 'function' && !fitnessIsPath) {
    throw errors.option('fitness', 'a function, a path or a file URL', fitness);
  }
  if (fitness !== undefined && options.task !== undefined) {
    throw errors.optionConflict('give either fitness or task, not both');
  }
  if (typeof fitness === 'function' && options.executor !== LOCAL_EXECUTOR) {
    throw errors.optionConflict('a fitness function runs in this process; a redis executor needs a fitness module path or a task');
  }

  let source: PreparedSearch['source'];
  let taskSpace: SpaceSpec | undefined;
  let resolvedTask: Task | undefined;
  if (typeof fitness === 'function') {
    source = { kind: 'function', fn: fitness };
  } else if (fitnessIsPath) {
    const url = moduleUrl('fitness module', fitness);
    await importFitness(url); // fail fast, in this thread, on a module that is missing or of the wrong shape
    source = { kind: 'module', url };
  } else if (options.task !== undefined) {
    const { resolveTask } = await import('./tasks/registry.js');
    // Bundled tasks go by name; a module goes by absolute URL, so that every worker imports the same file.
    const ref = /[\\/.]/.test(options.task) ? moduleUrl('task module', options.task) : options.task;
    const task = await resolveTask(ref);
    taskSpace = task.space;
    resolvedTask = task;
    source = { kind: 'task', task: ref, backend: options.backend };
  } else {
    throw errors.optionConflict(
      'nothing to optimise: give a fitness (function or module path) or a task',
      'e.g. --task digits, or --fitness ./f.mjs --space ./space.json',
    );
  }

  let space: SpaceSpec;
  if (typeof rawSpace === 'string') space = loadSpaceFile(rawSpace);
  else if (rawSpace !== undefined) space = parseSpace(rawSpace);
  else if (taskSpace) space = taskSpace;
  else throw errors.optionConflict('a fitness function needs a space', 'e.g. --space ./space.json');

  const initialPoints: number[][] = [];
  let lrRange: LrRangeResult | undefined;
  if (options.lrBounds !== undefined) {
    const lr = findLrParam(space);
    if (!lr) throw errors.lrBounds('the space has no learning-rate parameter (a float named lr, learningRate or learning_rate)');
    if (options.lrBounds === 'auto') {
      if (!resolvedTask) throw errors.lrBounds('"auto" needs a task (the LR range test trains the task\'s model)');
      // Runs in this thread before any worker starts: one backend load, and the bounds are known before the search.
      const { lrRangeTest } = await import('./lr-range/index.js');
      const { seedPoints } = await import('./lr-range/seeds.js');
      // Without refine: the search needs the bounds, which refine leaves alone, and can spend those trainings on
      // its own trials (the earlier measurement of that choice was retired with its script: see benchmarks/research).
      if (!reusedLrRange) input.onStage?.('lr-range-test');
      lrRange = reusedLrRange ?? (await lrRangeTest(resolvedTask, { backend: options.backend, refine: 0 }, options.seed, input.abortSignal));
      space = withLogRange(space, lr, ...lrRange.bounds);
      initialPoints.push(...seedPoints(space, lr, lrRange.suggestion, resolvedTask.defaults));
    } else space = withLogRange(space, lr, ...options.lrBounds);
  }

  const objectives = objectiveSpec(options);
  const strategyName = strategyFor(options.strategy, objectives, options.scheduler !== undefined);
  const strategy = resolveStrategy(strategyName, options.strategyOptions);
  const fullResource = resolvedTask ? taskEpochs(resolvedTask, space) : undefined;
  const continues = strategy.strategy.continuesTraining === true;
  // With a scheduler (or PBT) the length of a training is the search's decision, not a gene: train every trial
  // for the most epochs the space allows, so that rungs compare like with like.
  if (resolvedTask && (options.scheduler !== undefined || continues)) space = pinEpochs(space);
  if (continues && options.scheduler !== undefined) {
    throw errors.optionConflict(
      `strategy ${strategyName} schedules its own trainings; it takes no --scheduler`,
      'drop --scheduler, or pick another strategy',
    );
  }
  let lineage: PreparedSearch['lineage'];
  if (continues) lineage = await pbtLineage(strategyName, strategy.options, options, space, source, fullResource);
  let scheduler: ScheduledBy | undefined;
  if (options.scheduler !== undefined) {
    const { scheduler: s, options: schedulerOptions } = resolveScheduler(options.scheduler, options.schedulerOptions);
    const context = fullResource === undefined ? {} : { maxResource: fullResource };
    s.init(schedulerOptions, context); // options that cannot work for this run fail now, before any worker starts
    scheduler = { scheduler: s, options: schedulerOptions, context, tellPruned: options.tellPruned };
  } else if (options.schedulerOptions !== undefined) {
    throw errors.optionConflict('schedulerOptions given without a scheduler', `add --scheduler ${schedulerNames().join('|')}`);
  }
  return {
    options,
    space,
    strategy,
    strategyName,
    objectives,
    source,
    initialPoints,
    ...(lrRange ? { lrRange } : {}),
    ...(scheduler ? { scheduler } : {}),
    ...(fullResource !== undefined ? { fullResource } : {}),
    ...(lineage ? { lineage } : {}),
    ...(resolvedTask ? { task: resolvedTask } : {}),
  };
}

/** `journaled`: a run folder records the trials (pool workers then format the reports' journal text). */
export function createEvaluator(prepared: PreparedSearch, notify?: (message: string) => void, journaled = false): Evaluator {
  const { source, options } = prepared;
  const trialTimeoutMs = options.trialTimeout === undefined ? undefined : options.trialTimeout * 1000;
  if (source.kind === 'function') return new InlineEvaluator(source.fn, trialTimeoutMs);
  if (options.executor !== LOCAL_EXECUTOR) {
    const target = redisTarget(options.executor, 'executor');
    const workerWaitMs = options.workerWait === undefined ? undefined : options.workerWait * 1000;
    return new QueueEvaluator({ target, source, trialTimeoutMs, maxHeapMb: options.maxHeapMb, workerWaitMs, notify });
  }
  return new PoolEvaluator({ source, workers: options.workers, trialTimeoutMs, maxHeapMb: options.maxHeapMb, reportsJson: journaled });
}

/** The objective fields of a result: left out for a plain search (minimise the loss), so its output is unchanged. */
function objectiveResult(spec: ObjectiveSpec, summary: StudySummary): Pick<SearchResult, 'objectives' | 'constraints' | 'infeasible' | 'front'> {
  if (isPlain(spec)) return {};
  const infeasible = summary.trials.filter((t) => (scoreOf(t.outcome, spec)?.violation ?? 0) > 0).length;
  return {
    objectives: spec.objectives,
    ...(spec.constraints.length > 0 ? { constraints: spec.constraints.map(constraintText), infeasible } : {}),
    ...(summary.front ? { front: summary.front } : {}),
  };
}

/**
 * Runs a whole search: prepare, start the evaluator, run the study, close the evaluator. A run folder is locked
 * (one writer per run) from before its first write to the end, whatever way the search ends.
 */
export async function search(input: SearchInput): Promise<SearchResult> {
  const plan = input.resume === undefined ? undefined : lockAndPlanResume(input.resume, input, (w) => input.onWarning?.(w));
  try {
    return await runSearch(input, plan);
  } finally {
    plan?.lock.release();
  }
}

async function runSearch(input: SearchInput, plan: LockedResumePlan | undefined): Promise<SearchResult> {
  for (const w of plan?.journal.warnings ?? []) input.onWarning?.(w);
  if (!plan && typeof input.out === 'string') preflightRunFolder(input.out); // before an LR range test trains
  const prepared = await prepareSearch(
    plan ? ({ ...input, ...plan.options, ...(plan.lrRange ? { lrRange: plan.lrRange } : {}) } as SearchInput) : input,
  );
  const journal = openJournal(prepared, plan, input);
  const { options, space, strategy } = prepared;
  let evaluator: Evaluator;
  try {
    evaluator = createEvaluator(prepared, input.onWarning, journal !== undefined);
  } catch (e) {
    journal?.close();
    throw e;
  }
  try {
    input.onStage?.('workers');
    if (evaluator instanceof PoolEvaluator) await evaluator.warm();
    const summary = await runStudy({
      space: new Space(space),
      strategy: strategy.strategy,
      strategyOptions: strategy.options,
      evaluator: journal ? journal.evaluator(evaluator) : evaluator,
      replay: journal?.replay,
      seed: options.seed,
      budget: options.budget,
      timeBudgetMs: options.timeBudget === undefined ? undefined : options.timeBudget * 1000,
      target: options.target,
      initialPoints: prepared.initialPoints,
      maxConsecutiveFailures: options.maxConsecutiveFailures,
      ...(prepared.scheduler ? { scheduler: prepared.scheduler } : {}),
      ...(options.budgetEpochs !== undefined ? { resourceBudget: options.budgetEpochs } : {}),
      ...(prepared.fullResource !== undefined ? { trialResource: prepared.fullResource } : {}),
      ...(prepared.lineage ? { mutableGenes: prepared.lineage.mutable, lineageResource: prepared.lineage.resource } : {}),
      ...(journal
        ? { loadCheckpoint: journal.loadCheckpoint, keepCheckpoint: journal.keepCheckpoint, releaseCheckpoint: journal.releaseCheckpoint }
        : {}),
      // Each trial returns its weights (a copy of a few hundred kB at most); only the best one's are kept.
      keepBestCheckpoint: prepared.task !== undefined,
      objectives: prepared.objectives,
      stopSignal: input.stopSignal,
      abortSignal: input.abortSignal,
      onEvent: journal ? journal.onEvent(input.onEvent) : input.onEvent,
    });
    journal?.done(summary);
    if (journal && prepared.task && summary.best && summary.bestCheckpoint) {
      const { BEST_MODEL_DIR, saveModel } = await import('./tasks/model-file.js');
      const { asCheckpoint } = await import('./tasks/checkpoint.js');
      try {
        await saveModel(
          prepared.task,
          summary.best.params,
          asCheckpoint(summary.bestCheckpoint, `trial ${summary.best.trial}`),
          join(journal.dir, BEST_MODEL_DIR),
        );
      } catch (e) {
        input.onWarning?.(
          `could not write the best model to ${join(journal.dir, BEST_MODEL_DIR)}: ${describe(e)} (evotune export --model rebuilds it from the checkpoint)`,
        );
      }
    }
    const info = evaluator.info?.() ?? {};
    return {
      best: summary.best,
      trials: summary.trials.length,
      failed: summary.failed,
      failuresByKind: summary.failuresByKind,
      strategy: prepared.strategyName,
      strategyOptions: strategy.options,
      seed: options.seed,
      budget: options.budget,
      elapsedMs: summary.elapsedMs,
      workers: evaluator.concurrency,
      evaluator: evaluator.description,
      ...(typeof info.backend === 'string' ? { backend: info.backend } : {}),
      evaluatorStats: Object.fromEntries(Object.entries(info).filter(([k]) => k !== 'backend')),
      utilisation: summary.utilisation,
      pruned: summary.pruned,
      prunedByStep: summary.prunedByStep,
      resourceSpent: summary.resourceSpent,
      ...(options.budgetEpochs !== undefined ? { budgetEpochs: options.budgetEpochs } : {}),
      ...(prepared.scheduler ? { scheduler: options.scheduler, schedulerOptions: prepared.scheduler.options } : {}),
      ...(prepared.lineage && summary.best ? { lineage: bestLineage(summary.trials, summary.best.trial, space) } : {}),
      ...objectiveResult(prepared.objectives, summary),
      stoppedBy: summary.stoppedBy,
      generations: summary.generations,
      space,
      history: summary.trials,
      ...(journal ? { out: journal.dir } : {}),
      ...(prepared.lrRange ? { lrRange: prepared.lrRange } : {}),
    };
  } finally {
    try {
      await evaluator.close();
    } finally {
      journal?.close();
    }
  }
}
