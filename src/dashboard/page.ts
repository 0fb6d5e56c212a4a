import { fileURLToPath } from 'node:url';
import { LIBRARIES } from '../report/assets.js';
import { PAGE_CSS } from '../report/html.js';
import { compiledSibling } from '../util/compiled.js';

/** The compiled page script (dist/src/dashboard/live.js). */
export const liveFile = () => fileURLToPath(compiledSibling(import.meta.url, 'live.js'));

const DASHBOARD_CSS = `
  body { max-width: 1400px; }
  header { display: flex; align-items: baseline; gap: 1rem; } #live { color: #4c9f70; font-size: .9rem; } #live.off { color: #a33; }
  .layout { display: grid; grid-template-columns: 16rem 1fr; gap: 1.5rem; }
  nav ul { list-style: none; padding: 0; margin: 0; } nav li { padding: .35rem .4rem; border-radius: 4px; display: flex; gap: .4rem; align-items: baseline; }
  nav li.selected { background: #eef3fa; } nav button { all: unset; cursor: pointer; flex: 1; } nav .meta { display: block; color: #666; font-size: .8rem; }
  .toolbar { display: flex; gap: 1.2rem; flex-wrap: wrap; align-items: center; margin: .5rem 0 1rem; font-size: .9rem; }
  .tabs button { margin-right: .4rem; } .tabs button.on { font-weight: bold; }
`;

/** The dashboard's page: a frame the page script fills from the API. No run data is in it. */
export function pageHtml(): string {
  const libs = Object.keys(LIBRARIES)
    .map((l) => `<script src="/assets/lib/${l}"></script>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>evotune dashboard</title>
<style>${PAGE_CSS}${DASHBOARD_CSS}</style>
</head>
<body>
<header><h1>evotune dashboard</h1><span id="live" class="off">connecting</span></header>
<div class="layout">
<nav><h2>Runs</h2><ul id="runs"></ul><p class="caption">Click a run to see it; tick runs to compare them.</p></nav>
<main>
<div class="tabs"><button id="tab-run" class="on">Run</button><button id="tab-compare">Compare runs</button></div>
<section id="run-view">
<h2 id="run-title"></h2>
<p class="status" id="run-status"></p>
<div id="run-warnings"></div>
<p class="best" id="run-best"></p>
<div class="toolbar">
<label>value axis <select id="scale"><option value="auto">auto</option><option value="linear">linear</option><option value="log">log</option></select></label>
<label>contour x <select id="cx"></select></label>
<label>contour y <select id="cy"></select></label>
<a id="journal-link" href="#">journal.jsonl</a>
</div>
<div id="figures"></div>
<h2>Trials</h2>
<div class="tablebox" id="trials"></div>
</section>
<section id="compare-view" hidden>
<p class="status" id="compare-status"></p>
<div id="compare-figures"></div>
</section>
</main>
</div>
${libs}
<script type="module" src="/assets/dashboard/live.js"></script>
</body>
</html>
`;
}
