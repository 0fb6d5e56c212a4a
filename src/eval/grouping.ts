/**
 * In a worker holding several trials of a task: those that can share one program (same architecture, batch size,
 * epochs and optimizer: tasks/group-fitness.ts) are trained together, K at a time; the rest run alone as ever.
 * A member's outcome is the one it gets alone (the scores are bit-for-bit the same; only time metrics differ),
 * so grouping never changes a search's trials or results.
 *
 * Each member reports its validation loss every epoch and is pruned by its own rule, and returns its final state
 * when asked, as the one-trial task fitness does. Trials of a PBT round group too: members that train the same span
 * of epochs, all from checkpoints or all from scratch, go on from their own states in one program.
 * A group's time limit is its members' limits added up; past it every member fails as a timeout that says so. A
 * group that fails otherwise runs its members again one by one, so that each failure names its own trial.
 */
import { performance } from 'node:perf_hooks';
import { GROUP_SIZE, type TaskGroups } from '../tasks/group-fitness.js';
import { timeoutMessage } from './outcome.js';
import { TrialReports } from './reporting.js';
import type { TrialOutcome, TrialRequest } from './types.js';
import type { Checkpoint as TaskCheckpoint } from '../tasks/checkpoint.js';

export { GROUP_SIZE };

/** What else a group's members must share beyond their params' key: the span they train, and whether they restore. */
const spanOf = (r: TrialRequest) => (r.segment ? `${r.segment.from}-${r.segment.to}` : '') + (r.restore ? '+restore' : '');

/** A request's group key: its params' key (a task's, tasks/group-fitness.ts) and its span; undefined: it runs alone. */
export function requestKey(paramsKey: (params: TrialRequest['params']) => string | undefined): (r: TrialRequest) => string | undefined {
  return (r) => {
    const k = paramsKey(r.params);
    return k === undefined ? undefined : `${k}|${spanOf(r)}`;
  };
}

/** The requests split into runs: groups of 2..GROUP_SIZE sharing a key, and single trials, in first-index order. */
export function planGroups(requests: readonly TrialRequest[], key: (r: TrialRequest) => string | undefined): number[][] {
  const byKey = new Map<string, number[]>();
  const runs: number[][] = [];
  requests.forEach((r, i) => {
    const k = key(r);
    if (k === undefined) return void runs.push([i]);
    let open = byKey.get(k);
    if (!open || open.length >= GROUP_SIZE) {
      open = [];
      byKey.set(k, open);
      runs.push(open);
    }
    open.push(i);
  });
  return runs;
}

export async function runInGroups(
  requests: readonly TrialRequest[],
  timeoutMs: number | undefined,
  groups: TaskGroups,
  runOne: (request: TrialRequest) => Promise<TrialOutcome>,
  worker: string,
): Promise<TrialOutcome[]> {
  const outcomes: TrialOutcome[] = [];
  for (const run of planGroups(requests, requestKey(groups.key))) {
    const members = run.map((i) => requests[i]!);
    const results = members.length === 1 ? [await runOne(members[0]!)] : await runGroup(members, timeoutMs, groups, runOne, worker);
    run.forEach((i, j) => (outcomes[i] = results[j]!));
  }
  return outcomes;
}

async function runGroup(
  members: readonly TrialRequest[],
  timeoutMs: number | undefined,
  groups: TaskGroups,
  runOne: (request: TrialRequest) => Promise<TrialOutcome>,
  worker: string,
): Promise<TrialOutcome[]> {
  const k = members.length;
  const start = performance.now();
  // Each member's share of the group's time: the busy time a study adds up stays the worker's real time.
  const share = () => (performance.now() - start) / k;
  const controller = new AbortController();
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(), timeoutMs * k);
  // Each member reports and is pruned by its own rule, exactly as it would be alone (reporting.ts).
  const reports = members.map((r) => new TrialReports(r.prune, r.wantCheckpoint));
  try {
    const trials = members.map((r, i) => ({
      params: r.params,
      seed: r.seed,
      report: reports[i]!.report,
      ...(r.wantCheckpoint ? { wantCheckpoint: true } : {}),
      // Opaque to the evaluator; a task's own (tasks/checkpoint.ts), checked member by member before it is used.
      ...(r.restore ? { restore: r.restore as unknown as TaskCheckpoint } : {}),
      ...(r.segment ? { segment: r.segment } : {}),
    }));
    const results = await groups.train(trials, controller.signal);
    const ms = share();
    return results.map((raw, i) => reports[i]!.outcome(raw, ms, worker));
  } catch {
    if (controller.signal.aborted) {
      const why = timeoutMessage(timeoutMs!, `it was trained in a group of ${k} (time limit ${k} x ${timeoutMs} ms), which stopped on ctx.signal`);
      const ms = share();
      return reports.map((r) => r.failed('timeout', why, ms, worker));
    }
    const alone: TrialOutcome[] = [];
    for (const r of members) alone.push(await runOne(r));
    return alone;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Groups trained, as an evaluator's info() shows them: counts by size and the median member-steps per second. A
 * group's members carry its size and rate in their metrics (tasks/group-fitness.ts); each group is counted once.
 */
export class GroupTally {
  private readonly sizes = new Map<number, number>();
  private readonly rates: number[] = [];

  /** Outcomes of trials that travelled together (a pool task, a Redis job): the groups among them. */
  count(outcomes: readonly TrialOutcome[]): void {
    const seen = new Set<string>();
    for (const o of outcomes) {
      if (o.state !== 'complete' && o.state !== 'pruned') continue;
      const { groupSize, groupMemberStepsPerSec: rate, trainMs } = o.metrics;
      const id = `${String(groupSize)}/${String(rate)}/${String(trainMs)}`;
      if (typeof groupSize !== 'number' || typeof rate !== 'number' || seen.has(id)) continue;
      seen.add(id);
      this.sizes.set(groupSize, (this.sizes.get(groupSize) ?? 0) + 1);
      this.rates.push(rate);
    }
  }

  info(): { groupsBySize?: Record<number, number>; groupMemberStepsPerSec?: number } {
    if (this.sizes.size === 0) return {};
    return {
      groupsBySize: Object.fromEntries([...this.sizes].sort(([a], [b]) => a - b)),
      groupMemberStepsPerSec: [...this.rates].sort((a, b) => a - b)[Math.floor(this.rates.length / 2)],
    };
  }
}
