/**
 * Every chart of a run, as Vega-Lite specs: the one chart module of the report (report.html and its SVGs), the
 * dashboard (rendered in the page) and the LR range test's plot. Specs carry their data inline. Strings from the
 * journal (parameter names, choices, workers) only ever reach the charts as data or titles, which Vega draws as
 * text; field names are positional (p0, p1, ...) because Vega-Lite reads dots and brackets in a field as paths.
 * Marks have names (`name` on a layer): the browser tests count each chart's marks by them.
 */
import { Space } from '../space/codec.js';
import type { ParamSpec, ParamValue } from '../space/spec.js';
import { COLORS, wantsLogScale, type ChartSpec, type Figure } from './chart.js';
import type { RunData, TrialView } from './data.js';
import { DEFAULT_IMPORTANCE, importances, MIN_TRIALS } from './importance.js';
import { lrRangeFigure } from './figures-lr.js';
import { frontFigure, hypervolumeFigure } from './figures-mo.js';
import { lineageFigure, lrScheduleFigure, winnerLineage } from './figures-pbt.js';
import { rungFigure } from './figures-rungs.js';
import { candidateOf, improves, isPlain, type Candidate } from '../study/objectives.js';

export type { Figure } from './chart.js';

export type ValueScale = 'auto' | 'linear' | 'log';
export interface FigureOptions {
  readonly valueScale?: ValueScale;
  /** The two parameters of the contour plot; default the two most important. */
  readonly contour?: readonly [string, string];
}

const WIDTH = 640;
export { COLORS } from './chart.js';

const valued = (d: RunData, ...states: TrialView['state'][]) =>
  d.trials.filter((t) => states.includes(t.state) && t.value !== undefined) as Array<TrialView & { value: number }>;

/** The value axis: log when asked (and possible) or, on auto, when the values span two decades or more. */
export function valueAxis(values: readonly number[], scale: ValueScale = 'auto', name = 'value', higherIsBetter = false) {
  const canLog = values.length > 0 && values.every((v) => v > 0);
  const log = canLog && (scale === 'log' || (scale === 'auto' && wantsLogScale(values)));
  const better = higherIsBetter ? 'higher is better' : 'lower is better';
  return {
    log,
    scale: log ? { type: 'log' as const } : { zero: false },
    title: log ? `${name} (log scale; ${better})` : `${name} (${better})`,
  };
}

/**
 * Each complete trial's first objective (its value in a plain run; e.g. its accuracy when the run maximised that)
 * and the best so far as the study decides it (feasible first, in the objective's direction).
 */
function firstObjective(d: RunData) {
  const o = d.objectives.objectives[0]!;
  const plain = isPlain(d.objectives);
  const points: Array<{ trial: number; value: number }> = [];
  const bestLine: Array<{ trial: number; value: number; series: string }> = [];
  let best: Candidate | undefined;
  for (const r of d.rows) {
    const c = candidateOf(r.outcome, r.trial, d.objectives);
    if (!c) continue;
    points.push({ trial: r.trial, value: c.value });
    if (improves(c, best, d.objectives)) best = c;
    bestLine.push({ trial: r.trial, value: best!.value, series: 'best so far' });
  }
  return { name: plain ? 'value' : o.name, higher: o.direction === 'maximize', plain, points, bestLine };
}

const empty = (id: string, title: string, caption: string, why: string): Figure => ({ id, title, caption, spec: undefined, empty: why });

