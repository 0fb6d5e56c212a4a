import { errors } from '../errors.js';
import type { Metrics, TrialOutcome } from '../eval/types.js';
import type { Params } from '../space/spec.js';
import { candidateOf, DEFAULT_OBJECTIVES, improves, type ObjectiveSpec } from '../study/objectives.js';
import type { Best, ReplayedTrial } from '../study/types.js';
import type { FinishedLine } from './format.js';
import type { Journal } from './reader.js';

/** One finished trial of a run, as the journal recorded it. */
export interface TrialRow {
  readonly trial: number;
  readonly generation: number;
  readonly seed: number;
  readonly x: readonly number[];
  readonly params: Params;
  readonly outcome: TrialOutcome;
  readonly finishedAt: string;
  /** PBT: the resource segment the trial trained, and the trial whose checkpoint it continued from. */
  readonly segment?: { readonly from: number; readonly to: number };
  readonly parent?: number;
}

function outcomeOf(line: FinishedLine): TrialOutcome {
  const { durationMs, worker } = line;
  const reports = (line.reports ?? []).map(([step, value]) => ({ step, value }));
  const ended = { durationMs, worker, ...(reports.length > 0 ? { reports } : {}) };
  if (line.state === 'failed') return { state: 'failed', kind: line.kind, message: line.message, ...ended };
  // JSON wrote non-finite metrics as null: they carry no value.
  const metrics: Metrics = {};
  for (const [k, v] of Object.entries(line.metrics)) if (v !== null) metrics[k] = v;
  if (line.state === 'pruned') return { state: 'pruned', value: line.value, step: line.step, metrics, ...ended, reports };
  return { state: 'complete', value: line.value, metrics, ...ended };
}

/** Finished trials by number: what a resumed study replays instead of running. */
export function replayMap(journal: Journal): Map<number, ReplayedTrial> {
  const out = new Map<number, ReplayedTrial>();
  for (const [trial, line] of journal.finished) out.set(trial, { x: line.x, outcome: outcomeOf(line) });
  return out;
}

/** Every finished trial, by trial number. */
export function trialRows(journal: Journal, dir: string): TrialRow[] {
  return [...journal.finished.values()]
    .sort((a, b) => a.trial - b.trial)
    .map((f) => {
      const a = journal.asked.get(f.trial);
      // readJournal refuses a finished trial without its asked line.
      if (!a) throw errors.internal(`${dir}: trial ${f.trial} finished but never asked`);
      return {
        trial: f.trial,
        generation: a.generation,
        seed: a.seed,
        x: f.x,
        params: a.params,
        outcome: outcomeOf(f),
        finishedAt: f.at,
        ...(a.segment ? { segment: a.segment } : {}),
        ...(a.parent !== undefined ? { parent: a.parent } : {}),
      };
    });
}

/**
 * The best complete trial as the study decides it (objectives.ts): feasible first, then the first objective in its
 * direction (by default the lowest value), the earlier trial on a tie.
 */
export function bestOf(rows: readonly TrialRow[], spec: ObjectiveSpec = DEFAULT_OBJECTIVES): Best | undefined {
  let best: Best | undefined;
  for (const r of rows) {
    const o = r.outcome;
    const c = candidateOf(o, r.trial, spec);
    if (c && o.state === 'complete' && improves(c, best, spec)) best = { ...c, params: r.params, metrics: o.metrics };
  }
  return best;
}
