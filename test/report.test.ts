import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../src/report/report.js';
import { chromiumAvailable, launchChromium } from './helpers/chromium.js';
import { appendLrRange, makeRun, XSS } from './helpers/dashboard-runs.js';

const run = async (budget = 30) => makeRun(join(mkdtempSync(join(tmpdir(), 'evotune-report-')), 'run'), budget);
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const CHARTS = ['history', 'parallel', 'slice', 'contour', 'importance', 'edf', 'timeline'];

describe('report', () => {
  it('writes one self-contained report.html and an SVG of each chart', async () => {
    const out = await run();
    const r = await writeReport(out);
    expect(r.html).toBe(join(out, 'report.html'));
    expect(r.svgs.map((s) => s.slice(out.length + 1))).toEqual(CHARTS.map((c) => `charts/${c}.svg`));

    const html = read(out, 'report.html');
    expect(html).toContain('ga on function fitness, seed 2');
    expect(html).toContain('30 of 30 trials finished, 1 failed; ended (budget)');
    expect(html).toMatch(/<td>error<\/td><td>1<\/td><td>trial 5: out of &lt;b&gt;patience&lt;\/b&gt;<\/td>/);
    // Self-contained: the chart libraries are inlined, nothing is loaded from elsewhere.
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|fastly)/);
    expect(html).toContain('vega-embed');
    // Journal strings reach the page escaped, or as JSON data with no "<" left in it.
    expect(html).not.toContain(XSS);
    const data = /<script type="application\/json" id="evotune-report">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(data).not.toContain('<');
    expect(JSON.stringify(JSON.parse(data))).toContain(XSS);

    const history = read(out, 'charts/history.svg');
    expect(history).toMatch(/^<svg /);
    expect(history).toContain('Optimisation history');
    expect(history).toContain('best so far');
    expect(history).toContain('failed trial');
    const parallel = read(out, 'charts/parallel.svg');
    for (const label of ['lr', 'units', 'act', 'relu']) expect(parallel).toContain(`>${label}</text>`);
    expect(parallel).toContain('&lt;img src=x onerror=alert(1)&gt;</text>');
    const slice = read(out, 'charts/slice.svg');
    for (const title of ['lr (log scale)', 'units', 'act']) expect(slice).toContain(`>${title}</text>`);
  });

  it("adds the LR range test with every rule's suggestion when the run had one", async () => {
    const out = await run(10);
    appendLrRange(out);
    const r = await writeReport(out);
    expect(r.svgs.at(-1)).toBe(join(out, 'charts/lr-range.svg'));
    const svg = read(out, 'charts/lr-range.svg');
    expect(svg).toContain('LR range test');
    expect(svg).toContain('smoothed loss');
    for (const rule of ['valley 2e-4', 'steepest 1e-3', 'minimum 3e-3']) expect(svg).toContain(`>${rule}</text>`);
    expect(read(out, 'report.html')).toContain('suggestion 1e-3, bounds 1e-4 .. 1e-2, rule steepest');
  });

  it('shows a run that died as unfinished, from whatever its journal holds', async () => {
    const out = await run(10);
    const journal = read(out, 'journal.jsonl').trimEnd().split('\n');
    // As if killed: no "done" line, and half a line at the end.
    writeFileSync(join(out, 'journal.jsonl'), `${journal.slice(0, -1).join('\n')}\n{"type":"asked","tri`);
    const r = await writeReport(out);
    expect(r.warnings).toEqual([expect.stringContaining('ignored a truncated last line')]);
    expect(read(out, 'report.html')).toContain('still running, or stopped before its end');
  });

  it.skipIf(!chromiumAvailable('report browser test'))('draws every chart in headless Chromium from the file alone, offline', async () => {
    const out = await run();
    appendLrRange(out);
    await writeReport(out);
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const requests: string[] = [];
      const dialogs: string[] = [];
      page.on('request', (q) => requests.push(q.url()));
      page.on('dialog', (d) => (dialogs.push(d.message()), void d.dismiss()));
      await page.goto(pathToFileURL(join(out, 'report.html')).href);
      await page.waitForSelector('body[data-drawn="true"]');
      const drawn = await page.locator('section.figure .chart[data-rendered="true"] svg').count();
      expect(drawn).toBe(CHARTS.length + 1);
      expect(await page.locator('section.figure[data-figure="learning"] .empty').count()).toBe(1);
      expect(await page.locator('table.trials tbody tr').count()).toBe(30);
      expect(await page.locator('table.trials td', { hasText: XSS }).count()).toBeGreaterThan(0);
      expect(dialogs).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
      const png = join(import.meta.dirname, '..', 'dist', 'test-output', 'report.png');
      mkdirSync(join(png, '..'), { recursive: true });
      await page.screenshot({ path: png, fullPage: true });
      expect(existsSync(png) && statSync(png).size).toBeGreaterThan(50_000);
    } finally {
      await browser.close();
    }
  });
});