/** Each trial's value by trial number, the best so far as a step line, pruned trials at their last value, failed ones along the top. */
export function historyFigure(d: RunData, scale?: ValueScale): Figure {
  const first = firstObjective(d);
  const done = first.points;
  // A scheduler prunes on the reported loss, so pruned trials only ever share the axis of a plain run.
  const pruned = first.plain ? valued(d, 'pruned') : [];
  const values = [...done, ...pruned].map((t) => t.value);
  const axis = valueAxis(values, scale, first.name, first.higher);
  const bestLine = first.bestLine;
  const top = values.length > 0 ? Math.max(...values) : 1;
  const series = [
    'trial',
    ...(pruned.length ? ['pruned trial'] : []),
    ...(d.trials.some((t) => t.state === 'failed') ? ['failed trial'] : []),
    'best so far',
  ];
  const range = series.map((k) =>
    k === 'trial' ? COLORS.trial : k === 'pruned trial' ? COLORS.pruned : k === 'failed trial' ? COLORS.failed : COLORS.best,
  );
  const color = { field: 'series', type: 'nominal' as const, title: null, scale: { domain: series, range } };
  const x = { field: 'trial', type: 'quantitative', title: 'trial' } as const;
  const y = { field: 'value', type: 'quantitative', title: axis.title, scale: axis.scale } as const;
  const tooltip = [
    { field: 'trial', type: 'quantitative' },
    { field: 'value', type: 'quantitative', format: '.4g' },
  ] as const;
  return {
    id: 'history',
    title: 'Optimisation history',
    caption: `Each finished trial's ${first.name} in trial order and the best so far${first.plain ? '' : ` (${first.higher ? 'maximised' : 'minimised'}${d.objectives.constraints.length ? '; feasible trials first' : ''})`}. Pruned trials sit at their last reported value; failed trials are marked at the top.`,
    spec: {
      width: WIDTH,
      height: 300,
      layer: [
        {
          name: 'trials',
          data: { values: done.map((t) => ({ trial: t.trial, value: t.value, series: 'trial' })) },
          mark: { type: 'point', filled: true, size: 28, opacity: 0.75 },
          encoding: { x, y, color, tooltip },
        },
        {
          name: 'pruned',
          data: { values: pruned.map((t) => ({ trial: t.trial, value: t.value, series: 'pruned trial' })) },
          mark: { type: 'point', shape: 'triangle-down', filled: true, size: 40, opacity: 0.8 },
          encoding: { x, y, color, tooltip },
        },
        {
          name: 'failed',
          data: { values: d.trials.filter((t) => t.state === 'failed').map((t) => ({ trial: t.trial, value: top, series: 'failed trial' })) },
          mark: { type: 'point', shape: 'cross', filled: true, size: 50 },
          encoding: { x, y, color },
        },
        { name: 'best', data: { values: bestLine }, mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 }, encoding: { x, y, color } },
      ],
    } as ChartSpec,
  };
}

/** The value of parameter `name` at position u of its axis in the unit cube, for axis labels. */
const decodeAt = (name: string, p: ParamSpec, u: number): ParamValue => new Space({ [name]: p }).decode([u])[name]!;

const label = (v: ParamValue) =>
  typeof v === 'number' ? (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-2) ? v.toExponential(0) : String(Number(v.toPrecision(3)))) : String(v);

/** Axis ticks in the unit cube: the ends and middle of a numeric parameter, each choice of a categorical one. */
function axisTicks(name: string, p: ParamSpec): Array<{ param: string; pos: number; label: string }> {
  const at = p.type === 'categorical' ? p.choices.map((_, i) => (i + 0.5) / p.choices.length) : [0, 0.5, 1];
  return at.map((u) => ({ param: name, pos: u, label: label(decodeAt(name, p, u)) }));
}

/**
 * Parallel coordinates: one vertical axis per parameter, at the parameter's position in the space the strategy
 * searched (log scales stay log), one line per finished trial, coloured by the value's quantile so that one
 * outlier does not turn every other line the same colour. Best trials are drawn last.
 */
