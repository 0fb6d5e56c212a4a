import { renderSvg as renderChart, type ChartSpec } from '../report/chart.js';
import { lossPanel, refinePanel, schedulePanel } from '../report/figures-lr.js';
import type { BandPoint, Curve } from './sweep.js';
import type { Refinement } from './refine.js';

/** What the picture shows: the curve (with several seeds, their median and quartiles), the suggestion and bounds marked on it, every rule's suggestion, and refine's trainings if it ran. */
export interface PlotInput {
  readonly title: string;
  readonly curve: Curve;
  readonly suggestion?: number;
  readonly bounds?: readonly [number, number];
  readonly rule?: string;
  readonly suggestions?: Readonly<Record<string, number | null>>;
  readonly refinement?: Pick<Refinement, 'probes' | 'finalists'>;
  /** With several seeds: the curve is their median, drawn with the quartiles of the members around it. */
  readonly members?: { readonly seeds: readonly number[]; readonly band: readonly BandPoint[] };
}

/**
 * A self-contained SVG drawn by the charts of the report (Vega-Lite): loss against LR on a log axis, below it the
 * LR against the step and, after refine, every training of its race.
 */
export async function renderSvg(p: PlotInput): Promise<string> {
  const pts = p.curve.points;
  if (pts.length === 0) {
    return renderChart({
      title: p.title,
      width: 640,
      height: 60,
      data: { values: [{ t: 'no finite loss was recorded' }] },
      mark: { type: 'text', fontSize: 14 },
      encoding: { text: { field: 't' } },
    });
  }
  const bounds = p.bounds ? ([p.bounds[0], p.bounds[1]] as [number, number]) : undefined;
  const panels: ChartSpec[] = [
    lossPanel({
      curve: { points: [...pts] },
      suggestion: p.suggestion,
      bounds,
      rule: p.rule,
      suggestions: p.suggestions,
      ...(p.members ? { members: { seeds: [...p.members.seeds], band: [...p.members.band] } } : {}),
    }),
    schedulePanel([...pts]),
    ...(p.refinement
      ? [
          refinePanel(
            { probes: p.refinement.probes.map((q) => ({ lr: q.lr, losses: [...q.losses] })), finalists: [...p.refinement.finalists] },
            p.suggestion,
          ),
        ]
      : []),
  ];
  return renderChart({ title: p.title, vconcat: panels, spacing: 36 } as ChartSpec);
}
