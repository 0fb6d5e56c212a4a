import type { Curve } from './curve.js';
import { probeMean, type Refinement } from './refine.js';

/** What the picture shows: the curve, the suggestion and bounds marked on it, and refine's trainings if it ran. */
export interface PlotInput {
  readonly title: string;
  readonly curve: Curve;
  readonly suggestion?: number;
  readonly bounds?: readonly [number, number];
  readonly refinement?: Pick<Refinement, 'probes' | 'finalists'>;
}

const W = 760;
const M = { left: 64, right: 20 };
/** A panel's vertical extent: its top and height. */
interface Panel {
  readonly y: number;
  readonly h: number;
}
const TOP: Panel = { y: 44, h: 300 };
const BOTTOM: Panel = { y: 414, h: 150 };
const REFINE: Panel = { y: BOTTOM.y + BOTTOM.h + 84, h: 170 };
const H = BOTTOM.y + BOTTOM.h + 44;
const H_REFINE = REFINE.y + REFINE.h + 44;

/**
 * A self-contained SVG: loss against LR on a log axis (raw loss faint, smoothed loss bold, bounds shaded,
 * suggestion as a line), and below it the LR against the step. The loss axis is cut a little above the starting
 * loss, so that the blow-up that ends the test does not squash the part worth reading.
 */
export function renderSvg(p: PlotInput): string {
  const pts = p.curve.points;
  if (pts.length === 0) return frame(p.title, `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no finite loss was recorded</text>`, H);
  const lrs = pts.map((q) => q.lr);
  const probeLrs = p.refinement?.probes.map((q) => q.lr) ?? [];
  const lrLo = Math.min(...lrs, ...(p.bounds ?? []), p.suggestion ?? Infinity, ...probeLrs);
  const lrHi = Math.max(...lrs, ...(p.bounds ?? []), p.suggestion ?? 0, ...probeLrs);
  const x = logScale(lrLo, lrHi, M.left, W - M.right);

  const finite = pts.flatMap((q) => [q.loss, q.smoothed]);
  const yMin = Math.min(...finite);
  const yMax = Math.min(Math.max(...finite), pts[0]!.smoothed + 0.5 * (pts[0]!.smoothed - yMin) + 1e-12);
  const yTicks = niceTicks(yMin, yMax, 5);
  const y = linearScale(yTicks[0]!, yTicks[yTicks.length - 1]!, TOP.y + TOP.h, TOP.y);

  const shade = p.bounds
    ? `<rect x="${f(x(p.bounds[0]))}" y="${TOP.y}" width="${f(x(p.bounds[1]) - x(p.bounds[0]))}" height="${TOP.h}" fill="#4c9f70" fill-opacity="0.15"/>`
    : '';
  const mark = p.suggestion === undefined ? '' : suggestionLine(x(p.suggestion), TOP);
  const top = [
    `<clipPath id="plot"><rect x="${M.left}" y="${TOP.y}" width="${W - M.left - M.right}" height="${TOP.h}"/></clipPath>`,
    shade,
    axisLog(x, lrLo, lrHi, TOP.y + TOP.h, 'learning rate (log scale)'),
    axisLinear(y, yTicks, 'loss'),
    `<g clip-path="url(#plot)">`,
    polyline(pts.map((q) => [x(q.lr), y(q.loss)]), '#9bb7d4', 1),
    polyline(pts.map((q) => [x(q.lr), y(q.smoothed)]), '#1f4e89', 2.2),
    '</g>',
    mark,
  ];
  const keys = legend(
    [
      ['#9bb7d4', 'loss'],
      ['#1f4e89', 'smoothed loss'],
      ...(p.bounds ? [['#4c9f70', `bounds ${num(p.bounds[0])} .. ${num(p.bounds[1])}`] as const] : []),
      ...(p.suggestion !== undefined ? [['#c0392b', `suggestion ${num(p.suggestion)}`] as const] : []),
    ],
    TOP.y - 20,
    175,
  );

  const steps = pts.map((q) => q.step);
  const sx = linearScale(0, Math.max(1, steps[steps.length - 1]!), M.left, W - M.right);
  const ly = logScale(Math.min(...lrs), Math.max(...lrs), BOTTOM.y + BOTTOM.h, BOTTOM.y);
  const bottom = [
    axisLinear(sx, niceTicks(0, Math.max(1, steps[steps.length - 1]!), 6), 'step', 'x', BOTTOM.y + BOTTOM.h),
    axisLogY(ly, Math.min(...lrs), Math.max(...lrs), 'LR'),
    polyline(pts.map((q) => [sx(q.step), ly(q.lr)]), '#1f4e89', 2),
  ];
  const refine = p.refinement ? refinePanel(p.refinement, p.suggestion) : [];
  return frame(p.title, [...top, ...keys, ...bottom, ...refine].filter((s) => s !== '').join('\n'), p.refinement ? H_REFINE : H);
}