export function parallelFigure(d: RunData): Figure {
  const names = Object.keys(d.space);
  const title = 'Parallel coordinates';
  const caption =
    'One line per finished trial through its value of each parameter, coloured by the quantile of its value (darker is better). Axes follow the search space (log parameters on a log axis).';
  const done = valued(d, 'complete').sort((a, b) => b.value - a.value);
  if (done.length === 0) return empty('parallel', title, caption, 'no trial has finished yet');
  // Ints and choices sit at the centre of their bin, so that the lines of one choice meet at its label.
  const space = new Space(d.space);
  const lines = done.flatMap((t) => {
    const pos = space.encode(t.params);
    return names.map((_, i) => ({ trial: t.trial, param: `p${i}`, pos: pos[i]!, value: t.value }));
  });
  const ticks = names.flatMap((n, i) => axisTicks(n, d.space[n]!).map((t) => ({ ...t, param: `p${i}` })));
  const axisNames = names.map((n, i) => ({ param: `p${i}`, name: n }));
  const keys = names.map((_, i) => `p${i}`);
  const x = { field: 'param', type: 'nominal', sort: keys, title: null, axis: null } as const;
  const y = { field: 'pos', type: 'quantitative' as const, scale: { domain: [0, 1] }, axis: null };
  const classes = Math.min(7, Math.max(2, done.length));
  return {
    id: 'parallel',
    title,
    caption,
    spec: {
      width: Math.max(320, 150 * names.length),
      height: 320,
      config: { view: { stroke: null } },
      layer: [
        {
          name: 'axes',
          data: { values: axisNames },
          mark: { type: 'rule', color: '#999' },
          encoding: { x, y: { datum: 0, type: 'quantitative', scale: { domain: [0, 1] }, axis: null }, y2: { datum: 1 } },
        },
        {
          name: 'names',
          data: { values: axisNames },
          mark: { type: 'text', dy: -14, fontWeight: 'bold', fontSize: 12 },
          encoding: { x, y: { datum: 1, type: 'quantitative', scale: { domain: [0, 1] }, axis: null }, text: { field: 'name', type: 'nominal' } },
        },
        {
          name: 'lines',
          data: { values: lines },
          mark: { type: 'line', strokeWidth: 1.2, opacity: 0.7 },
          encoding: {
            x,
            y,
            detail: { field: 'trial', type: 'nominal' },
            color: {
              field: 'value',
              type: 'quantitative',
              title: 'value (quantiles)',
              scale: { type: 'quantile', scheme: `viridis`, count: classes } as never,
              legend: { format: '.3g' },
            },
          },
        },
        {
          name: 'ticks',
          data: { values: ticks },
          mark: { type: 'text', align: 'left', dx: 5, fontSize: 10, color: '#333' },
          encoding: { x, y, text: { field: 'label', type: 'nominal' } },
        },
      ],
    } as ChartSpec,
  };
}

/** The x encoding of a parameter in its real units: a log axis for log parameters, every choice for categoricals. */
function paramX(name: string, p: ParamSpec, field: string) {
  if (p.type === 'categorical')
    return { field, type: 'nominal', title: name, scale: { domain: p.choices.map(String) }, axis: { labelAngle: 0 } } as const;
  return {
    field,
    type: 'quantitative',
    title: p.log ? `${name} (log scale)` : name,
    // The whole searched range, so that a cluster at one end shows as such.
    scale: { domain: [p.low, p.high], ...(p.log ? { type: 'log' as const } : { zero: false }) },
    // Decimals of small numbers are unreadable at a glance: 1e-5 rather than 0.00001.
    ...(p.low > 0 && p.low < 1e-2 ? { axis: { format: '.0e' } } : {}),
  } as const;
}

/** A parameter's value as a chart cell: choices as text, so that numbers and booleans among them sit on a nominal axis. */
const cell = (p: ParamSpec, v: ParamValue | undefined) => (p.type === 'categorical' ? String(v) : v);

