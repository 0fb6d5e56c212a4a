import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type ChartSpec = TopLevelSpec;

/** Look shared by every evotune picture: white background (SVGs are opened on their own), plain fonts. */
export const CHART_CONFIG = {
  background: 'white',
  font: 'sans-serif',
  padding: 12,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee', labelOverlap: 'greedy' as const },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320, titleLimit: 320 },
  title: { fontSize: 15, anchor: 'start' as const },
};

/** The spec with the shared look, for Node and for the browser alike. */
export const withConfig = (spec: ChartSpec): ChartSpec => ({ ...spec, config: { ...CHART_CONFIG, ...spec.config } }) as ChartSpec;

/**
 * Renders a Vega-Lite spec to a standalone SVG in Node, without a browser or a canvas (text widths are
 * estimated). Data must be inline (`data: { values }`): nothing is fetched.
 */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const { spec: vgSpec } = compile(withConfig(spec));
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Values spanning two decades or more, all positive, read better on a log axis. */
export function wantsLogScale(values: readonly number[]): boolean {
  if (values.length === 0) return false;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo > 0 && hi / lo >= 100;
}

/** One chart: its id (also the SVG's file name), a title, a caption and the spec that draws it, or why there is none. */
export interface Figure {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: ChartSpec | undefined;
  /** Why there is no chart yet (too few trials, no intermediate values, ...). */
  readonly empty?: string;
}

/** The marks' colours, shared by every figure (and the dashboard's page). */
export const COLORS = { trial: '#4c78a8', pruned: '#9467bd', failed: '#c0392b', best: '#f58518' } as const;
