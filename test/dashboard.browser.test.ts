import { copyFileSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startDashboard, type Dashboard } from '../src/dashboard/server.js';
import { readJournal } from '../src/journal/reader.js';
import { formatValue } from '../src/cli/output.js';
import { runData } from '../src/report/data.js';
import { writeReport } from '../src/report/report.js';
import type { SearchResult } from '../src/search.js';
import { chromiumAvailable, launchChromium } from './helpers/chromium.js';
import { appendLrRange, appendReported, appendTrial, makeRun, SPACE, XSS } from './helpers/dashboard-runs.js';
import { frontRun, pbtRun } from './helpers/kind-runs.js';

/** Screenshots: always into dist/test-output (ignored by git); with UPDATE_SCREENSHOTS=1 also docs/dashboard.png. */
const SHOTS = join(import.meta.dirname, '..', 'dist', 'test-output', 'dashboard');

const available = chromiumAvailable('dashboard browser tests');

describe.skipIf(!available)('dashboard in headless Chromium', () => {
  let root: string;
  let dash: Dashboard;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const dialogs: string[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'evotune-dash-'));
    await makeRun(join(root, 'a'), 30, 2);
    await makeRun(join(root, 'b'), 20, 3);
    appendLrRange(join(root, 'a'));
    // Two trials stopped by a scheduler and one that ran to its end, each with its intermediate values.
    appendReported(
      join(root, 'a'),
      [
        [1, 2.5],
        [2, 2.2],
      ],
      true,
    );
    appendReported(join(root, 'a'), [[1, 3.1]], true);
    appendReported(
      join(root, 'a'),
      [
        [1, 0.5],
        [2, 0.1],
        [3, 0.01],
      ],
      false,
    );
    dash = await startDashboard({ dirs: [root], port: 0, pollMs: 100 });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(dash.url);
    await page.waitForSelector('section.figure[data-figure="history"] .chart[data-rendered="true"]');
    await page.waitForFunction(() => document.querySelectorAll('section.figure .chart[data-rendered="true"]').length >= 8);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dash?.close();
  });

  const count = (figure: string, selector: string) => page.locator(`section.figure[data-figure="${figure}"] ${selector}`).count();
  const data = () => runData(join(root, 'a'), readJournal(join(root, 'a')));

  it('draws every chart of the selected run with one mark per trial, parameter or rule', async () => {
    const d = data();
    const complete = d.trials.filter((t) => t.state === 'complete').length;
    const failed = d.trials.filter((t) => t.state === 'failed').length;
    const params = Object.keys(SPACE).length;
    expect(failed).toBe(1);
    expect(await count('history', 'g.trials_marks > path')).toBe(complete);
    expect(await count('history', 'g.failed_marks > path')).toBe(failed);
    expect(await count('history', 'g.best_marks > path')).toBe(1);
    // Parallel coordinates: a line per complete trial, an axis per parameter.
    expect(await count('parallel', 'g.lines_marks')).toBe(complete);
    expect(await count('parallel', 'g.axes_marks > line, g.axes_marks > path')).toBe(params);
    for (let i = 0; i < params; i++) expect(await count('slice', `g.slice${i}_marks > path`)).toBe(complete);
    expect(await count('contour', 'g.points_marks > path')).toBe(complete);
    // 20 cells along lr, 20 along units: the default pair is the two most important parameters (lr, units).
    expect(await count('contour', 'g.cells_marks > path')).toBe(20 * 20);
    expect(await count('importance', 'g.bars_marks > path')).toBe(params);
    expect(await count('edf', 'g.edf_marks > path')).toBe(1);
    expect(await count('timeline', 'g.bars_marks > path')).toBe(d.trials.length);
    const pruned = d.trials.filter((t) => t.state === 'pruned').length;
    expect(pruned).toBe(2);
    expect(await count('history', 'g.pruned_marks > path')).toBe(pruned);
    const reported = d.trials.filter((t) => t.reports.length > 0).length;
    expect(await count('learning', 'g.curves_marks')).toBe(reported);
    expect(await count('learning', 'g.ends_marks > path')).toBe(reported);
    // The LR range test: both loss lines, the bounds, every rule's suggestion and the chosen one.
    expect(await count('lr-range', 'g.smoothed_marks > path')).toBe(1);
    expect(await count('lr-range', 'g.rules_marks > line, g.rules_marks > path')).toBe(4);
    expect(await count('lr-range', 'g.suggestion_marks > line, g.suggestion_marks > path')).toBe(1);
    expect(await page.locator('table.trials tbody tr').count()).toBe(d.trials.length);
  });

  it('ranks lr the most important parameter', async () => {
    const bars = await page
      .locator('section.figure[data-figure="importance"] g.bars_marks > path')
      .evaluateAll((els) =>
        els.map((e) => ({ name: (e as SVGPathElement).getAttribute('aria-label') ?? '', width: (e as SVGPathElement).getBBox().width })),
      );
    const widest = bars.reduce((a, b) => (b.width > a.width ? b : a));
    expect(widest.name).toContain('name: lr');
  });

  it('shows a choice holding HTML as text, runs none of it', async () => {
    expect(dialogs).toEqual([]);
    expect(await page.locator('img').count()).toBe(0);
    const cells = await page.locator('table.trials td', { hasText: XSS }).count();
    expect(cells).toBeGreaterThan(0);
    // Chart labels are SVG text: the parallel coordinates' axis labels spell the choice out.
    expect(await page.locator('section.figure[data-figure="parallel"] text', { hasText: XSS }).count()).toBeGreaterThan(0);
    const failedRow = await page.locator('table.trials td', { hasText: 'out of <b>patience</b>' }).count();
    expect(failedRow).toBe(1);
    expect(await page.locator('b', { hasText: 'patience' }).count()).toBe(0);
  });

  it('sorts the trials table by a clicked column', async () => {
    await page.locator('table.trials th[data-column="value"]').click();
    const values = await page.locator('table.trials tbody tr').evaluateAll((rows) => rows.map((r) => r.children[4]!.textContent ?? ''));
    const numbers = values.filter((v) => v !== '').map(Number);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(values.at(-1)).toBe(''); // the failed trial has no value: last
    await page.locator('table.trials th[data-column="trial"]').click();
  });

  it('switches the value axis to log and redraws', async () => {
    await page.selectOption('#scale', 'log');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('section.figure[data-figure="history"] text')].some((t) => t.textContent?.includes('log scale')),
    );
    await page.selectOption('#scale', 'auto');
  });

  it('draws the contour plot of the two parameters chosen in the page', async () => {
    await page.selectOption('#cx', 'act');
    await page.selectOption('#cy', 'lr');
    await page.waitForFunction(() => document.querySelector('section.figure[data-figure="contour"] h2')?.textContent === 'Contour plot: act and lr');
    await page.waitForFunction(() => document.querySelectorAll('section.figure[data-figure="contour"] g.cells_marks > path').length === 2 * 20);
  });

  it('shows a trial written to the journal while the page is open, without a reload', async () => {
    const before = await page.locator('table.trials tbody tr').count();
    const historyBefore = await count('history', 'g.trials_marks > path');
    const trial = appendTrial(join(root, 'a'), 0.001);
    await page.waitForFunction((n) => document.querySelectorAll('table.trials tbody tr').length === n, before + 1, { timeout: 5000 });
    await page.waitForFunction(
      (n) => document.querySelectorAll('section.figure[data-figure="history"] g.trials_marks > path').length === n,
      historyBefore + 1,
      { timeout: 5000 },
    );
    expect(await page.locator('#run-best').textContent()).toContain(`at trial ${trial}`);
    expect(await page.locator('table.trials td', { hasText: 'late-worker' }).count()).toBe(1);
  });

  it('compares the runs: a best-so-far line and a distribution per run', async () => {
    await page.click('#tab-compare');
    await page.waitForFunction(() => document.querySelectorAll('#compare-figures g.best_marks').length === 2);
    expect(await page.locator('#compare-figures g.edf_marks').count()).toBe(2);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'compare.png'), fullPage: true });
    await page.click('#tab-run');
  });

  it('takes screenshots', async () => {
    await page.selectOption('#cx', 'lr');
    await page.selectOption('#cy', 'units');
    await page.waitForFunction(
      () => document.querySelector('section.figure[data-figure="contour"] h2')?.textContent === 'Contour plot: lr and units',
    );
    mkdirSync(SHOTS, { recursive: true });
    const full = join(SHOTS, 'dashboard-full.png');
    await page.screenshot({ path: full, fullPage: true });
    const top = join(SHOTS, 'dashboard.png');
    await page.screenshot({ path: top, clip: { x: 0, y: 0, width: 1400, height: 1000 } });
    expect(statSync(full).size).toBeGreaterThan(100_000);
    if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(top, join(import.meta.dirname, '..', 'docs', 'dashboard.png'));
  });
});