/**
 * Refine's race on the same LR axis: every training's validation loss (grey dots; a diverged one as a red cross at
 * the top), the mean of each LR (dark bar) and of each finalist (orange, wider), and the suggestion. Log loss axis:
 * a training that blew up should not flatten the differences the race decided on.
 */
function refinePanel(r: NonNullable<PlotInput['refinement']>, suggestion: number | undefined): string[] {
  const lrs = r.probes.map((q) => q.lr);
  // Zoomed to the probes (the bounds), 0.15 decades (a little over half a probe step) of margin either side.
  const x = logScale(Math.min(...lrs) / 10 ** 0.15, Math.max(...lrs) * 10 ** 0.15, M.left, W - M.right);
  const losses = r.probes.flatMap((q) => q.losses).filter(onLogAxis);
  const top = REFINE.y;
  const base = REFINE.y + REFINE.h;
  const head = `<text x="${M.left}" y="${top - 26}" font-weight="bold">refine: validation loss after training the task's budget at a fixed LR</text>`;
  if (losses.length === 0) return [head, `<text x="${W / 2}" y="${top + REFINE.h / 2}" text-anchor="middle">every refine training diverged</text>`];
  const lo = Math.log10(Math.min(...losses));
  const hi = Math.log10(Math.max(...losses));
  const pad = Math.max(0.05, (hi - lo) * 0.08);
  const ticks = niceTicks(lo - pad, hi + pad, 4);
  const y = linearScale(ticks[0]!, ticks[ticks.length - 1]!, base, top);
  const ly = (v: number) => y(Math.log10(v));
  const grid = ticks.map((t) => gridLineY(y(t), num(10 ** t)));
  const marks = r.probes.flatMap((q) => {
    const px = x(q.lr);
    const finalist = r.finalists.includes(q.lr);
    const dots = q.losses.map((v, k) =>
      onLogAxis(v)
        ? `<circle cx="${f(px + (k - (q.losses.length - 1) / 2) * 3)}" cy="${f(ly(v))}" r="2.6" fill="#8a8a8a"/>`
        : `<text x="${f(px)}" y="${top + 10}" text-anchor="middle" fill="#c0392b" font-weight="bold">×</text>`,
    );
    const mean = q.losses.every(onLogAxis) ? probeMean(q) : undefined;
    const half = finalist ? 13 : 8;
    const bar = mean === undefined ? '' : `<line x1="${f(px - half)}" x2="${f(px + half)}" y1="${f(ly(mean))}" y2="${f(ly(mean))}" stroke="${finalist ? '#e67e22' : '#1f4e89'}" stroke-width="${finalist ? 3 : 2}"/>`;
    return [...dots, bar];
  });
  const keys = legend(
    [
      ['#8a8a8a', 'one training'],
      ['#1f4e89', 'mean'],
      ['#e67e22', 'mean of a finalist'],
      ['#c0392b', 'suggestion; × diverged'],
    ],
    top - 18,
    165,
  );
  return [
    head,
    ...grid,
    axisLineY(REFINE, 'validation loss (log)'),
    axisLineX(base, 'learning rate (log scale, the refine LRs)'),
    ...lrs.map((lr) => `<text x="${f(x(lr))}" y="${base + 16}" text-anchor="middle">${num(lr)}</text>`),
    ...marks,
    suggestion === undefined ? '' : suggestionLine(x(suggestion), REFINE),
    ...keys,
  ];
}

