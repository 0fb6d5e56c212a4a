/**
 * The LR range test's charts (report, dashboard and `evotune lr-find`'s SVG): loss against LR with the bounds
 * shaded and every rule's suggestion marked, the LR against the step, and refine's race.
 */
import type { ChartSpec, Figure } from './chart.js';
import type { LrRange } from './data.js';

type Layer = NonNullable<Extract<ChartSpec, { layer: unknown }>['layer']>[number];
type Points = LrRange['curve']['points'];
type Refinement = NonNullable<LrRange['refinement']>;

const WIDTH = 640;
const RULE_COLORS = ['#7f7f7f', '#17becf', '#bcbd22', '#8c564b', '#e377c2', '#2ca02c'];
const sci = (v: number) =>
  Number(v.toPrecision(3))
    .toExponential()
    .replace(/\.?0*e/, 'e')
    .replace('e+', 'e');

/** The loss panel: raw loss faint, smoothed loss bold, the bounds shaded, each rule's suggestion a thin coloured
 *  line, the chosen suggestion a dashed red one. The loss axis is cut a little above the starting loss, so that
 *  the blow-up that ends the test does not squash the part worth reading. */
export function lossPanel(r: Pick<LrRange, 'curve' | 'suggestion' | 'bounds' | 'rule' | 'suggestions' | 'members'>, width = WIDTH): ChartSpec {
  const pts: Points = r.curve.points;
  const first = pts[0]?.smoothed ?? 0;
  const lowest = Math.min(...pts.map((p) => Math.min(p.loss, p.smoothed)));
  const top = first + 0.5 * Math.max(first - lowest, 1e-12);
  const x = { field: 'lr', type: 'quantitative', title: 'learning rate (log scale)', scale: { type: 'log' }, axis: { format: '.0e' } } as const;
  const y = { field: 'loss', type: 'quantitative', title: 'loss', scale: { zero: false, domainMax: top } } as const;
  const layers: Layer[] = [];
  if (r.bounds) {
    const [lo, hi] = r.bounds;
    layers.push({
      name: 'bounds',
      data: { values: [{ lo, hi, key: `bounds ${sci(lo)} .. ${sci(hi)}` }] },
      mark: { type: 'rect', opacity: 0.15 },
      encoding: {
        x: { ...x, field: 'lo' },
        x2: { field: 'hi' },
        fill: { field: 'key', type: 'nominal', title: null, scale: { range: ['#4c9f70'] } },
      },
    });
  }
  if (r.members) {
    // The members' spread around the median: quartiles of the smoothed loss, cut at the top of the axis (a member
    // that stopped counts as above it).
    const key = `quartiles of ${r.members.seeds.length} curves (seeds ${r.members.seeds[0]}..${r.members.seeds[r.members.seeds.length - 1]})`;
    const values = r.members.band.map((b) => ({ lr: b.lr, q1: Math.min(b.q1, top), q3: Math.min(b.q3 ?? top, top), key }));
    layers.push({
      name: 'band',
      data: { values },
      mark: { type: 'area', opacity: 0.25, clip: true },
      encoding: {
        x,
        y: { ...y, field: 'q1' },
        y2: { field: 'q3' },
        fill: { field: 'key', type: 'nominal', title: null, scale: { range: ['#1f4e89'] } },
      },
    });
  }
  const series = r.members ? (['median loss', 'median smoothed loss'] as const) : (['loss', 'smoothed loss'] as const);
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: [...series], range: ['#9bb7d4', '#1f4e89'] },
  } as const;
  for (const [label, key, width, name] of [
    [series[0], 'loss', 1, 'loss'],
    [series[1], 'smoothed', 2.4, 'smoothed'],
  ] as const) {
    const values = pts.map((p) => ({ lr: p.lr, loss: Math.min(p[key], top), series: label }));
    layers.push({ name, data: { values }, mark: { type: 'line', strokeWidth: width, clip: true }, encoding: { x, y, color } });
  }
  const rules = Object.entries(r.suggestions ?? {}).flatMap(([rule, lr]) => (typeof lr === 'number' ? [{ lr, rule: `${rule} ${sci(lr)}` }] : []));
  if (rules.length > 0) {
    const stroke = { field: 'rule', type: 'nominal', title: "each rule's suggestion", scale: { range: RULE_COLORS } } as const;
    layers.push({ name: 'rules', data: { values: rules }, mark: { type: 'rule', strokeWidth: 1.4, opacity: 0.9 }, encoding: { x, stroke } });
  }
  if (r.suggestion !== undefined) {
    const key = `suggestion ${sci(r.suggestion)}${r.rule ? ` (${r.rule})` : ''}`;
    layers.push({
      name: 'suggestion',
      data: { values: [{ lr: r.suggestion, key }] },
      mark: { type: 'rule', strokeDash: [5, 3], strokeWidth: 2 },
      encoding: { x, strokeDash: { field: 'key', type: 'nominal', title: null, scale: { range: [[5, 3]] } }, color: { value: '#c0392b' } },
    });
  }
  return {
    width,
    height: 300,
    layer: layers,
    resolve: { scale: { stroke: 'independent', fill: 'independent', strokeDash: 'independent' } },
  } as ChartSpec;
}

