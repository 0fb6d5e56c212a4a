/**
 * Multi-objective runs (--objectives a,b[,c]): the Pareto front over all trials, and its hypervolume as the run
 * went on. Objectives are plotted as the fitness returned them (a maximised one is not negated); the front is the
 * study's own (objectives.ts paretoFront) and the hypervolume the strategies' (pareto.ts).
 */
import { hypervolume, nonDominated, type Vector } from '../study/pareto.js';
import { isMulti, paretoFront, scoreOf } from '../study/objectives.js';
import type { ChartSpec } from './chart.js';
import type { RunData } from './data.js';
import { COLORS, type Figure } from './chart.js';

/** Every complete trial's objectives, minimised copy and violation; the run's front as trial numbers. */
function scored(d: RunData) {
  const spec = d.objectives;
  const trials = d.rows.flatMap((r) => {
    const s = scoreOf(r.outcome, spec);
    if (!s) return [];
    const min = s.values.map((v, i) => (spec.objectives[i]!.direction === 'maximize' ? -v : v));
    return [{ trial: r.trial, values: s.values, min, violation: s.violation }];
  });
  const front = new Set(
    paretoFront(
      d.rows.map((r) => ({ number: r.trial, params: r.params, outcome: r.outcome })),
      spec,
    ).map((m) => m.trial),
  );
  return { trials, front };
}

const kindOf = (t: { trial: number; violation: number }, front: ReadonlySet<number>) =>
  front.has(t.trial) ? 'Pareto front' : t.violation > 0 ? 'infeasible' : 'dominated';

const axisTitle = (d: RunData, i: number) => {
  const o = d.objectives.objectives[i]!;
  return `${o.name} (${o.direction === 'maximize' ? 'higher' : 'lower'} is better)`;
};

/** One panel: objective i against objective j, dominated trials faint, infeasible ones crossed, the front joined. */
function panel(d: RunData, data: ReturnType<typeof scored>, i: number, j: number, suffix: string, size: number): ChartSpec {
  const rows = data.trials.map((t) => ({ trial: t.trial, a: t.values[i]!, b: t.values[j]!, kind: kindOf(t, data.front), violation: t.violation }));
  const x = { field: 'a', type: 'quantitative', title: axisTitle(d, i), scale: { zero: false } } as const;
  const y = { field: 'b', type: 'quantitative', title: axisTitle(d, j), scale: { zero: false } } as const;
  const color = {
    field: 'kind',
    type: 'nominal',
    title: null,
    scale: { domain: ['Pareto front', 'dominated', 'infeasible'], range: [COLORS.best, COLORS.trial, COLORS.failed] },
  } as const;
  const tooltip = [
    { field: 'trial', type: 'quantitative' },
    { field: 'a', type: 'quantitative', title: d.objectives.objectives[i]!.name, format: '.4g' },
    { field: 'b', type: 'quantitative', title: d.objectives.objectives[j]!.name, format: '.4g' },
  ] as const;
  // The front of this pair of objectives drawn as a staircase (with two objectives: the whole front).
  const pair = rows.filter((r) => r.kind !== 'infeasible');
  const sign = (k: number) => (d.objectives.objectives[k]!.direction === 'maximize' ? -1 : 1);
  const stairs = nonDominated(pair.map((r) => [sign(i) * r.a, sign(j) * r.b])).map((k) => pair[k]!);
  const layers = [
    {
      name: `dominated${suffix}`,
      data: { values: rows.filter((r) => r.kind === 'dominated') },
      mark: { type: 'point', filled: true, size: 26, opacity: 0.55 },
      encoding: { x, y, color, tooltip },
    },
    {
      name: `infeasible${suffix}`,
      data: { values: rows.filter((r) => r.kind === 'infeasible') },
      mark: { type: 'point', shape: 'cross', filled: true, size: 46, opacity: 0.8 },
      encoding: { x, y, color, tooltip: [...tooltip, { field: 'violation', type: 'quantitative', format: '.3g' }] },
    },
    {
      name: `stairs${suffix}`,
      data: { values: stairs },
      // A line runs in x order; each corner sits where both neighbours dominate it: after the step when x is minimised.
      mark: { type: 'line', interpolate: sign(i) > 0 ? 'step-after' : 'step-before', color: COLORS.best, strokeWidth: 1.5, opacity: 0.7 },
      encoding: { x, y },
    },
    {
      name: `front${suffix}`,
      data: { values: rows.filter((r) => r.kind === 'Pareto front') },
      mark: { type: 'point', filled: true, size: 60, stroke: '#222', strokeWidth: 0.6 },
      encoding: { x, y, color, tooltip },
    },
  ];
  return { width: size, height: size * 0.75, layer: layers } as unknown as ChartSpec;
}

