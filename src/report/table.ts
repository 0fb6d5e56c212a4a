import type { SpaceSpec } from '../space/spec.js';
import type { TrialRow } from '../journal/trials.js';

/** The trials table as flat records: fixed columns, then one per parameter, then one per metric ("metric.<name>"). */
export function trialRecords(rows: readonly TrialRow[], space: SpaceSpec): { columns: string[]; records: Array<Record<string, unknown>> } {
  const names = Object.keys(space);
  const metricNames = [...new Set(rows.flatMap((r) => (r.outcome.state === 'complete' ? Object.keys(r.outcome.metrics) : [])))].sort();
  const columns = ['trial', 'generation', 'seed', 'state', 'value', 'failure', 'message', 'durationMs', 'worker', 'finishedAt', ...names, ...metricNames.map((m) => `metric.${m}`)];
  const records = rows.map((r) => {
    const o = r.outcome;
    const rec: Record<string, unknown> = {
      trial: r.trial,
      generation: r.generation,
      seed: r.seed,
      state: o.state,
      value: o.state === 'complete' ? o.value : undefined,
      failure: o.state === 'failed' ? o.kind : undefined,
      message: o.state === 'failed' ? o.message : undefined,
      durationMs: Math.round(o.durationMs * 1000) / 1000,
      worker: o.worker,
      finishedAt: r.finishedAt,
    };
    for (const n of names) rec[n] = r.params[n];
    for (const m of metricNames) rec[`metric.${m}`] = o.state === 'complete' ? o.metrics[m] : undefined;
    return rec;
  });
  return { columns, records };
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
