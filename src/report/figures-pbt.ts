/**
 * Population-based training (--strategy pbt): the population over rounds (which member continued from which
 * parent, the winner's chain highlighted) and the winner's learning rate over epochs, the schedule PBT discovered,
 * beside the LR range test's bounds when the run had one. The lineage is the study's own (study/lineage.ts), the
 * same one `search --json` reports as `lineage`.
 */
import { findLrParam } from '../space/spec.js';
import { lineageOf, scheduleOf, type LineageStep, type SchedulePiece } from '../study/lineage.js';
import type { TrialRecord } from '../study/types.js';
import type { ChartSpec } from './chart.js';
import type { RunData, TrialView } from './data.js';
import { COLORS, type Figure } from './chart.js';

/** The best trial's lineage and, when the space has a learning rate, that parameter along it. */
export interface WinnerLineage {
  readonly trial: number;
  readonly steps: readonly LineageStep[];
  readonly lr?: { readonly param: string; readonly schedule: readonly SchedulePiece[] };
}

const continued = (d: RunData) => d.trials.some((t) => t.segment !== undefined);

export function winnerLineage(d: RunData): WinnerLineage | undefined {
  if (!continued(d) || !d.best) return undefined;
  const history: TrialRecord[] = d.rows.map((r) => ({
    number: r.trial,
    generation: r.generation,
    x: r.x,
    params: r.params,
    seed: r.seed,
    outcome: r.outcome,
    replayed: true,
    ...(r.segment ? { segment: r.segment } : {}),
    ...(r.parent !== undefined ? { parent: r.parent } : {}),
  }));
  const steps = lineageOf(history, d.best.trial);
  const param = findLrParam(d.space);
  return { trial: d.best.trial, steps, ...(param ? { lr: { param, schedule: scheduleOf(steps, param) } } : {}) };
}

/** Each member's place in its round: rounds by segment start, members in trial order. */
function slots(trials: readonly TrialView[]): Map<number, { round: number; slot: number }> {
  const starts = [...new Set(trials.map((t) => t.segment!.from))].sort((a, b) => a - b);
  const out = new Map<number, { round: number; slot: number }>();
  starts.forEach((from, round) =>
    trials
      .filter((t) => t.segment!.from === from)
      .sort((a, b) => a.trial - b.trial)
      .forEach((t, slot) => out.set(t.trial, { round, slot })),
  );
  return out;
}

export function lineageFigure(d: RunData, w = winnerLineage(d)): Figure | undefined {
  if (!continued(d)) return undefined;
  const title = 'PBT lineage';
  const caption =
    "The population over rounds: one dot per member at the epoch its round ended (coloured by its value there, darker is better), a line from the member whose weights it continued from. A member that kept its own weights continues straight on; a diagonal is an exploit (the worse member copied a better one). The winner's chain is drawn thick.";
  const trials = d.trials.filter((t) => t.segment !== undefined);
  const at = slots(trials);
  const byNumber = new Map(trials.map((t) => [t.trial, t]));
  const chain = new Set(w?.steps.map((s) => s.trial) ?? []);
  const members = trials.map((t) => ({
    trial: t.trial,
    epoch: t.segment!.to,
    member: at.get(t.trial)!.slot,
    value: t.value,
    state: t.state,
    ...Object.fromEntries(Object.keys(d.space).map((n, i) => [`p${i}`, t.params[n]])),
  }));
  const links = trials.flatMap((t) => {
    const p = t.parent === undefined ? undefined : byNumber.get(t.parent);
    if (!p) return [];
    const exploit = at.get(p.trial)!.slot !== at.get(t.trial)!.slot;
    return [{ trial: t.trial, parent: p.trial, x: p.segment!.to, y: at.get(p.trial)!.slot, x2: t.segment!.to, y2: at.get(t.trial)!.slot, exploit }];
  });
  const winner = links.filter((l) => chain.has(l.trial));
  const x = { field: 'epoch', type: 'quantitative', title: 'epoch (end of the round)', axis: { tickMinStep: 1 } } as const;
  const y = { field: 'member', type: 'quantitative', title: 'member', axis: { tickMinStep: 1 }, scale: { zero: false, nice: false } } as const;
  const line = (l: typeof links) => ({ values: l.map((k) => ({ ...k, epoch: k.x, member: k.y, epoch2: k.x2, member2: k.y2 })) });
  const tooltip = [
    { field: 'trial', type: 'quantitative' },
    { field: 'value', type: 'quantitative', format: '.4g' },
    ...Object.keys(d.space).map((n, i) => ({ field: `p${i}`, type: 'nominal', title: n })),
  ];
  const spec = {
    width: 640,
    height: Math.max(160, 18 * Math.max(...members.map((m) => m.member + 1))),
    layer: [
      {
        name: 'links',
        data: line(links.filter((l) => !chain.has(l.trial))),
        mark: { type: 'rule', strokeWidth: 1 },
        encoding: { x, y, x2: { field: 'epoch2' }, y2: { field: 'member2' }, color: { value: '#bbb' }, opacity: { value: 0.8 } },
      },
      {
        name: 'winner',
        data: line(winner),
        mark: { type: 'rule', strokeWidth: 3.5, color: COLORS.best },
        encoding: { x, y, x2: { field: 'epoch2' }, y2: { field: 'member2' } },
      },
      {
        name: 'members',
        data: { values: members },
        mark: { type: 'point', filled: true, size: 46, stroke: '#333', strokeWidth: 0.4 },
        encoding: {
          x,
          y,
          color: {
            field: 'value',
            type: 'quantitative',
            title: 'value (quantiles)',
            scale: { type: 'quantile', scheme: 'viridis', count: 7 },
            legend: { format: '.3g' },
          },
          tooltip,
        },
      },
    ],
  };
  return { id: 'lineage', title, caption, spec: spec as unknown as ChartSpec };
}

