import { errors } from '../errors.js';
import type { Metrics, TrialOutcome } from '../eval/types.js';
import type { Params } from '../space/spec.js';
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
      return { trial: f.trial, generation: a.generation, seed: a.seed, x: f.x, params: a.params, outcome: outcomeOf(f), finishedAt: f.at };
    });
}

/** The best complete trial: lowest value, the earlier trial on a tie (as the study decides). */
export function bestOf(rows: readonly TrialRow[]): Best | undefined {
  let best: Best | undefined;
  for (const r of rows) {
    const o = r.outcome;
    if (o.state === 'complete' && (best === undefined || o.value < best.value || (o.value === best.value && r.trial < best.trial))) {
      best = { value: o.value, params: r.params, trial: r.trial };
    }
  }
  return best;
}
