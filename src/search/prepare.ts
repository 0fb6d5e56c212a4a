/** Preparing a search: every option validated and the fitness, space, strategy and scheduler resolved, before any worker starts. */
import { errors } from '../errors.js';
import { parseSearchOptions, UNBOUNDED_TRIALS, type SearchOptions } from '../options.js';
import { findLrParam, parseSpace, type SpaceSpec } from '../space/spec.js';
import { loadSpaceFile, withLogRange } from '../space/load.js';
import { resolveStrategy, type Budget } from '../../strategies/index.js';
import { objectiveSpec, strategyFor } from '../study/objectives.js';
import { LOCAL_EXECUTOR } from '../eval/queue/url.js';
import { importFitness, moduleUrl } from '../eval/source.js';
import type { ScheduledBy } from '../study/study.js';
import { resolveScheduler, schedulerNames } from '../study/schedulers/index.js';
import { MUTABLE_MID_TRAINING, taskEpochs } from '../tasks/config.js';
import type { LrRangeResult } from '../lr-range/index.js';
import type { Task } from '../tasks/types.js';
import type { PreparedSearch, SearchInput } from './types.js';

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
  // Chosen from the budget by PBT's forBudget when left to the search, or recorded by the run a resume continues.
  const population = Number(strategyOptions.population);
  const resource = options.budgetEpochs !== undefined ? Math.floor(options.budgetEpochs / population) : fullResource;
  if (resource === undefined || resource < 1) {
    throw errors.optionConflict(
      resource === undefined
        ? `strategy ${name} needs to know how long a training is: give --budget-epochs`
        : `--budget-epochs ${options.budgetEpochs} is less than one epoch per member of a population of ${population}`,
      'e.g. --budget-epochs 400 with a population of 16 trains each member 25 epochs',
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

/**
 * Validates input and resolves the fitness, space and strategy. All usage errors surface here. A resumed run passes
 * the strategy options its journal recorded: what the strategy chose from the first session's budget stays chosen
 * when the budget changes (the replay asks the same trials).
 */
export async function prepareSearch(input: SearchInput, recordedStrategyOptions?: Record<string, unknown>): Promise<PreparedSearch> {
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
    const { resolveTask } = await import('../tasks/registry.js');
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
      const { lrRangeTest, pointsAroundSuggestion } = await import('../lr-range/index.js');
      // Without refine: the search needs the bounds, which refine leaves alone, and can spend those trainings on
      // its own trials (the earlier measurement of that choice was retired with its script: see benchmarks/research).
      if (!reusedLrRange) input.onStage?.('lr-range-test');
      lrRange = reusedLrRange ?? (await lrRangeTest(resolvedTask, { backend: options.backend, refine: 0 }, options.seed, input.abortSignal));
      space = withLogRange(space, lr, ...lrRange.bounds);
      initialPoints.push(...pointsAroundSuggestion(space, lr, lrRange.suggestion, resolvedTask.defaults));
    } else space = withLogRange(space, lr, ...options.lrBounds);
  }

  const objectives = objectiveSpec(options);
  const strategyName = strategyFor(options.strategy, objectives, options.scheduler !== undefined);
  const fullResource = resolvedTask ? taskEpochs(resolvedTask, space) : undefined;
  // A new search tells the strategy its budget (a trial count only when one was given, not the stand-in of a search
  // bounded by its resource alone); a resume takes the options its journal recorded.
  const budget: Budget | undefined =
    recordedStrategyOptions !== undefined
      ? undefined
      : {
          ...(options.budget < UNBOUNDED_TRIALS ? { trials: options.budget } : {}),
          ...(options.budgetEpochs !== undefined ? { epochs: options.budgetEpochs } : {}),
          ...(fullResource !== undefined ? { fullTraining: fullResource } : {}),
        };
  const strategy = resolveStrategy(strategyName, recordedStrategyOptions ?? options.strategyOptions, budget);
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
