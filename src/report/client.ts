/**
 * The browser half of the charts, shared by report.html (inlined as a module script) and the dashboard (served):
 * draws figures with vega-embed and the sortable trials table. Every string from a journal goes into the page as
 * text (textContent) or as chart data, never as HTML. Browser code: it imports nothing, vega-embed is a global.
 */
export interface ClientFigure {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly spec?: unknown;
  readonly empty?: string;
}
export interface ClientTable {
  readonly columns: readonly string[];
  readonly records: ReadonlyArray<Record<string, unknown>>;
}
interface VegaResult {
  readonly view: { finalize(): void };
}
declare global {
  const vegaEmbed: (el: HTMLElement, spec: unknown, opts?: Record<string, unknown>) => Promise<VegaResult>;
}

/** An element with text (never HTML) and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

const views = new WeakMap<HTMLElement, VegaResult['view']>();

/**
 * Draws figures into `box`, one section each, reusing the sections of figures already there (same id), so that
 * a redraw keeps the page's scroll position. Resolves when every chart is drawn.
 */
export async function drawFigures(box: HTMLElement, figures: readonly ClientFigure[]): Promise<void> {
  const keep = new Set(figures.map((f) => f.id));
  for (const old of Array.from(box.querySelectorAll<HTMLElement>(':scope > section.figure'))) if (!keep.has(old.dataset.figure ?? '')) old.remove();
  await Promise.all(
    figures.map(async (f, i) => {
      let section = box.querySelector<HTMLElement>(`:scope > section.figure[data-figure="${CSS.escape(f.id)}"]`);
      if (!section) {
        section = el('section', { class: 'figure', 'data-figure': f.id });
        section.append(el('h2'), el('div', { class: 'controls' }), el('div', { class: 'chart' }), el('p', { class: 'caption' }));
      }
      if (box.children[i] !== section) box.insertBefore(section, box.children[i] ?? null);
      section.querySelector('h2')!.textContent = f.title;
      section.querySelector('.caption')!.textContent = f.caption;
      const chart = section.querySelector<HTMLElement>('.chart')!;
      views.get(chart)?.finalize();
      views.delete(chart);
      chart.replaceChildren();
      if (!f.spec) {
        chart.append(el('p', { class: 'empty' }, f.empty ?? 'nothing to show yet'));
        return;
      }
      // mode: vega-embed guesses Vega (not Vega-Lite) for a `concat` spec without $schema.
      const res = await vegaEmbed(chart, f.spec, {
        mode: 'vega-lite',
        actions: false,
        renderer: 'svg',
        tooltip: { sanitize: (v: unknown) => String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;') },
      });
      views.set(chart, res.view);
      chart.dataset.rendered = 'true';
    }),
  );
}

const cellText = (v: unknown) =>
  v === undefined || v === null
    ? ''
    : typeof v === 'number'
      ? Number.isInteger(v)
        ? String(v)
        : Number(v.toPrecision(5)).toString()
      : typeof v === 'string'
        ? v
        : JSON.stringify(v);

/** Compares cells: numbers as numbers, empty cells last, text by its characters. */
function compareCells(a: unknown, b: unknown): number {
  const empty = (v: unknown) => v === undefined || v === null || v === '';
  if (empty(a) || empty(b)) return empty(a) ? (empty(b) ? 0 : 1) : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

/** The trials table; a click on a column header sorts by it (again: the other way). The sort survives redraws. */
export function drawTable(box: HTMLElement, t: ClientTable): void {
  const sortBy = box.dataset.sort ?? 'trial';
  const dir = box.dataset.dir === 'desc' ? -1 : 1;
  const records = [...t.records].sort((a, b) => {
    const c = compareCells(a[sortBy], b[sortBy]);
    return c === 0 ? compareCells(a.trial, b.trial) : c * dir;
  });
  const table = el('table', { class: 'trials' });
  const head = el('tr');
  for (const c of t.columns) {
    const th = el(
      'th',
      { 'data-column': c, title: 'sort by this column' },
      c.replace(/^metric\./, '') + (c === sortBy ? (dir > 0 ? ' ▲' : ' ▼') : ''),
    );
    th.addEventListener('click', () => {
      box.dataset.dir = box.dataset.sort === c && box.dataset.dir !== 'desc' ? 'desc' : 'asc';
      box.dataset.sort = c;
      drawTable(box, t);
    });
    head.append(th);
  }
  const body = el('tbody');
  for (const r of records) {
    const tr = el('tr', { class: `state-${String(r.state)}` });
    for (const c of t.columns) tr.append(el('td', {}, cellText(r[c])));
    body.append(tr);
  }
  table.append(el('thead'), body);
  table.tHead!.append(head);
  box.replaceChildren(table);
}

/** report.html: its data sits in the page as JSON; draw it once loaded. */
const embedded = typeof document === 'undefined' ? null : document.getElementById('evotune-report');
if (embedded?.textContent) {
  const data = JSON.parse(embedded.textContent) as { figures: ClientFigure[]; table: ClientTable };
  drawTable(document.getElementById('trials')!, data.table);
  void drawFigures(document.getElementById('figures')!, data.figures).then(() => document.body.setAttribute('data-drawn', 'true'));
}
