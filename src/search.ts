/**
 * search(): prepare (search/prepare.ts), open the run folder (search/resume.ts), start the evaluator, run the study,
 * close everything. The public entry of the library, re-exported by index.ts.
 */
import { join } from 'node:path';
import { describe } from './errors.js';
import { findLrParam, type SpaceSpec } from './space/spec.js';
import { Space } from './space/codec.js';
import { constraintText, isPlain, scoreOf, type ObjectiveSpec } from './study/objectives.js';
import { createEvaluator } from './eval/create.js';
import type { Evaluator } from './eval/types.js';
import { runStudy } from './study/study.js';
import type { TrialRecord, StudySummary } from './study/types.js';
import { preflightRunFolder } from './journal/run.js';
import { lineageOf, scheduleOf } from './study/lineage.js';
import { prepareSearch } from './search/prepare.js';
import { lockAndPlanResume, openJournal, type LockedResumePlan } from './search/resume.js';
import type { SearchInput, SearchResult } from './search/types.js';

export { prepareSearch } from './search/prepare.js';
export type { PreparedSearch, SearchInput, SearchResult, SearchStage } from './search/types.js';

function bestLineage(history: readonly TrialRecord[], trial: number, space: SpaceSpec): NonNullable<SearchResult['lineage']> {
  const steps = lineageOf(history, trial);
  const lr = findLrParam(space);
  return { steps, ...(lr ? { lrSchedule: scheduleOf(steps, lr) } : {}) };
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
    plan?.journal.study.strategyOptions,
  );
  const journal = openJournal(prepared, plan, input);
  const { options, space, strategy } = prepared;
  let evaluator: Evaluator;
  try {
    evaluator = createEvaluator(prepared.source, options, input.onWarning, journal !== undefined);
  } catch (e) {
    journal?.close();
    throw e;
  }
  try {
    input.onStage?.('workers');
    await evaluator.warm?.();
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
