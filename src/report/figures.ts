import { Space } from '../space/codec.js';
import type { ParamSpec, ParamValue } from '../space/spec.js';
import { wantsLogScale, type ChartSpec } from './chart.js';
import type { LrRange, RunData } from './data.js';

/** One picture of the report: its file name, a caption and the spec that draws it. */
export interface Figure {
  readonly file: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: ChartSpec;
}

const WIDTH = 640;
const COLORS = { trial: '#4c78a8', failed: '#c0392b', best: '#f58518' };

const completeRows = (d: RunData) =>
  d.rows.flatMap((r) => (r.outcome.state === 'complete' ? [{ row: r, value: r.outcome.value }] : []));

const valueScale = (values: readonly number[]) => (wantsLogScale(values) ? { type: 'log' as const } : { zero: false });
const valueTitle = (values: readonly number[]) => (wantsLogScale(values) ? 'value (log scale; lower is better)' : 'value (lower is better)');

/** Each trial's value by trial number, the best so far as a step line, failed trials marked along the top. */
export function historyFigure(d: RunData): Figure {
  const done = completeRows(d);
  const values = done.map((c) => c.value);
  let best = Infinity;
  const bestLine = done.map((c) => ({ trial: c.row.trial, value: (best = Math.min(best, c.value)), series: 'best so far' }));
  const top = values.length > 0 ? Math.max(...values) : 1;
  const points = done.map((c) => ({ trial: c.row.trial, value: c.value, series: 'trial' }));
  const failed = d.rows.filter((r) => r.outcome.state === 'failed').map((r) => ({ trial: r.trial, value: top, series: 'failed trial' }));
  const series = failed.length > 0 ? (['trial', 'failed trial', 'best so far'] as const) : (['trial', 'best so far'] as const);
  const color = { field: 'series', type: 'nominal' as const, title: null, scale: { domain: [...series], range: series.map((k) => COLORS[k === 'trial' ? 'trial' : k === 'failed trial' ? 'failed' : 'best']) } };
  const y = { field: 'value', type: 'quantitative', title: valueTitle(values), scale: valueScale(values) } as const;
  return {
    file: 'history.svg',
    title: 'Optimisation history',
    caption: 'Each finished trial\'s value in the order the trials were numbered, and the best value so far. Failed trials are marked at the top.',
    spec: {
      width: WIDTH,
      height: 300,
      layer: [
        {
          data: { values: points },
          mark: { type: 'point', filled: true, size: 28, opacity: 0.75 },
          encoding: { x: { field: 'trial', type: 'quantitative', title: 'trial' }, y, color },
        },
        {
          data: { values: failed },
          mark: { type: 'point', shape: 'cross', filled: true, size: 50 },
          encoding: { x: { field: 'trial', type: 'quantitative' }, y, color },
        },
        {
          data: { values: bestLine },
          mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
          encoding: { x: { field: 'trial', type: 'quantitative' }, y, color },
        },
      ],
    },
  };
}

/** The value of parameter `name` at position u of its axis in the unit cube, for axis labels. */
const decodeAt = (name: string, p: ParamSpec, u: number): ParamValue => new Space({ [name]: p }).decode([u])[name]!;

const label = (v: ParamValue) => (typeof v === 'number' ? (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-2) ? v.toExponential(0) : String(Number(v.toPrecision(3)))) : String(v));

/** Axis ticks in the unit cube: the ends and middle of a numeric parameter, each choice of a categorical one. */
function axisTicks(name: string, p: ParamSpec): Array<{ param: string; pos: number; label: string }> {
  const at = p.type === 'categorical' ? p.choices.map((_, i) => (i + 0.5) / p.choices.length) : [0, 0.5, 1];
  return at.map((u) => ({ param: name, pos: u, label: label(decodeAt(name, p, u)) }));
}

/**
 * Parallel coordinates: one vertical axis per parameter, at the parameter's position in the space the strategy
 * searched (log scales stay log), one line per finished trial, coloured by value. Best trials are drawn last.
 */
export function parallelFigure(d: RunData): Figure {
  const names = Object.keys(d.space);
  const done = completeRows(d).sort((a, b) => b.value - a.value);
  const values = done.map((c) => c.value);
  // Ints and choices sit at the centre of their bin, so that the lines of one choice meet at its label.
  const space = new Space(d.space);
  const lines = done.flatMap((c) => {
    const pos = space.encode(c.row.params);
    return names.map((param, i) => ({ trial: c.row.trial, param, pos: pos[i]!, value: c.value }));
  });
  const ticks = names.flatMap((n) => axisTicks(n, d.space[n]!));
  const x = { field: 'param', type: 'nominal', sort: names, title: null, axis: { orient: 'top', labelAngle: 0, labelFontWeight: 'bold', labelFontSize: 12, labelPadding: 14, domain: false, ticks: false } } as const;
  const y = { field: 'pos', type: 'quantitative' as const, scale: { domain: [0, 1] }, axis: null };
  return {
    file: 'parallel.svg',
    title: 'Parallel coordinates',
    caption: 'One line per finished trial through its value of each parameter; darker lines are better trials. Axes follow the search space (log parameters on a log axis).',
    spec: {
      width: Math.max(320, 150 * names.length),
      height: 320,
      config: { view: { stroke: null } },
      layer: [
        { data: { values: names.map((param) => ({ param })) }, mark: { type: 'rule', color: '#999' }, encoding: { x, y: { datum: 0, type: 'quantitative', scale: { domain: [0, 1] }, axis: null }, y2: { datum: 1 } } },
        {
          data: { values: lines },
          mark: { type: 'line', strokeWidth: 1.2, opacity: 0.7 },
          encoding: {
            x,
            y,
            detail: { field: 'trial', type: 'nominal' },
            color: { field: 'value', type: 'quantitative', title: 'value', scale: { scheme: 'viridis', ...(wantsLogScale(values) ? { type: 'log' } : {}) } },
          },
        },
        { data: { values: ticks }, mark: { type: 'text', align: 'left', dx: 5, fontSize: 10, color: '#333' }, encoding: { x, y, text: { field: 'label', type: 'nominal' } } },
      ],
    },
  };
}

