import { formatValue } from '../util/format.js';
import { withConfig } from './chart.js';
import type { RunData } from './data.js';
import { compareFigures, runFigures, type Figure, type FigureOptions } from './figures.js';
import { runRecords } from './table.js';
import { winnerLineage } from './figures-pbt.js';
import type { SchedulePiece } from '../study/lineage.js';
import { isMulti, isPlain } from '../study/objectives.js';

/** PBT: the winner's LR schedule, in the shape of `search --json`'s lineage.lrSchedule ([{ from, to, value }]). */
export const LR_SCHEDULE_FILE = 'lr-schedule.json';

/** What the page draws for one run: the report embeds it, the dashboard fetches it. Plain JSON. */
export interface RunPayload {
  readonly title: string;
  readonly status: string;
  readonly warnings: readonly string[];
  readonly best:
    | {
        /** What the value is: "value" (the fitness's loss), or the objective and its direction, e.g. "accuracy (maximised)". */
        readonly label: string;
        readonly value: string;
        readonly trial: number;
        readonly params: Readonly<Record<string, unknown>>;
      }
    | undefined;
  /** Parameter names in space order (the contour plot's choices). */
  readonly params: readonly string[];
  readonly figures: readonly Figure[];
  /** PBT: the winner's learning rate over epochs (the schedule evolution found), as data a user can reuse. */
  readonly lrSchedule?: { readonly param: string; readonly trial: number; readonly pieces: readonly SchedulePiece[] };
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

/** "value" for a plain run; else the first objective, its direction, and a note when no trial met the constraints. */
function bestLabel(d: RunData): string {
  const o = d.objectives.objectives[0]!;
  const what = isPlain(d.objectives)
    ? 'value'
    : `${o.name} (${o.direction === 'maximize' ? 'maximised' : 'minimised'}${isMulti(d.objectives) ? ', first objective' : ''})`;
  return d.best?.violation ? `${what}, no trial met the constraints: least violation` : what;
}

const withConfigs = (figs: readonly Figure[]) => figs.map((f) => (f.spec ? { ...f, spec: withConfig(f.spec) } : f));

export function runPayload(d: RunData, o: FigureOptions = {}): RunPayload {
  return {
    title: runTitle(d),
    status: statusText(d),
    warnings: d.warnings,
    best: d.best && { label: bestLabel(d), value: formatValue(d.best.value), trial: d.best.trial, params: d.best.params },
    params: Object.keys(d.space),
    figures: withConfigs(runFigures(d, o)),
    ...((w) => (w?.lr ? { lrSchedule: { param: w.lr.param, trial: w.trial, pieces: w.lr.schedule } } : {}))(winnerLineage(d)),
    table: runRecords(d),
  };
}

export const comparePayload = (runs: ReadonlyArray<{ name: string; data: RunData }>, o: FigureOptions = {}) => ({
  figures: withConfigs(compareFigures(runs, o)),
});