type Scale = (v: number) => number;
/** A loss the log axis can show: finite and above zero. */
const onLogAxis = (v: number) => Number.isFinite(v) && v > 0;
const f = (v: number) => v.toFixed(1);
const num = (v: number) => Number(v.toPrecision(3)).toExponential().replace(/\.?0*e/, 'e').replace('e+', 'e');
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function frame(title: string, body: string, height: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${height}" fill="white"/>
<text x="${W / 2}" y="18" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>
${body}
</svg>
`;
}

/** The suggestion across a panel: a dashed red line. */
const suggestionLine = (px: number, p: Panel) =>
  `<line x1="${f(px)}" x2="${f(px)}" y1="${p.y}" y2="${p.y + p.h}" stroke="#c0392b" stroke-width="1.6" stroke-dasharray="5 3"/>`;

/** Colour keys in a row from the left, boxes' tops at `y`. */
const legend = (items: ReadonlyArray<readonly [color: string, text: string]>, y: number, spacing: number) =>
  items.map(([c, t], i) => `<rect x="${M.left + 10 + i * spacing}" y="${y}" width="12" height="12" fill="${c}"/><text x="${M.left + 27 + i * spacing}" y="${y + 10}">${esc(t)}</text>`);

/** A horizontal grid line at `py`, its value left of the y axis. */
function gridLineY(py: number, value: string | number): string {
  const y = f(py);
  return `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#e3e3e3"/><text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${value}</text>`;
}

/** A panel's y axis, its label turned along it. */
const axisLineY = (p: Panel, label: string) =>
  `<line x1="${M.left}" x2="${M.left}" y1="${p.y}" y2="${p.y + p.h}" stroke="#333"/><text x="16" y="${p.y + p.h / 2}" transform="rotate(-90 16 ${p.y + p.h / 2})" text-anchor="middle">${label}</text>`;

/** An x axis at `base`, its label centred below. */
const axisLineX = (base: number, label: string) =>
  `<line x1="${M.left}" x2="${W - M.right}" y1="${base}" y2="${base}" stroke="#333"/><text x="${(M.left + W - M.right) / 2}" y="${base + 34}" text-anchor="middle">${label}</text>`;

function logScale(lo: number, hi: number, from: number, to: number): Scale {
  const a = Math.log10(lo);
  const b = Math.log10(hi) === a ? a + 1 : Math.log10(hi);
  return (v) => from + ((Math.log10(v) - a) / (b - a)) * (to - from);
}

function linearScale(lo: number, hi: number, from: number, to: number): Scale {
  const span = hi === lo ? 1 : hi - lo;
  return (v) => from + ((v - lo) / span) * (to - from);
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi > lo ? hi - lo : Math.abs(lo) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const first = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let t = first; t < hi + step * 0.999; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks.length >= 2 ? ticks : [first, first + step];
}

const decades = (lo: number, hi: number) => {
  const out: number[] = [];
  for (let e = Math.ceil(Math.log10(lo) - 1e-9); e <= Math.floor(Math.log10(hi) + 1e-9); e++) out.push(e);
  return out;
};

function axisLog(x: Scale, lo: number, hi: number, yBase: number, label: string): string {
  const ticks = decades(lo, hi).map((e) => {
    const px = f(x(10 ** e));
    return `<line x1="${px}" x2="${px}" y1="${TOP.y}" y2="${yBase}" stroke="#e3e3e3"/><text x="${px}" y="${yBase + 16}" text-anchor="middle">1e${e}</text>`;
  });
  return `${ticks.join('')}${axisLineX(yBase, label)}`;
}

function axisLogY(y: Scale, lo: number, hi: number, label: string): string {
  return `${decades(lo, hi).map((e) => gridLineY(y(10 ** e), `1e${e}`)).join('')}${axisLineY(BOTTOM, label)}`;
}

function axisLinear(s: Scale, ticks: number[], label: string, dir: 'x' | 'y' = 'y', base = 0): string {
  if (dir === 'y') return `${ticks.map((t) => gridLineY(s(t), Number(t.toPrecision(4)))).join('')}${axisLineY(TOP, label)}`;
  const lines = ticks.map((t, i) => `<text x="${f(s(t))}" y="${base + 16}" text-anchor="${i === ticks.length - 1 ? 'end' : 'middle'}">${t}</text>`);
  return `${lines.join('')}${axisLineX(base, label)}`;
}

function polyline(xy: Array<[number, number]>, color: string, width: number): string {
  return `<polyline fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round" points="${xy.map(([a, b]) => `${f(a)},${f(b)}`).join(' ')}"/>`;
}
