import { performance } from 'node:perf_hooks';
import { errors } from '../errors.js';
import type { Space } from '../space/codec.js';
import type { Setup, Strategy } from '../../strategies/types.js';
import type { Checkpoint, Evaluator, FailureKind, TrialOutcome, TrialRequest } from '../eval/types.js';
import { runInOrder } from '../eval/dispatch.js';
import { deriveSeed, rngFor } from '../util/rng.js';
import type { Best, ReplayedTrial, StopReason, StudyEvent, StudySummary, TrialRecord } from './types.js';
import type { Scheduler, SchedulerContext } from './schedulers/index.js';
import { resourceOf, type TellPruned } from './fidelity.js';
import {
  candidateOf,
  checkMetrics,
  DEFAULT_OBJECTIVES,
  improves,
  isMulti,
  paretoFront,
  reachesTarget,
  toldFor,
  type ObjectiveSpec,
} from './objectives.js';

/** A scheduler with validated options, and what it needs to know about the run. */
export interface ScheduledBy {
  readonly scheduler: Scheduler;
  readonly options: Record<string, unknown>;
  readonly context: SchedulerContext;
  /** What the strategy is told for a pruned trial: its last value ('last') or the worst value ('worst'). */
  readonly tellPruned: TellPruned;
}

export interface StudyConfig {
  readonly space: Space;
  readonly strategy: Strategy;
  /** Validated strategy options (see strategies/index.ts resolveStrategy). */
  readonly strategyOptions: Record<string, unknown>;
  readonly evaluator: Evaluator;
  readonly seed: number;
  /** Evaluations to run, replayed ones included. */
  readonly budget: number;
  /** Wall-clock budget in ms (not reproducible by nature: the trials run depend on speed). */
  readonly timeBudgetMs?: number;
  /** Stop once the best value is at or below this. */
  readonly target?: number;
  /** Points (unit cube) for the first population. */
  readonly initialPoints?: readonly (readonly number[])[];
  /** Stop with an error after this many failures in a row with no success in between (0 disables). */
  readonly maxConsecutiveFailures?: number;
  /** Finished trials of an earlier run, by number: not run again. */
  readonly replay?: ReadonlyMap<number, ReplayedTrial>;
  /** Aborting it stops asking for new trials; trials already running finish. */
  readonly stopSignal?: AbortSignal;
  /** Aborting it also aborts running trials (they end as 'aborted' and are not part of the result). */
  readonly abortSignal?: AbortSignal;
  readonly onEvent?: (event: StudyEvent) => void;
  /** Stops trials early on their reports (median, asha, hyperband); absent: every trial runs to its end. */
  readonly scheduler?: ScheduledBy;
  /** Stop asking for generations once this much resource (epochs for tasks) is spent. */
  readonly resourceBudget?: number;
  /** Resource a trial that reported nothing counts (a full trial: the task's epochs); default 1. */
  readonly trialResource?: number;
  /** Per gene, whether it may change during training (PBT); see InitContext. */
  readonly mutableGenes?: readonly boolean[];
  /** The resource one lineage may train (PBT's horizon). */
  readonly lineageResource?: number;
  /** Ask every trial for its final training state (the best one's is kept: the model a user takes away). */
  readonly keepBestCheckpoint?: boolean;
  /** A checkpoint an earlier session saved (resume of PBT): the run folder's copy, by trial number. */
  readonly loadCheckpoint?: (trial: number) => Checkpoint | undefined;
  /** What is optimised (see objectives.ts); default: minimise the fitness's value. */
  readonly objectives?: ObjectiveSpec;
  /** A live trial with a checkpoint became the best: keep its checkpoint (PBT trials' are kept already). */
  readonly keepCheckpoint?: (trial: number, checkpoint: Checkpoint) => void;
  /** A trial's saved checkpoint is needed no more (not the last generation's under PBT, not the best's). */
  readonly releaseCheckpoint?: (trial: number) => void;
}

const lineageOf = (t: { segment?: { from: number; to: number }; parent?: number }) => ({
  ...(t.segment ? { segment: t.segment } : {}),
  ...(t.parent !== undefined ? { parent: t.parent } : {}),
});

