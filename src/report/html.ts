import { formatValue } from '../cli/output.js';
import type { TrialRow } from '../journal/trials.js';
import type { RunData } from './data.js';
import type { Figure } from './figures.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const show = (v: unknown) => (typeof v === 'number' ? formatValue(v) : typeof v === 'string' ? v : JSON.stringify(v));

const table = (head: readonly string[], rows: readonly (readonly string[])[]) =>
  `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;

const objectiveText = (d: RunData) => {
  const o = d.study.objective;
  return o.kind === 'task' ? `task ${o.task}` : o.kind === 'module' ? `fitness ${decodeURIComponent(o.url.replace(/^.*\//, ''))}` : `function ${o.name}`;
};

function statusText(d: RunData): string {
  const failed = d.rows.filter((r) => r.outcome.state === 'failed').length;
  const counts = `${d.rows.length} of ${d.budget} trials finished${failed ? `, ${failed} failed` : ''}`;
  return d.status.ended ? `${counts}; ended (${d.status.stoppedBy})` : `${counts}; still running, or stopped before its end (resume it with evotune search --resume)`;
}

/** A picture that, if its file is missing, says so in the page instead of showing a broken-image icon. */
const picture = (f: Figure, folder: string) => {
  const src = `${folder}/${f.file}`;
  const missing = `this.replaceWith(Object.assign(document.createElement('p'),{className:'missing',textContent:'picture missing: ${src}'}))`;
  return `<figure><img src="${esc(src)}" alt="${esc(f.title)}" onerror="${esc(missing)}"><figcaption>${esc(f.caption)}</figcaption></figure>`;
};

function topTrials(d: RunData, n: number): string {
  const names = Object.keys(d.space);
  const best = d.rows
    .filter((r): r is TrialRow & { outcome: { state: 'complete' } } => r.outcome.state === 'complete')
    .sort((a, b) => a.outcome.value - b.outcome.value || a.trial - b.trial)
    .slice(0, n);
  return table(['trial', 'value', ...names], best.map((r) => [String(r.trial), formatValue(r.outcome.value), ...names.map((k) => show(r.params[k]))]));
}

function failures(d: RunData): string {
  const byKind = new Map<string, { count: number; example: string }>();
  for (const r of d.rows) {
    if (r.outcome.state !== 'failed') continue;
    const k = byKind.get(r.outcome.kind) ?? { count: 0, example: `trial ${r.trial}: ${r.outcome.message}` };
    k.count++;
    byKind.set(r.outcome.kind, k);
  }
  if (byKind.size === 0) return '';
  return `<h2>Failures</h2>${table(['kind', 'trials', 'first'], [...byKind].map(([k, v]) => [k, String(v.count), v.example]))}`;
}

/** The report page: what ran, the best result, the pictures (as files next to it), the best trials, failures. */
export function reportHtml(d: RunData, figs: readonly Figure[], chartsFolder: string): string {
  const { study } = d;
  const title = `${study.strategy} on ${objectiveText(d)}, seed ${show(study.config.seed)}`;
  const bestBlock = d.best
    ? `<p class="best">best value <b>${esc(formatValue(d.best.value))}</b> at trial ${d.best.trial}</p>${table(['parameter', 'value'], Object.entries(d.best.params).map(([k, v]) => [k, show(v)]))}`
    : '<p class="best">no trial has finished yet</p>';
  const options = table(['option', 'value'], Object.entries(study.config).map(([k, v]) => [k, show(v)]));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>evotune: ${esc(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; }
  .status { color: #555; margin-top: 0; } .best { font-size: 1.1rem; } .warning, .missing { color: #a33; }
  table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
  th, td { border-bottom: 1px solid #ddd; padding: .25rem .8rem .25rem 0; text-align: left; font-variant-numeric: tabular-nums; }
  figure { margin: 0 0 1.5rem; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
  figcaption { color: #555; font-size: .9rem; margin-top: .3rem; }
  details { margin: 1rem 0; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="status">${esc(statusText(d))}; generated ${esc(new Date().toISOString())} from ${esc(d.dir)}</p>
${d.warnings.map((w) => `<p class="warning">warning: ${esc(w)}</p>`).join('\n')}
${bestBlock}
${figs.map((f) => picture(f, chartsFolder)).join('\n')}
<h2>Best trials</h2>
${topTrials(d, 10)}
${failures(d)}
<details><summary>Options of the run</summary>${options}</details>
</body>
</html>
`;
}