describe.skipIf(!available)('figures of a kind of run in headless Chromium (dashboard and report)', () => {
  let root: string;
  let dash: Dashboard;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let mo: SearchResult;
  let pbt: SearchResult;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'evotune-dash-kinds-'));
    mo = await frontRun(join(root, 'mo'));
    pbt = await pbtRun(join(root, 'pbt'));
    dash = await startDashboard({ dirs: [root], port: 0, pollMs: 100 });
    browser = await launchChromium();
    page = await browser.context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dash?.close();
  });

  const count = (figure: string, selector: string) => page.locator(`section.figure[data-figure="${figure}"] ${selector}`).count();

  const frontMarks = async () => {
    const complete = mo.history.filter((t) => t.outcome.state === 'complete').length;
    expect(await count('front', 'g.front_marks > path')).toBe(mo.front!.length);
    expect(await count('front', 'g.infeasible_marks > path')).toBe(mo.infeasible);
    expect(await count('front', 'g.dominated_marks > path')).toBe(complete - mo.front!.length - mo.infeasible!);
    expect(await count('hypervolume', 'g.hypervolume_marks > path')).toBe(1);
  };

  it('the dashboard draws the Pareto front, infeasible trials apart, and the hypervolume', async () => {
    await page.goto(dash.url);
    await page.waitForSelector('section.figure[data-figure="front"] .chart[data-rendered="true"]');
    await page.waitForSelector('section.figure[data-figure="hypervolume"] .chart[data-rendered="true"]');
    await frontMarks();
    expect(await page.locator('#run-best').textContent()).toBe(
      `best loss (minimised, first objective) ${formatValue(mo.best!.value)} at trial ${mo.best!.trial}`,
    );
  });

  it('the dashboard draws the PBT lineage and the evolved LR schedule', async () => {
    await page.locator('li[data-run="pbt"] button').first().click();
    await page.waitForSelector('section.figure[data-figure="lineage"] .chart[data-rendered="true"]');
    await page.waitForSelector('section.figure[data-figure="lr-schedule"] .chart[data-rendered="true"]');
    expect(await count('lineage', 'g.members_marks > path')).toBe(pbt.trials);
    expect(await count('lineage', 'g.winner_marks > line, g.winner_marks > path')).toBe(pbt.lineage!.steps.length - 1);
    expect(await count('lr-schedule', 'g.schedule_marks > line, g.schedule_marks > path')).toBe(pbt.lineage!.lrSchedule!.length);
  });

  it('the report of the same run draws the same front from the file alone', async () => {
    await writeReport(join(root, 'mo'));
    await page.goto(pathToFileURL(join(root, 'mo', 'report.html')).href);
    await page.waitForSelector('body[data-drawn="true"]');
    await frontMarks();
  });
});