/** Slice plots: each parameter against value, coloured by trial number (later trials darker: where the search went). */
export function sliceFigure(d: RunData, scale?: ValueScale): Figure {
  const names = Object.keys(d.space);
  const done = valued(d, 'complete');
  const axis = valueAxis(
    done.map((t) => t.value),
    scale,
  );
  const data = done.map((t) =>
    Object.fromEntries([['trial', t.trial], ['value', t.value], ...names.map((n, i) => [`p${i}`, cell(d.space[n]!, t.params[n])])]),
  );
  const charts = names.map((name, i) => ({
    name: `slice${i}`,
    width: 220,
    height: 180,
    mark: { type: 'point', filled: true, size: 24, opacity: 0.8 },
    encoding: {
      x: paramX(name, d.space[name]!, `p${i}`),
      y: { field: 'value', type: 'quantitative', title: axis.title, scale: axis.scale },
      color: { field: 'trial', type: 'quantitative', title: 'trial', scale: { scheme: 'blues' } },
    },
  }));
  return {
    id: 'slice',
    title: 'Slice plots: each parameter against value',
    caption: 'Every finished trial, one panel per parameter; darker points are later trials.',
    spec: { data: { values: data }, columns: 3, concat: charts, resolve: { scale: { color: 'shared' } } } as ChartSpec,
  };
}

const importanceCache = new WeakMap<RunData, number[] | undefined>();

/** Importance shares of the run's complete trials, in space order; undefined with too few trials. Computed once
 *  per read of the journal (the dashboard draws a run again for every change of axis or contour pair). */
export function runImportances(d: RunData): number[] | undefined {
  if (!importanceCache.has(d)) {
    const done = valued(d, 'complete');
    importanceCache.set(
      d,
      importances(
        d.space,
        done.map((t) => t.params),
        done.map((t) => t.value),
        DEFAULT_IMPORTANCE,
        Number(d.study.config.seed) || 0,
      ),
    );
  }
  return importanceCache.get(d);
}

const METHOD_TEXT = {
  fanova: 'fANOVA (first-order variance shares of a random forest)',
  'ped-anova': 'PED-ANOVA',
  permutation: 'random-forest permutation importance',
} as const;

export function importanceFigure(d: RunData, shares = runImportances(d)): Figure {
  const title = 'Hyperparameter importance';
  const caption = `How much of the variation of the value each parameter explains, by ${METHOD_TEXT[DEFAULT_IMPORTANCE]} on the ranks of the finished trials' values.`;
  if (!shares) return empty('importance', title, caption, `needs ${MIN_TRIALS} finished trials`);
  const names = Object.keys(d.space);
  const rows = names.map((n, i) => ({ name: n, share: shares[i]! }));
  return {
    id: 'importance',
    title,
    caption,
    spec: {
      name: 'bars',
      width: 420,
      height: { step: 22 },
      data: { values: rows },
      mark: { type: 'bar', color: COLORS.trial },
      encoding: {
        y: { field: 'name', type: 'nominal', sort: '-x', title: null },
        x: { field: 'share', type: 'quantitative', title: 'share of importance', axis: { format: '.0%' }, scale: { domain: [0, 1] } },
        tooltip: [{ field: 'share', type: 'quantitative', format: '.1%' }],
      },
    } as ChartSpec,
  };
}

const CONTOUR_GRID = 20;
const CONTOUR_BANDWIDTH = 0.12;

/** Cell edges of a parameter's axis: GRID equal steps of its cube axis (log parameters in log steps), or its choices. */
function cells(p: ParamSpec): Array<{ u: number; lo?: number; hi?: number; choice?: string }> {
  if (p.type === 'categorical') return p.choices.map((c, i) => ({ u: (i + 0.5) / p.choices.length, choice: String(c) }));
  const at = (u: number) => (p.log ? p.low * (p.high / p.low) ** u : p.low + u * (p.high - p.low));
  return Array.from({ length: CONTOUR_GRID }, (_, i) => ({ u: (i + 0.5) / CONTOUR_GRID, lo: at(i / CONTOUR_GRID), hi: at((i + 1) / CONTOUR_GRID) }));
}

/**
 * Contour plot of two parameters: the value over their plane, smoothed from the trials by a Gaussian kernel on
 * their cube positions (choices apart: trials of another choice do not count), in quantile colour bands, with the
 * trials on top. The kernel averages ranks and maps them back to values: one outlier cannot paint its region.
 */
