import { renderSvg, wantsLogScale, type ChartSpec } from '../report/chart.js';

/** One point of an aggregated best-so-far curve: after `evals` evaluations, over seeds. */
export interface CurvePoint {
  readonly evals: number;
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
}

export interface CurveSeries {
  /** Sets the colour, e.g. the strategy. */
  readonly label: string;
  /** Sets the dash, e.g. how the LR bounds were chosen; series without one are solid. */
  readonly variant?: string;
  readonly points: readonly CurvePoint[];
}

/**
 * Best-so-far against evaluations, one line (median over seeds) and one band (interquartile range) per series and
 * variant,
 * rendered to a self-contained SVG with the report's chart helper (vega in Node: no browser, no canvas).
 * Points before a series' first finished trial (infinite) are left out.
 */
export async function curvesSvg(title: string, series: readonly CurveSeries[], yTitle = 'best value so far (median, IQR band)'): Promise<string> {
  const values = series.flatMap((s) =>
    s.points
      .filter((p) => [p.median, p.q1, p.q3].every(Number.isFinite))
      .map((p) => ({ series: s.label, variant: s.variant ?? '', key: `${s.label} ${s.variant ?? ''}`, ...p })),
  );
  const dashed = series.some((s) => s.variant !== undefined);
  const scale = wantsLogScale(values.flatMap((v) => [v.q1, v.q3])) ? { type: 'log' as const } : { zero: false };
  const x = { field: 'evals', type: 'quantitative' as const, title: 'evaluations', axis: { format: 'd', tickMinStep: 1 } };
  // Both layers share this legend: drawn as solid strokes, whatever the band's opacity.
  const color = {
    field: 'series',
    type: 'nominal' as const,
    title: null,
    legend: { labelLimit: 300, symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 2 },
  };
  const spec: ChartSpec = {
    title,
    width: 560,
    height: 320,
    data: { values },
    layer: [
      {
        mark: { type: 'area', opacity: 0.12 },
        // One band per series and variant.
        encoding: { x, y: { field: 'q1', type: 'quantitative', scale, title: yTitle }, y2: { field: 'q3' }, color, detail: { field: 'key' } },
      },
      {
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x,
          y: { field: 'median', type: 'quantitative', scale },
          color,
          ...(dashed
            ? { strokeDash: { field: 'variant', type: 'nominal' as const, title: null, legend: { labelLimit: 300 } } }
            : { detail: { field: 'key' } }),
        },
      },
    ],
  };
  return renderSvg(spec);
}
