import { formatValue } from '../util/format.js';
import { withConfig } from './chart.js';
import type { RunData } from './data.js';
import { compareFigures, runFigures, type Figure, type FigureOptions } from './figures.js';
import { trialRecords } from './table.js';

/** What the page draws for one run: the report embeds it, the dashboard fetches it. Plain JSON. */
export interface RunPayload {
  readonly title: string;
  readonly status: string;
  readonly warnings: readonly string[];
  readonly best: { readonly value: string; readonly trial: number; readonly params: Readonly<Record<string, unknown>> } | undefined;
  /** Parameter names in space order (the contour plot's choices). */
  readonly params: readonly string[];
  readonly figures: readonly Figure[];
  readonly table: { readonly columns: readonly string[]; readonly records: ReadonlyArray<Record<string, unknown>> };
}

const objectiveText = (d: RunData) => {
  const o = d.study.objective;
  return o.kind === 'task'
    ? `task ${o.task}`
    : o.kind === 'module'
      ? `fitness ${decodeURIComponent(o.url.replace(/^.*\//, ''))}`
      : `function ${o.name}`;
};

export const runTitle = (d: RunData) => `${d.study.strategy} on ${objectiveText(d)}, seed ${JSON.stringify(d.study.config.seed)}`;

export function statusText(d: RunData): string {
  const count = (s: string) => d.trials.filter((t) => t.state === s).length;
  const [failed, pruned] = [count('failed'), count('pruned')];
  const counts = `${d.rows.length} of ${d.budget} trials finished${pruned ? `, ${pruned} pruned` : ''}${failed ? `, ${failed} failed` : ''}`;
  return d.status.ended
    ? `${counts}; ended (${d.status.stoppedBy})`
    : `${counts}; still running, or stopped before its end (resume it with evotune search --resume)`;
}

const withConfigs = (figs: readonly Figure[]) => figs.map((f) => (f.spec ? { ...f, spec: withConfig(f.spec) } : f));

export function runPayload(d: RunData, o: FigureOptions = {}): RunPayload {
  return {
    title: runTitle(d),
    status: statusText(d),
    warnings: d.warnings,
    best: d.best && { value: formatValue(d.best.value), trial: d.best.trial, params: d.best.params },
    params: Object.keys(d.space),
    figures: withConfigs(runFigures(d, o)),
    table: trialRecords(d.rows, d.space),
  };
}

export const comparePayload = (runs: ReadonlyArray<{ name: string; data: RunData }>, o: FigureOptions = {}) => ({
  figures: withConfigs(compareFigures(runs, o)),
});