export function contourFigure(d: RunData, pair?: readonly [string, string], shares = runImportances(d)): Figure {
  const names = Object.keys(d.space);
  const title = 'Contour plot';
  const caption =
    'The value over two parameters (chosen above the chart in the dashboard; the two most important in the report), smoothed from the finished trials, which are drawn on top.';
  if (names.length < 2) return empty('contour', title, caption, 'needs two parameters');
  const done = valued(d, 'complete');
  if (done.length < 3) return empty('contour', title, caption, 'needs 3 finished trials');
  const chosen = pair?.every((n) => n in d.space) && pair[0] !== pair[1] ? pair : defaultPair(names, shares);
  const [a, b] = chosen.map((n) => ({ name: n, i: names.indexOf(n), p: d.space[n]! }));
  const space = new Space(d.space);
  const pos = done.map((t) => space.encode(t.params));
  const order = done.map((t, k) => [t.value, k] as const).sort((x, y) => x[0] - y[0]);
  const rank = new Array<number>(done.length);
  order.forEach(([, k], r) => (rank[k] = r / Math.max(1, done.length - 1)));
  const sorted = order.map(([v]) => v);
  const distance = (p: ParamSpec, u: number, v: number) => (p.type === 'categorical' ? (Math.abs(u - v) < 1e-9 ? 0 : Infinity) : u - v);
  const grid = cells(a!.p).flatMap((ca) =>
    cells(b!.p).map((cb) => {
      let w = 0;
      let s = 0;
      pos.forEach((q, k) => {
        const k2 = (distance(a!.p, ca.u, q[a!.i]!) ** 2 + distance(b!.p, cb.u, q[b!.i]!) ** 2) / CONTOUR_BANDWIDTH ** 2;
        const wk = Math.exp(-0.5 * k2);
        w += wk;
        s += wk * rank[k]!;
      });
      const r = w > 1e-12 ? s / w : 0.5;
      const value = sorted[Math.round(r * (sorted.length - 1))]!;
      return { xa: ca.choice ?? ca.lo, xa2: ca.hi, yb: cb.choice ?? cb.lo, yb2: cb.hi, value };
    }),
  );
  const points = done.map((t) => ({ xa: cell(a!.p, t.params[a!.name]), yb: cell(b!.p, t.params[b!.name]), value: t.value, trial: t.trial }));
  const enc = (p: typeof a, field: string) => {
    const e = paramX(p!.name, p!.p, field);
    return p!.p.type === 'categorical'
      ? { ...e, scale: { ...e.scale, paddingInner: 0 } }
      : { ...e, axis: { ...('axis' in e ? e.axis : {}), grid: false } };
  };
  const ex = enc(a, 'xa');
  const ey = { ...enc(b, 'yb'), axis: { labelAngle: 0 } };
  return {
    id: 'contour',
    title: `${title}: ${a!.name} and ${b!.name}`,
    caption,
    spec: {
      width: 420,
      height: 360,
      layer: [
        {
          name: 'cells',
          data: { values: grid },
          mark: { type: 'rect' },
          encoding: {
            x: ex,
            ...(a!.p.type === 'categorical' ? {} : { x2: { field: 'xa2' } }),
            y: ey,
            ...(b!.p.type === 'categorical' ? {} : { y2: { field: 'yb2' } }),
            color: {
              field: 'value',
              type: 'quantitative',
              title: 'value (quantiles)',
              scale: { type: 'quantile', scheme: 'viridis', count: 8 } as never,
              legend: { format: '.3g' },
            },
          },
        },
        {
          name: 'points',
          data: { values: points },
          mark: { type: 'point', shape: 'circle', filled: true, size: 22, color: 'white', stroke: '#222', strokeWidth: 0.8 },
          encoding: {
            x: ex,
            y: ey,
            tooltip: [
              { field: 'trial', type: 'quantitative' },
              { field: 'value', type: 'quantitative', format: '.4g' },
            ],
          },
        },
      ],
    } as ChartSpec,
  };
}