const num = (v: number) => Number(v.toPrecision(3)).toString();

/** The schedule as text: "epochs 0-4: 0.1; 4-8: 0.05". */
export const scheduleText = (pieces: readonly SchedulePiece[]) =>
  pieces.map((p) => `${num(p.from)}-${num(p.to)}: ${typeof p.value === 'number' ? num(p.value) : String(p.value)}`).join('; ');

/**
 * The winner's LR over epochs (thick), every member's LR in each round (faint), and the LR range test's bounds
 * and suggestion when the run had one: how far evolution moved the LR from where the range test put it.
 */
export function lrScheduleFigure(d: RunData, w = winnerLineage(d)): Figure | undefined {
  if (!continued(d) || !w?.lr) return undefined;
  const { param, schedule } = w.lr;
  const title = `Evolved schedule of ${param}`;
  const numbers = schedule.filter((p): p is SchedulePiece & { value: number } => typeof p.value === 'number');
  const spaceParam = d.space[param];
  const log = spaceParam?.type !== 'categorical' && spaceParam?.log === true;
  const range = d.lrRange?.bounds;
  const caption = `The winner's (trial ${w.trial}) ${param} over epochs: the schedule PBT discovered (epochs ${scheduleShort(schedule)}), with every member's ${param} per round faint behind it${
    range ? ` and the LR range test's bounds shaded (${num(range[0])} .. ${num(range[1])})` : ''
  }. The report writes it as lr-schedule.json; search --json gives it as lineage.lrSchedule.`;
  const members = d.trials.flatMap((t) =>
    t.segment && typeof t.params[param] === 'number'
      ? [{ from: t.segment.from, to: t.segment.to, lr: t.params[param] as number, trial: t.trial }]
      : [],
  );
  const y = {
    field: 'lr',
    type: 'quantitative',
    title: `${param}${log ? ' (log scale)' : ''}`,
    scale: log ? { type: 'log' } : { zero: false },
    axis: log ? { format: '.0e' } : {},
  } as const;
  const x = { field: 'from', type: 'quantitative', title: 'epoch' } as const;
  const layers: unknown[] = [];
  if (range)
    layers.push({
      name: 'bounds',
      data: { values: [{ lo: range[0], hi: range[1], key: `LR range test bounds ${num(range[0])} .. ${num(range[1])}` }] },
      mark: { type: 'rect', opacity: 0.15 },
      encoding: {
        y: { ...y, field: 'lo' },
        y2: { field: 'hi' },
        fill: { field: 'key', type: 'nominal', title: null, scale: { range: ['#4c9f70'] } },
      },
    });
  layers.push(
    {
      name: 'population',
      data: { values: members },
      mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.3, color: COLORS.trial },
      encoding: { x, x2: { field: 'to' }, y },
    },
    {
      name: 'schedule',
      data: { values: numbers.map((p) => ({ from: p.from, to: p.to, lr: p.value })) },
      mark: { type: 'rule', strokeWidth: 4, color: COLORS.best },
      encoding: {
        x,
        x2: { field: 'to' },
        y,
        tooltip: [
          { field: 'from', type: 'quantitative', title: 'from epoch' },
          { field: 'to', type: 'quantitative', title: 'to epoch' },
          { field: 'lr', type: 'quantitative', title: param, format: '.3g' },
        ],
      },
    },
  );
  if (d.lrRange?.suggestion !== undefined)
    layers.push({
      name: 'suggestion',
      data: { values: [{ lr: d.lrRange.suggestion, key: `range test suggestion ${num(d.lrRange.suggestion)}` }] },
      mark: { type: 'rule', strokeDash: [5, 3], strokeWidth: 1.5, color: '#c0392b' },
      encoding: { y, strokeDash: { field: 'key', type: 'nominal', title: null, scale: { range: [[5, 3]] } } },
    });
  return {
    id: 'lr-schedule',
    title,
    caption,
    spec: { width: 640, height: 260, layer: layers, resolve: { scale: { fill: 'independent', strokeDash: 'independent' } } } as unknown as ChartSpec,
  };
}

/** The schedule in the caption: the whole of a short one, the start of a long one. */
const scheduleShort = (s: readonly SchedulePiece[]) => (s.length <= 10 ? scheduleText(s) : `${scheduleText(s.slice(0, 10))}; ...`);
