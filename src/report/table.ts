import type { SpaceSpec } from '../space/spec.js';
import type { TrialRow } from '../journal/trials.js';
import { objectiveColumns } from '../study/objectives.js';
import { trialView, type RunData } from './data.js';

/**
 * The trials table as flat records: fixed columns, then one per parameter, then one per metric ("metric.<name>").
 * A pruned trial's value is its last reported one, and `step` (only when a trial was pruned) the step it reached.
 */
export function trialRecords(rows: readonly TrialRow[], space: SpaceSpec): { columns: string[]; records: Array<Record<string, unknown>> } {
  const names = Object.keys(space);
  const trials = rows.map(trialView);
  const metricNames = [...new Set(trials.flatMap((t) => Object.keys(t.metrics)))].sort();
  const pruned = trials.some((t) => t.state === 'pruned');
  const columns = [
    'trial',
    'generation',
    'seed',
    'state',
    'value',
    ...(pruned ? ['step'] : []),
    'failure',
    'message',
    'durationMs',
    'worker',
    'finishedAt',
    ...names,
    ...metricNames.map((m) => `metric.${m}`),
  ];
  const records = trials.map((t, i) => {
    const rec: Record<string, unknown> = {
      trial: t.trial,
      generation: t.generation,
      seed: rows[i]!.seed,
      state: t.state,
      value: t.value,
      ...(pruned ? { step: t.step } : {}),
      failure: t.failure?.kind,
      message: t.failure?.message,
      durationMs: Math.round(t.durationMs * 1000) / 1000,
      worker: t.worker,
      finishedAt: rows[i]!.finishedAt,
    };
    for (const n of names) rec[n] = t.params[n];
    for (const m of metricNames) rec[`metric.${m}`] = t.metrics[m];
    return rec;
  });
  return { columns, records };
}

/**
 * The trials table of a run: trialRecords, then (a run that chose objectives or constraints) whether each trial
 * met the constraints and whether it is on the Pareto front. What the report, the dashboard and export show.
 */
export function runRecords(d: Pick<RunData, 'rows' | 'space' | 'objectives'>): { columns: string[]; records: Array<Record<string, unknown>> } {
  const table = trialRecords(d.rows, d.space);
  const marks = objectiveColumns(
    d.objectives,
    d.rows.map((r) => ({ number: r.trial, params: r.params, outcome: r.outcome })),
  );
  return { columns: [...table.columns, ...marks.columns], records: table.records.map((rec) => ({ ...rec, ...marks.of(rec.trial as number) })) };
}

/** RFC 4180 CSV: a header, then one line per trial; empty cells for what a trial does not have. */
export function toCsv(columns: readonly string[], records: ReadonlyArray<Record<string, unknown>>): string {
  const cell = (v: unknown) => {
    if (v === undefined || v === null) return '';
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${[columns.map(cell).join(','), ...records.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n')}\n`;
}