/** Each parameter against value, coloured by trial number (later trials darker: where the search went). */
export function paramsFigure(d: RunData): Figure {
  const names = Object.keys(d.space);
  const done = completeRows(d);
  const values = done.map((c) => c.value);
  // Parameter names may hold dots or brackets, which Vega-Lite reads as paths: use positional field names.
  // Choices as text, so that numbers and booleans among them sit on a nominal axis like strings.
  const cell = (n: string) => (v: ParamValue | undefined) => (d.space[n]!.type === 'categorical' ? String(v) : v);
  const data = done.map((c) => Object.fromEntries([['trial', c.row.trial], ['value', c.value], ...names.map((n, i) => [`p${i}`, cell(n)(c.row.params[n])])]));
  const charts = names.map((name, i) => {
    const p = d.space[name]!;
    const x =
      p.type === 'categorical'
        ? // Every choice, tried or not: an empty column says something too.
          ({ field: `p${i}`, type: 'nominal', title: name, scale: { domain: p.choices.map(String) }, axis: { labelAngle: 0 } } as const)
        : ({
            field: `p${i}`,
            type: 'quantitative',
            title: p.log ? `${name} (log scale)` : name,
            // The whole searched range, so that a cluster at one end shows as such.
            scale: { domain: [p.low, p.high], ...(p.log ? { type: 'log' as const } : { zero: false }) },
            // Decimals of small numbers are unreadable at a glance: 1e-5 rather than 0.00001.
            ...(p.low > 0 && p.low < 1e-2 ? { axis: { format: '.0e' } } : {}),
          } as const);
    return {
      width: 220,
      height: 180,
      mark: { type: 'point', filled: true, size: 24, opacity: 0.8 },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: valueTitle(values), scale: valueScale(values) },
        color: { field: 'trial', type: 'quantitative', title: 'trial', scale: { scheme: 'blues' } },
      },
    } as const;
  });
  return {
    file: 'params.svg',
    title: 'Each parameter against value',
    caption: 'Every finished trial, one panel per parameter; darker points are later trials.',
    spec: { data: { values: data }, columns: 3, concat: charts, resolve: { scale: { color: 'shared' } } } as ChartSpec,
  };
}

/** The LR range test: loss (raw and smoothed) against the LR, with the chosen bounds shaded and the suggestion marked. */
export function lrRangeFigure(r: LrRange): Figure {
  const pts = r.curve.points;
  const first = pts[0]?.smoothed ?? 0;
  const lowest = Math.min(...pts.map((p) => Math.min(p.loss, p.smoothed)));
  // Cut the loss axis a little above the starting loss: the blow-up that ends the test would squash the rest.
  const top = first + 0.5 * Math.max(first - lowest, 1e-12);
  const x = { field: 'lr', type: 'quantitative', title: 'learning rate (log scale)', scale: { type: 'log' }, axis: { format: '.0e' } } as const;
  const layers: NonNullable<Extract<ChartSpec, { layer: unknown }>['layer']> = [];
  if (r.bounds) {
    layers.push({ data: { values: [{ lo: r.bounds[0], hi: r.bounds[1] }] }, mark: { type: 'rect', color: '#4c9f70', opacity: 0.15 }, encoding: { x: { ...x, field: 'lo' }, x2: { field: 'hi' } } });
  }
  const y = { field: 'loss', type: 'quantitative', title: 'loss', scale: { zero: false, domainMax: top } } as const;
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: ['loss', 'smoothed loss'], range: ['#9bb7d4', '#1f4e89'] } } as const;
  for (const [series, key, width] of [['loss', 'loss', 1], ['smoothed loss', 'smoothed', 2.4]] as const) {
    const values = pts.map((p) => ({ lr: p.lr, loss: Math.min(p[key], top), series }));
    layers.push({ data: { values }, mark: { type: 'line', strokeWidth: width }, encoding: { x, y, color } });
  }
  if (r.suggestion !== undefined) {
    layers.push({ data: { values: [{ lr: r.suggestion }] }, mark: { type: 'rule', color: '#c0392b', strokeDash: [5, 3], strokeWidth: 1.6 }, encoding: { x } });
  }
  const sci = (v: number) => Number(v.toPrecision(3)).toExponential().replace('e+', 'e');
  const facts = [r.suggestion !== undefined ? `suggestion ${sci(r.suggestion)}` : '', r.bounds ? `bounds ${sci(r.bounds[0])} .. ${sci(r.bounds[1])}` : '', r.rule ? `rule ${r.rule}` : ''].filter(Boolean);
  return {
    file: 'lr-range.svg',
    title: 'LR range test',
    caption: `Training loss while the learning rate grows${facts.length ? `: ${facts.join(', ')}` : ''}. The shaded band is the range the search used.`,
    spec: { width: WIDTH, height: 300, layer: layers },
  };
}

/** The report's pictures for a run, the LR range test only when there was one. */
export function figures(d: RunData): Figure[] {
  return [historyFigure(d), parallelFigure(d), paramsFigure(d), ...(d.lrRange ? [lrRangeFigure(d.lrRange)] : [])];
}
