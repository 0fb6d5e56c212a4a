import { errors } from '../errors.js';
import type { Metrics, TrialOutcome } from '../eval/types.js';
import type { Params } from '../space/spec.js';
import type { Best, ReplayedTrial } from '../study/types.js';
import type { AskedLine, FinishedLine } from './format.js';
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

/** The first "finished" line of each trial (a trial is never rerun once finished, so there is only one). */
function finishedLines(journal: Journal): Map<number, FinishedLine> {
  const out = new Map<number, FinishedLine>();
  for (const line of journal.lines) if (line.type === 'finished' && !out.has(line.trial)) out.set(line.trial, line);
  return out;
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
  for (const [trial, line] of finishedLines(journal)) out.set(trial, { x: line.x, outcome: outcomeOf(line) });
  return out;
}

/** Every finished trial, by trial number. */
export function trialRows(journal: Journal, dir: string): TrialRow[] {
  const asked = new Map<number, AskedLine>();
  for (const line of journal.lines) if (line.type === 'asked') asked.set(line.trial, line);
  return [...finishedLines(journal).values()]
    .sort((a, b) => a.trial - b.trial)
    .map((f) => {
      const a = asked.get(f.trial);
      if (!a) throw errors.runFolder(dir, `the journal has trial ${f.trial} finished but never asked`);
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