/** Seed of trial n: a function of the root seed and the trial number only, never of timing or worker. */
export const trialSeed = (root: number, trial: number) => deriveSeed(root, 'trial', trial);

const sameX = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) <= 1e-12 * Math.max(1, Math.abs(v)));

/**
 * Runs a strategy against an evaluator for a budget: ask a generation, evaluate it (all of it in flight at once,
 * so the pool stays busy), tell the results in trial order, repeat.
 * Generations are synchronous on purpose: what the strategy is told never depends on which worker finished first,
 * so the same seed gives the same trials and the same best with 1 worker or 20.
 */
export async function runStudy(cfg: StudyConfig): Promise<StudySummary> {
  const { space, strategy, evaluator, seed, budget } = cfg;
  const t0 = performance.now();
  const trials: TrialRecord[] = [];
  const failuresByKind: Partial<Record<FailureKind, number>> = {};
  let best: Best | undefined;
  let failed = 0;
  let pruned = 0;
  const prunedByStep: Record<string, number> = {};
  let resourceSpent = 0;
  let consecutiveFailures = 0;
  let busyMs = 0;
  let liveWallMs = 0;
  let generation = 0;
  let stoppedBy: StopReason = 'budget';
  const maxFailures = cfg.maxConsecutiveFailures ?? 20;
  const objectives = cfg.objectives ?? DEFAULT_OBJECTIVES;
  const metricsSeen = new Set<string>();

  // Options and problem facts, fixed for the whole study: handed to every init/ask/tell, never kept in the state.
  const setup: Setup<unknown> = {
    dim: space.dim,
    options: cfg.strategyOptions,
    binEdges: space.binEdges(),
    ...(cfg.mutableGenes ? { mutable: cfg.mutableGenes } : {}),
    ...(cfg.lineageResource !== undefined ? { resource: cfg.lineageResource } : {}),
  };
  let state = strategy.init({ ...setup, rng: rngFor(seed, 'init'), initialPoints: cfg.initialPoints });
  // PBT: the previous generation's trial numbers and checkpoints, which this generation's plans continue from.
  let previous: { numbers: number[]; checkpoints: Map<number, Checkpoint> } = { numbers: [], checkpoints: new Map() };
  let bestCheckpoint: Checkpoint | undefined;
  // Trials whose checkpoint may still be saved: released once neither the next generation nor the best needs it.
  const held = new Set<number>();
  const sched = cfg.scheduler;
  let schedState: unknown = sched?.scheduler.init(sched.options, sched.context);
  const trialResource = cfg.trialResource ?? 1;

  let front: TrialRecord[] = [];
  const record = (rec: TrialRecord) => {
    trials.push(rec);
    const o = rec.outcome;
    resourceSpent += resourceOf(o, trialResource, rec.segment);
    if (o.state === 'complete') {
      consecutiveFailures = 0;
      checkMetrics(o, objectives, metricsSeen);
      const c = candidateOf(o, rec.number, objectives);
      if (c && improves(c, best, objectives)) best = { ...c, params: rec.params, metrics: o.metrics };
      // The front of everything so far is the front of the last front and the new trial: O(front) per trial.
      if (isMulti(objectives)) {
        const on = new Set(paretoFront([...front, rec], objectives).map((m) => m.trial));
        front = [...front, rec].filter((t) => on.has(t.number));
      }
    } else if (o.state === 'pruned') {
      // A pruned trial ran as it should: it ends a run of failures, but it is never the best (it did not finish).
      consecutiveFailures = 0;
      pruned++;
      prunedByStep[String(o.step)] = (prunedByStep[String(o.step)] ?? 0) + 1;
    } else {
      failed++;
      consecutiveFailures++;
      failuresByKind[o.kind] = (failuresByKind[o.kind] ?? 0) + 1;
    }
    cfg.onEvent?.({
      type: 'finished',
      record: rec,
      best,
      done: trials.length,
      failed,
      pruned,
      budget,
      resourceSpent,
      ...(cfg.resourceBudget !== undefined ? { resourceBudget: cfg.resourceBudget } : {}),
      ...(isMulti(objectives) ? { front: front.length } : {}),
    });
  };

  while (trials.length < budget) {
    if (cfg.stopSignal?.aborted || cfg.abortSignal?.aborted) {
      stoppedBy = 'stopped';
      break;
    }
    if (cfg.timeBudgetMs !== undefined && performance.now() - t0 >= cfg.timeBudgetMs) {
      stoppedBy = 'time';
      break;
    }
    if (cfg.resourceBudget !== undefined && resourceSpent >= cfg.resourceBudget) {
      stoppedBy = 'budget';
      break;
    }
    const asked = strategy.ask(state, rngFor(seed, 'ask', generation), setup);
    state = asked.state;
    if (asked.xs.length === 0) {
      stoppedBy = 'exhausted';
      break;
    }
    const xs = asked.xs.slice(0, budget - trials.length);
    const first = trials.length;
    const rules = sched
      ? sched.scheduler.plan(
          schedState,
          xs.map((_, i) => first + i),
        )
      : [];
    const plans = asked.plans;
    const wantCheckpoint = plans !== undefined || cfg.keepBestCheckpoint === true;
    const batch = xs.map((x, i) => {
      const number = first + i;
      const params = space.decode(x);
      const s = trialSeed(seed, number);
      const prune = rules[i];
      const plan = plans?.[i];
      const parent = plan?.parent === undefined ? undefined : previous.numbers[plan.parent];
      if (plan?.parent !== undefined && parent === undefined)
        throw errors.internal(`trial ${number} continues from member ${plan.parent} of a generation that has none`);
      return {
        number,
        x,
        params,
        seed: s,
        ...(prune && prune.checks.length > 0 ? { prune } : {}),
        ...(plan ? { segment: plan.segment } : {}),
        ...(parent !== undefined ? { parent } : {}),
        ...(wantCheckpoint ? { wantCheckpoint: true } : {}),
      };
    });
    // A checkpoint is looked up only when its trial runs now: replayed trials need none.
    const restoreOf = (parent: number): Checkpoint => {
      const c = previous.checkpoints.get(parent) ?? cfg.loadCheckpoint?.(parent);
      if (!c)
        throw errors.resume(
          'checkpoints',
          `the checkpoint of trial ${parent} is missing, and a trial continues from it`,
          'a run folder keeps them in checkpoints/; resume from a complete copy of the run',
        );
      return c;
    };

    const genStart = performance.now();
    let ranLive = false;
    // Trials start in order, no more at once than the evaluator takes, so a run of failures stops dispatching at once.
    let failureRun = consecutiveFailures;
    const dispatched = await runInOrder<(typeof batch)[number], { outcome: TrialOutcome; replayed: boolean }>(batch, {
      window: () => evaluator.capacity?.() ?? evaluator.concurrency,
      // A stop request (first Ctrl-C) starts no further trial of this generation; running ones finish.
      stopped: () => cfg.stopSignal?.aborted === true,
      halt: ({ outcome: o }) => {
        if (o.state !== 'failed') failureRun = 0;
        else if (o.kind !== 'aborted') failureRun++;
        return maxFailures > 0 && failureRun >= maxFailures;
      },
      run: async (t) => {
        const old = cfg.replay?.get(t.number);
        if (old) {
          if (!sameX(old.x, t.x)) {
            throw errors.resume(
              'journal',
              `trial ${t.number} in the journal has other parameters than this run asks for`,
              'resume with the same config and seed as the run that wrote the journal',
            );
          }
          return { outcome: old.outcome, replayed: true };
        }
        ranLive = true;
        cfg.onEvent?.({ type: 'asked', trial: t.number, generation, x: t.x, params: t.params, seed: t.seed, ...lineageOf(t) });
        const { x: _x, parent, ...rest } = t;
        const request: TrialRequest = parent === undefined ? rest : { ...rest, restore: restoreOf(parent) };
        const outcome = await evaluator.run(request, cfg.abortSignal);
        return { outcome, replayed: false };
      },
    });
    const outcomes = dispatched.results;
    if (ranLive) liveWallMs += performance.now() - genStart;

    // An aborted trial did not run to its end: it is not part of the result, so a resume runs it again.
    const keep = outcomes.findIndex((o) => o.outcome.state === 'failed' && o.outcome.kind === 'aborted');
    const usable = keep < 0 ? outcomes : outcomes.slice(0, keep);
    usable.forEach((o, i) => {
      const t = batch[i]!;
      if (!o.replayed) busyMs += o.outcome.durationMs;
      // The record keeps no checkpoint: the study holds only the last generation's (PBT) and the best one's.
      const { outcome } = o;
      const kept = outcome.state === 'complete' && outcome.checkpoint ? (({ checkpoint: _c, ...rest }) => rest)(outcome) : outcome;
      record({ number: t.number, generation, x: t.x, params: t.params, seed: t.seed, outcome: kept, replayed: o.replayed, ...lineageOf(t) });
      // A replayed best's checkpoint is read from its file at the end, if it is still the best then.
      if (best?.trial === t.number && wantCheckpoint) {
        bestCheckpoint = outcome.state === 'complete' ? outcome.checkpoint : undefined;
        if (bestCheckpoint && !o.replayed && !plans) cfg.keepCheckpoint?.(t.number, bestCheckpoint);
      }
    });
    if (plans) {
      const checkpoints = new Map<number, Checkpoint>();
      usable.forEach((o, i) => o.outcome.state === 'complete' && o.outcome.checkpoint && checkpoints.set(batch[i]!.number, o.outcome.checkpoint));
      previous = { numbers: batch.map((t) => t.number), checkpoints };
    }
    if (wantCheckpoint) {
      usable.forEach((o, i) => o.outcome.state === 'complete' && held.add(batch[i]!.number));
      const needed = new Set(plans ? previous.numbers : []);
      for (const n of held) {
        if (needed.has(n) || n === best?.trial) continue;
        held.delete(n);
        cfg.releaseCheckpoint?.(n);
      }
    }
    // Only now, once every trial that ran is recorded (and journaled).
    if ('error' in dispatched) throw dispatched.error;
    if (dispatched.haltedAt !== undefined) {
      const last = outcomes[dispatched.haltedAt]!.outcome;
      throw errors.allFailed(maxFailures, batch[dispatched.haltedAt]!.number, last.state === 'failed' ? `${last.kind}: ${last.message}` : 'unknown');
    }
    // Cut short by an aborted trial or by a stop request that left trials unstarted.
    if (usable.length < batch.length) {
      stoppedBy = 'stopped';
      break;
    }

    state = strategy.tell(
      state,
      usable.map((o, i) => ({ x: batch[i]!.x, ...toldFor(o.outcome, objectives, sched?.tellPruned ?? 'last', strategy.objectives === 'multi') })),
      rngFor(seed, 'tell', generation),
      setup,
    );
    if (sched) {
      schedState = sched.scheduler.tell(
        schedState,
        usable.map((o, i) => ({ number: batch[i]!.number, state: o.outcome.state, reports: o.outcome.reports ?? [] })),
      );
    }
    generation++;

    if (cfg.target !== undefined && best !== undefined && reachesTarget(best, cfg.target, objectives)) {
      stoppedBy = 'target';
      break;
    }
  }

  return {
    best,
    trials,
    complete: trials.length - failed - pruned,
    failed,
    failuresByKind,
    pruned,
    prunedByStep,
    resourceSpent,
    generations: generation,
    stoppedBy,
    elapsedMs: performance.now() - t0,
    utilisation: liveWallMs > 0 ? Math.min(1, busyMs / (liveWallMs * evaluator.concurrency)) : 0,
    ...((): { bestCheckpoint?: Checkpoint } => {
      const c = bestCheckpoint ?? (best && trials[best.trial]?.replayed ? cfg.loadCheckpoint?.(best.trial) : undefined);
      return c ? { bestCheckpoint: c } : {};
    })(),
    ...(isMulti(objectives) ? { front: paretoFront(trials, objectives) } : {}),
  };
}