function defaultPair(names: readonly string[], shares: readonly number[] | undefined): [string, string] {
  const order = names.map((n, i) => [n, shares?.[i] ?? 0] as const).sort((x, y) => y[1] - x[1]);
  return [order[0]![0], order[1]![0]];
}

/** The empirical distribution of the values: the share of trials at or below each value. */
export function edfFigure(runs: ReadonlyArray<{ name: string; data: RunData }>, scale?: ValueScale): Figure {
  const all = runs.flatMap((r) => valued(r.data, 'complete').map((t) => ({ run: r.name, value: t.value })));
  const axis = valueAxis(
    all.map((p) => p.value),
    scale,
  );
  const points = runs.flatMap((r) => {
    const vs = valued(r.data, 'complete')
      .map((t) => t.value)
      .sort((x, y) => x - y);
    return vs.map((value, i) => ({ run: r.name, value, share: (i + 1) / vs.length }));
  });
  return {
    id: 'edf',
    title: 'Empirical distribution of values',
    caption: 'For each value, the share of finished trials at or below it: a curve further left and higher is a better run.',
    spec: {
      name: 'edf',
      width: WIDTH,
      height: 260,
      data: { values: points },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
      encoding: {
        x: { field: 'value', type: 'quantitative', title: axis.title, scale: axis.scale },
        y: { field: 'share', type: 'quantitative', title: 'share of trials', axis: { format: '.0%' }, scale: { domain: [0, 1] } },
        color: runs.length > 1 ? { field: 'run', type: 'nominal', title: 'run' } : { value: COLORS.trial },
      },
    } as ChartSpec,
  };
}

/** Best value so far against trial number, one line per run. */
export function compareHistoryFigure(runs: ReadonlyArray<{ name: string; data: RunData }>, scale?: ValueScale): Figure {
  const lines = runs.flatMap((r) => {
    let best = Infinity;
    return valued(r.data, 'complete').map((t) => ({ run: r.name, trial: t.trial, value: (best = Math.min(best, t.value)) }));
  });
  const axis = valueAxis(
    lines.map((l) => l.value),
    scale,
  );
  return {
    id: 'compare-history',
    title: 'Best so far, by run',
    caption: 'The best value found after each trial, one line per run.',
    spec: {
      name: 'best',
      width: WIDTH,
      height: 300,
      data: { values: lines },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
      encoding: {
        x: { field: 'trial', type: 'quantitative', title: 'trial' },
        y: { field: 'value', type: 'quantitative', title: axis.title, scale: axis.scale },
        color: { field: 'run', type: 'nominal', title: 'run' },
      },
    } as ChartSpec,
  };
}

/** Learning curves: every trial's intermediate values by step, pruned trials apart. */
export function learningFigure(d: RunData, scale?: ValueScale): Figure {
  const title = 'Learning curves';
  const caption = "Each trial's intermediate values (reported once per epoch or step); pruned trials end where they were stopped.";
  const withReports = d.trials.filter((t) => t.reports.length > 0);
  if (withReports.length === 0) return empty('learning', title, caption, 'no trial reported intermediate values');
  const points = withReports.flatMap((t) => t.reports.map(([step, value]) => ({ trial: t.trial, step, value, state: t.state })));
  // Each trial's last report as a dot: where a pruned trial was stopped, and a trial that reported once at all.
  const ends = withReports.map((t) => ({ trial: t.trial, step: t.reports.at(-1)![0], value: t.reports.at(-1)![1], state: t.state }));
  const axis = valueAxis(
    points.map((p) => p.value),
    scale,
  );
  const x = { field: 'step', type: 'quantitative', title: 'step', axis: { tickMinStep: 1 } } as const;
  const y = { field: 'value', type: 'quantitative', title: axis.title, scale: axis.scale } as const;
  const color = {
    field: 'state',
    type: 'nominal',
    title: null,
    scale: { domain: ['complete', 'pruned', 'failed'], range: [COLORS.trial, COLORS.pruned, COLORS.failed] },
  } as const;
  return {
    id: 'learning',
    title,
    caption,
    spec: {
      width: WIDTH,
      height: 300,
      layer: [
        {
          name: 'curves',
          data: { values: points },
          mark: { type: 'line', strokeWidth: 1.2, opacity: 0.7 },
          encoding: { x, y, color, detail: { field: 'trial', type: 'nominal' } },
        },
        {
          name: 'ends',
          data: { values: ends },
          mark: { type: 'point', filled: true, size: 22 },
          encoding: {
            x,
            y,
            color,
            tooltip: [
              { field: 'trial', type: 'quantitative' },
              { field: 'step', type: 'quantitative' },
            ],
          },
        },
      ],
    } as ChartSpec,
  };
}