/** The schedule: the LR at each step (log axis). */
export function schedulePanel(pts: Points, width = WIDTH): ChartSpec {
  return {
    name: 'schedule',
    width,
    height: 140,
    data: { values: pts.map((p, i) => ({ step: p.step ?? i, lr: p.lr })) },
    mark: { type: 'line', strokeWidth: 2, color: '#1f4e89' },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'lr', type: 'quantitative', title: 'LR', scale: { type: 'log' }, axis: { format: '.0e' } },
    },
  } as ChartSpec;
}

/**
 * Refine's race on a zoomed LR axis: every training's validation loss (grey dots; a diverged one as a red cross at
 * the top), the mean of each LR (dark tick) and of each finalist (orange, wider), and the suggestion. Log loss
 * axis: a training that blew up should not flatten the differences the race decided on.
 */
export function refinePanel(r: Refinement, suggestion: number | undefined, width = WIDTH): ChartSpec {
  const onLog = (v: number | null): v is number => v !== null && Number.isFinite(v) && v > 0;
  const lrs = r.probes.map((p) => p.lr);
  const domain = [Math.min(...lrs) / 10 ** 0.15, Math.max(...lrs) * 10 ** 0.15];
  const x = {
    field: 'lr',
    type: 'quantitative' as const,
    title: 'learning rate (log scale, the refine LRs)',
    scale: { type: 'log' as const, domain },
    axis: { values: lrs, format: '.2e' },
  };
  const dots = r.probes.flatMap((p) => p.losses.filter(onLog).map((loss) => ({ lr: p.lr, loss })));
  const losses = dots.map((d) => d.loss);
  const topLoss = losses.length ? Math.max(...losses) : 1;
  const y = { field: 'loss', type: 'quantitative', title: 'validation loss (log)', scale: { type: 'log' } } as const;
  const means = r.probes.flatMap((p) =>
    p.losses.every(onLog)
      ? [{ lr: p.lr, loss: (p.losses as number[]).reduce((a, b) => a + b, 0) / p.losses.length, finalist: r.finalists.includes(p.lr) }]
      : [],
  );
  const diverged = r.probes.flatMap((p) => p.losses.filter((v) => !onLog(v)).map(() => ({ lr: p.lr, loss: topLoss })));
  const layers: Layer[] = [
    {
      name: 'trainings',
      data: { values: dots },
      mark: { type: 'point', filled: true, size: 30, color: '#8a8a8a', opacity: 0.9 },
      encoding: { x, y },
    },
    {
      name: 'means',
      data: { values: means.filter((m) => !m.finalist) },
      mark: { type: 'tick', orient: 'horizontal', color: '#1f4e89', thickness: 2, size: 16 },
      encoding: { x, y },
    },
    {
      name: 'finalists',
      data: { values: means.filter((m) => m.finalist) },
      mark: { type: 'tick', orient: 'horizontal', color: '#e67e22', thickness: 3, size: 26 },
      encoding: { x, y },
    },
    {
      name: 'diverged',
      data: { values: diverged },
      mark: { type: 'point', shape: 'cross', filled: true, size: 60, color: '#c0392b' },
      encoding: { x, y },
    },
  ];
  // Layer names are unique across the picture: two layers of one name would share their data.
  if (suggestion !== undefined)
    layers.push({
      name: 'refine_suggestion',
      data: { values: [{ lr: suggestion }] },
      mark: { type: 'rule', color: '#c0392b', strokeDash: [5, 3], strokeWidth: 1.6, clip: true },
      encoding: { x },
    });
  return {
    title: {
      text: "refine: validation loss after training the task's budget at a fixed LR",
      fontSize: 12,
      subtitle: 'grey: one training; dark: mean; orange: mean of a finalist; red cross: diverged; dashed: suggestion',
    },
    width,
    height: 170,
    layer: layers,
  } as ChartSpec;
}

/** The LR range test as the report and the dashboard show it. */
export function lrRangeFigure(r: LrRange): Figure {
  const facts = [
    r.suggestion !== undefined ? `suggestion ${sci(r.suggestion)}` : '',
    r.bounds ? `bounds ${sci(r.bounds[0])} .. ${sci(r.bounds[1])}` : '',
    r.rule ? `rule ${r.rule}` : '',
  ].filter(Boolean);
  const panels = [lossPanel(r), ...(r.refinement ? [refinePanel(r.refinement, r.suggestion)] : [])];
  return {
    id: 'lr-range',
    title: 'LR range test',
    caption: `Training loss while the learning rate grows${facts.length ? `: ${facts.join(', ')}` : ''}${
      r.members ? ` (the median of ${r.members.seeds.length} curves, one per seed; blue shading: their quartiles)` : ''
    }. The ${r.members ? 'green' : 'shaded'} band is the range the search used; coloured lines mark every rule's suggestion.`,
    spec: panels.length === 1 ? panels[0]! : ({ vconcat: panels, spacing: 40 } as ChartSpec),
  };
}
