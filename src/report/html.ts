import { formatValue } from '../util/format.js';
import { clientFile, LIBRARIES, libraryFile, scriptText, type Library } from './assets.js';
import type { RunData } from './data.js';
import { LR_SCHEDULE_FILE, type RunPayload } from './payload.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const show = (v: unknown) => (typeof v === 'number' ? formatValue(v) : typeof v === 'string' ? v : JSON.stringify(v));

const table = (head: readonly string[], rows: readonly (readonly string[])[]) =>
  `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;

/** A script inlined in the page: nothing in it may end the <script> element early. */
const inline = (text: string, type = '') => `<script${type ? ` type="${type}"` : ''}>${text.replace(/<\/(script)/gi, '<\\/$1')}</script>`;

function failures(d: RunData): string {
  const byKind = new Map<string, { count: number; example: string }>();
  for (const t of d.trials) {
    if (!t.failure) continue;
    const k = byKind.get(t.failure.kind) ?? { count: 0, example: `trial ${t.trial}: ${t.failure.message}` };
    k.count++;
    byKind.set(t.failure.kind, k);
  }
  if (byKind.size === 0) return '';
  return `<h2>Failures</h2>${table(
    ['kind', 'trials', 'first'],
    [...byKind].map(([k, v]) => [k, String(v.count), v.example]),
  )}`;
}

/** PBT: the evolved schedule as a table of epoch ranges, with the file that holds it as data. */
function schedule(p: RunPayload): string {
  const s = p.lrSchedule;
  if (!s) return '';
  return `<h2>Evolved ${esc(s.param)} schedule</h2><p>The winner's (trial ${s.trial}) ${esc(s.param)} by epoch range: reuse it as a schedule (as data: <a href="${LR_SCHEDULE_FILE}">${LR_SCHEDULE_FILE}</a>, or lineage.lrSchedule in <code>search --json</code>).</p>${table(
    ['epochs', s.param],
    s.pieces.map((q) => [`${q.from} .. ${q.to}`, show(q.value)]),
  )}`;
}

/** Styles shared by the report and the dashboard page. */
export const PAGE_CSS = `
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; }
  .status { color: #555; margin-top: 0; } .best { font-size: 1.1rem; } .warning, .missing { color: #a33; }
  table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .85rem; }
  th, td { border-bottom: 1px solid #ddd; padding: .2rem .7rem .2rem 0; text-align: left; font-variant-numeric: tabular-nums; white-space: nowrap; }
  table.trials th { cursor: pointer; user-select: none; position: sticky; top: 0; background: #fff; }
  tr.state-failed td { color: #a33; } tr.state-pruned td { color: #6a4c93; }
  .tablebox { max-height: 32rem; overflow: auto; border: 1px solid #eee; }
  section.figure { margin: 0 0 1.5rem; } .caption { color: #555; font-size: .9rem; margin-top: .3rem; max-width: 60rem; }
  .empty { color: #777; font-style: italic; }
  details { margin: 1rem 0; }
`;

/**
 * The report page: what ran, the best result, every chart and the sortable trials table, drawn in the browser by
 * the same code and specs as the dashboard. Self-contained: the chart libraries and the data are inlined, so the
 * file works offline and on its own. Journal strings reach the page escaped (here) or as JSON data (drawn as text).
 */
export function reportHtml(d: RunData, p: RunPayload): string {
  const bestBlock = p.best
    ? `<p class="best">best ${esc(p.best.label)} <b>${esc(p.best.value)}</b> at trial ${p.best.trial}</p>${table(
        ['parameter', 'value'],
        Object.entries(p.best.params).map(([k, v]) => [k, show(v)]),
      )}`
    : '<p class="best">no trial has finished yet</p>';
  const options = table(
    ['option', 'value'],
    Object.entries(d.study.config).map(([k, v]) => [k, show(v)]),
  );
  const data = JSON.stringify({ figures: p.figures, table: p.table }).replace(/</g, '\\u003c');
  const libs = (Object.keys(LIBRARIES) as Library[]).map((l) => inline(scriptText(libraryFile(l)))).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>evotune: ${esc(p.title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<h1>${esc(p.title)}</h1>
<p class="status">${esc(p.status)}; generated ${esc(new Date().toISOString())} from ${esc(d.dir)}</p>
${p.warnings.map((w) => `<p class="warning">warning: ${esc(w)}</p>`).join('\n')}
${bestBlock}
<div id="figures"></div>
${schedule(p)}
<h2>Trials</h2>
<div class="tablebox" id="trials"></div>
${failures(d)}
<details><summary>Options of the run</summary>${options}</details>
<script type="application/json" id="evotune-report">${data}</script>
${libs}
${inline(scriptText(clientFile()), 'module')}
</body>
</html>
`;
}