/** A bar per trial on its worker's row, from its start to its end: idle gaps and stragglers show. */
export function timelineFigure(d: RunData): Figure {
  const title = 'Timeline of trials per worker';
  const caption =
    "Each trial from its start to its end on the worker that ran it; gaps are idle time, long bars stragglers. Time from the first trial's start.";
  const ok = d.trials.filter((t) => Number.isFinite(t.finishedAt));
  if (ok.length === 0) return empty('timeline', title, caption, 'no trial has finished yet');
  const t0 = Math.min(...ok.map((t) => t.finishedAt - t.durationMs));
  const bars = ok.map((t) => ({
    trial: t.trial,
    worker: t.worker,
    start: (t.finishedAt - t.durationMs - t0) / 1000,
    end: (t.finishedAt - t0) / 1000,
    state: t.state,
  }));
  const workers = [...new Set(bars.map((b) => b.worker))].sort();
  return {
    id: 'timeline',
    title,
    caption,
    spec: {
      name: 'bars',
      width: WIDTH,
      height: { step: 18 },
      data: { values: bars },
      mark: { type: 'bar', height: { band: 0.7 }, stroke: 'white', strokeWidth: 0.5 } as never,
      encoding: {
        y: { field: 'worker', type: 'nominal', title: 'worker', sort: workers },
        x: { field: 'start', type: 'quantitative', title: 'seconds' },
        x2: { field: 'end' },
        color: {
          field: 'state',
          type: 'nominal',
          title: null,
          scale: { domain: ['complete', 'pruned', 'failed'], range: [COLORS.trial, COLORS.pruned, COLORS.failed] },
        },
        tooltip: [
          { field: 'trial', type: 'quantitative' },
          { field: 'start', type: 'quantitative', format: '.2f' },
          { field: 'end', type: 'quantitative', format: '.2f' },
        ],
      },
    } as ChartSpec,
  };
}

/** Every chart of one run, in page order; the LR range test only when there was one, and so on. */
export function runFigures(d: RunData, o: FigureOptions = {}): Figure[] {
  const shares = runImportances(d);
  const lineage = winnerLineage(d);
  // Figures of a kind of run (several objectives, a scheduler, PBT) are left out of other runs.
  const only = (...f: Array<Figure | undefined>) => f.filter((x): x is Figure => x !== undefined);
  return [
    historyFigure(d, o.valueScale),
    ...only(frontFigure(d), hypervolumeFigure(d)),
    parallelFigure(d),
    sliceFigure(d, o.valueScale),
    contourFigure(d, o.contour, shares),
    importanceFigure(d, shares),
    edfFigure([{ name: 'this run', data: d }], o.valueScale),
    learningFigure(d, o.valueScale),
    ...only(rungFigure(d), lineageFigure(d, lineage), lrScheduleFigure(d, lineage)),
    timelineFigure(d),
    ...(d.lrRange ? [lrRangeFigure(d.lrRange)] : []),
  ];
}

/** The charts that compare runs. */
export function compareFigures(runs: ReadonlyArray<{ name: string; data: RunData }>, o: FigureOptions = {}): Figure[] {
  return [compareHistoryFigure(runs, o.valueScale), edfFigure(runs, o.valueScale)];
}
