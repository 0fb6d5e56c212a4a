/**
 * The dashboard page's script (browser code, served by the dashboard): lists the runs, draws the selected run's
 * charts and trials table, compares ticked runs, and redraws whatever the server says changed (server-sent
 * events). Journal strings go into the page as text only.
 */
import { drawFigures, drawTable, el, type ClientFigure, type ClientTable } from '../report/client.js';

interface RunItem {
  readonly id: string;
  readonly name: string;
  readonly title?: string;
  readonly status?: string;
  readonly trials?: number;
  readonly best?: number | null;
  readonly error?: string;
}
interface RunPayload {
  readonly version: number;
  readonly title: string;
  readonly status: string;
  readonly warnings: readonly string[];
  readonly best?: { label: string; value: string; trial: number };
  readonly params: readonly string[];
  readonly figures: readonly ClientFigure[];
  readonly table: ClientTable;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const state = { runs: [] as RunItem[], selected: undefined as string | undefined, compare: new Set<string>(), view: 'run' as 'run' | 'compare' };

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(((await r.json().catch(() => ({}))) as { error?: string }).error ?? `${r.status} ${r.statusText}`);
  return (await r.json()) as T;
}

function drawRunList(): void {
  const list = $('runs');
  list.replaceChildren(
    ...state.runs.map((r) => {
      const li = el('li', { class: r.id === state.selected ? 'selected' : '', 'data-run': r.id });
      const box = el('input', { type: 'checkbox', title: 'compare' });
      box.checked = state.compare.has(r.id);
      box.addEventListener('change', () => {
        if (box.checked) state.compare.add(r.id);
        else state.compare.delete(r.id);
        if (state.view === 'compare') redraw();
      });
      const button = el('button', {}, r.name);
      const meta = r.error
        ? `cannot read: ${r.error}`
        : `${r.title ?? ''} · ${r.trials ?? 0} trials${typeof r.best === 'number' ? ` · best ${Number(r.best.toPrecision(4))}` : ''}`;
      button.append(el('span', { class: 'meta' }, meta));
      button.addEventListener('click', () => select(r.id));
      li.append(box, button);
      return li;
    }),
  );
}

async function loadRuns(): Promise<void> {
  state.runs = await getJson<RunItem[]>('/api/runs');
  if (!state.selected || !state.runs.some((r) => r.id === state.selected)) state.selected = state.runs[0]?.id;
  if (state.compare.size === 0) for (const r of state.runs) state.compare.add(r.id);
  drawRunList();
}

function fillSelect(select: HTMLSelectElement, names: readonly string[], pick: string | undefined): void {
  const current = select.value || pick;
  select.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
  if (current && names.includes(current)) select.value = current;
}

let drawing: Promise<void> = Promise.resolve();
let queued = false;
/**
 * Redraws one at a time, so that two events in quick succession cannot interleave their charts, and at most one
 * waits: a search that finishes trials faster than the page draws them is drawn as often as it can be, not queued.
 */
function redraw(): void {
  if (queued) return;
  queued = true;
  const draw = async () => {
    queued = false;
    await (state.view === 'run' ? drawRun() : drawCompare());
  };
  drawing = drawing.then(draw, draw);
}

async function drawRun(): Promise<void> {
  const id = state.selected;
  if (!id) {
    $('run-title').textContent = 'No run folders found yet';
    return;
  }
  const q = new URLSearchParams({ scale: $<HTMLSelectElement>('scale').value });
  const cx = $<HTMLSelectElement>('cx').value;
  const cy = $<HTMLSelectElement>('cy').value;
  if (cx && cy) {
    q.set('cx', cx);
    q.set('cy', cy);
  }
  let p: RunPayload;
  try {
    p = await getJson<RunPayload>(`/api/runs/${encodeURIComponent(id)}?${q}`);
  } catch (e) {
    $('run-title').textContent = state.runs.find((r) => r.id === id)?.name ?? id;
    $('run-status').textContent = `cannot show this run: ${(e as Error).message}`;
    return;
  }
  $('run-title').textContent = p.title;
  $('run-status').textContent = p.status;
  $('run-warnings').replaceChildren(...p.warnings.map((w) => el('p', { class: 'warning' }, `warning: ${w}`)));
  $('run-best').textContent = p.best ? `best ${p.best.label} ${p.best.value} at trial ${p.best.trial}` : 'no trial has finished yet';
  $<HTMLAnchorElement>('journal-link').href = `/runs/${encodeURIComponent(id)}/files/journal.jsonl`;
  const contour = p.figures.find((f) => f.id === 'contour');
  const pair = contour?.title.match(/^Contour plot: (.*) and (.*)$/);
  fillSelect($<HTMLSelectElement>('cx'), p.params, pair?.[1]);
  fillSelect($<HTMLSelectElement>('cy'), p.params, pair?.[2]);
  drawTable($('trials'), p.table);
  await drawFigures($('figures'), p.figures);
  document.body.dataset.version = `${id}:${p.version}`;
}

async function drawCompare(): Promise<void> {
  const ids = state.runs.filter((r) => state.compare.has(r.id)).map((r) => r.id);
  $('compare-status').textContent = ids.length
    ? `comparing ${ids.length} run${ids.length > 1 ? 's' : ''} (tick runs on the left)`
    : 'tick runs on the left to compare them';
  const p = await getJson<{ figures: ClientFigure[] }>(
    `/api/compare?${new URLSearchParams({ ids: ids.join(','), scale: $<HTMLSelectElement>('scale').value })}`,
  );
  await drawFigures($('compare-figures'), p.figures);
}

function select(id: string): void {
  state.selected = id;
  $<HTMLSelectElement>('cx').replaceChildren();
  $<HTMLSelectElement>('cy').replaceChildren();
  showView('run');
  drawRunList();
  redraw();
}

function showView(v: 'run' | 'compare'): void {
  state.view = v;
  $('run-view').hidden = v !== 'run';
  $('compare-view').hidden = v !== 'compare';
  $('tab-run').classList.toggle('on', v === 'run');
  $('tab-compare').classList.toggle('on', v === 'compare');
}

function listen(): void {
  const live = $('live');
  const es = new EventSource('/api/events');
  es.addEventListener('open', () => ((live.textContent = 'live'), live.classList.remove('off')));
  es.addEventListener('error', () => ((live.textContent = 'reconnecting'), live.classList.add('off')));
  es.addEventListener('runs', () => void loadRuns().then(redraw));
  es.addEventListener('run', (e) => {
    const { id } = JSON.parse((e as MessageEvent<string>).data) as { id: string };
    void loadRuns();
    if ((state.view === 'run' && id === state.selected) || (state.view === 'compare' && state.compare.has(id))) redraw();
  });
}

$('tab-run').addEventListener('click', () => (showView('run'), redraw()));
$('tab-compare').addEventListener('click', () => (showView('compare'), redraw()));
for (const s of ['scale', 'cx', 'cy']) $(s).addEventListener('change', () => redraw());
listen();
void loadRuns().then(redraw);