/** The front: a scatter of two objectives, or a pairs plot (every pair of objectives) for three or more. */
export function frontFigure(d: RunData): Figure | undefined {
  if (!isMulti(d.objectives)) return undefined;
  const names = d.objectives.objectives.map((o) => o.name);
  const title = 'Pareto front';
  const caption = `Every complete trial by ${names.join(', ')}: the non-dominated feasible trials (orange, joined), dominated ones (blue)${
    d.objectives.constraints.length ? ' and those that break a constraint (red crosses)' : ''
  }.${names.length > 2 ? ' One panel per pair of objectives; the orange points are the front in all of them.' : ''}`;
  const data = scored(d);
  if (data.trials.length === 0) return { id: 'front', title, caption, spec: undefined, empty: 'no trial has finished yet' };
  if (names.length === 2) return { id: 'front', title, caption, spec: panel(d, data, 0, 1, '', 560) };
  const pairs: ChartSpec[] = [];
  for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) pairs.push(panel(d, data, i, j, `_${i}_${j}`, 300));
  return { id: 'front', title, caption, spec: { columns: 3, concat: pairs, resolve: { scale: { color: 'shared' } } } as ChartSpec };
}

/**
 * The hypervolume of the feasible trials found so far, after each trial. Objectives are scaled to [0, 1] by the
 * run's feasible trials (best to worst, each in its direction), the reference point is 1.1 in every scaled
 * objective (as SMS-EMOA scales them): the largest possible value is 1.1^m, and the caption states the reference
 * point in the objectives' own units.
 */
export function hypervolumeFigure(d: RunData): Figure | undefined {
  if (!isMulti(d.objectives)) return undefined;
  const title = 'Hypervolume over trials';
  const base = 'The volume the feasible trials found so far dominate, after each trial: it only grows, and flattens when the front stops improving.';
  const { trials } = scored(d);
  const feasible = trials.filter((t) => t.violation === 0);
  if (feasible.length === 0) return { id: 'hypervolume', title, caption: base, spec: undefined, empty: 'no feasible trial yet' };
  const m = d.objectives.objectives.length;
  const lo = Array.from({ length: m }, (_, k) => Math.min(...feasible.map((t) => t.min[k]!)));
  const hi = Array.from({ length: m }, (_, k) => Math.max(...feasible.map((t) => t.min[k]!)));
  const scale = (v: Vector) => v.map((x, k) => (hi[k]! > lo[k]! ? (x - lo[k]!) / (hi[k]! - lo[k]!) : 0));
  const ref = new Array<number>(m).fill(1.1);
  // The reference point in the objectives' own units (a maximised one back to its sign).
  const refText = d.objectives.objectives
    .map((o, k) => {
      const v = lo[k]! + 1.1 * (hi[k]! - lo[k]!);
      return `${o.name} ${Number((o.direction === 'maximize' ? -v : v).toPrecision(4))}`;
    })
    .join(', ');
  // Only a trial that joins the front changes the volume: recompute on the front alone, and only then.
  let front: Vector[] = [];
  let hv = 0;
  const byTrial = new Map(feasible.map((t) => [t.trial, scale(t.min)]));
  const points = trials.map((t) => {
    const p = byTrial.get(t.trial);
    if (p && !front.some((q) => q.every((v, k) => v <= p[k]!))) {
      front = [...front.filter((q) => !p.every((v, k) => v <= q[k]!)), p];
      hv = hypervolume(front, ref);
    }
    return { trial: t.trial, hypervolume: hv };
  });
  return {
    id: 'hypervolume',
    title,
    caption: `${base} Objectives scaled to [0, 1] between the best and worst feasible trial of the run; reference point 1.1 in each (${refText}), so the most a run can reach is ${Number((1.1 ** m).toPrecision(4))}.`,
    spec: {
      name: 'hypervolume',
      width: 640,
      height: 240,
      data: { values: points },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2, color: COLORS.best },
      encoding: {
        x: { field: 'trial', type: 'quantitative', title: 'trial' },
        y: { field: 'hypervolume', type: 'quantitative', title: 'hypervolume (scaled objectives)' },
        tooltip: [
          { field: 'trial', type: 'quantitative' },
          { field: 'hypervolume', type: 'quantitative', format: '.4f' },
        ],
      },
    } as ChartSpec,
  };
}
