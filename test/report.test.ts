import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { search } from '../src/search.js';
import { writeReport } from '../src/report/report.js';
import type { FitnessContext } from '../src/eval/types.js';
import type { Params } from '../src/space/spec.js';
import { needService } from './helpers/services.js';

const space = {
  lr: { type: 'float', low: 1e-4, high: 1, log: true },
  units: { type: 'int', low: 8, high: 64, log: false },
  act: { type: 'categorical', choices: ['relu', 'tanh'] },
} as const;
/** Trial 5 fails, so that the report has a failure to show. */
const fitness = (p: Params, ctx: FitnessContext) => {
  if (ctx.trial === 5) throw new Error('out of patience');
  return (Math.log10(Number(p.lr)) + 2) ** 2 + (Number(p.units) - 32) ** 2 / 100 + (p.act === 'tanh' ? 0.5 : 0);
};
const run = async (budget = 30) => {
  const out = join(mkdtempSync(join(tmpdir(), 'evotune-report-')), 'run');
  await search({ fitness, space, strategy: 'ga', strategyOptions: { populationSize: 10 }, budget, seed: 2, out });
  return out;
};
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

describe('report', () => {
  it('writes report.html with the best trial and pictures of history, parallel coordinates and each parameter', async () => {
    const out = await run();
    const r = await writeReport(out);
    expect(r.html).toBe(join(out, 'report.html'));
    expect(r.svgs.map((s) => s.slice(out.length + 1))).toEqual(['charts/history.svg', 'charts/parallel.svg', 'charts/params.svg']);

    const html = read(out, 'report.html');
    expect(html).toContain('ga on function fitness, seed 2');
    expect(html).toContain('30 of 30 trials finished, 1 failed; ended (budget)');
    for (const f of ['history', 'parallel', 'params']) expect(html).toContain(`<img src="charts/${f}.svg"`);
    expect(html).toMatch(/<td>error<\/td><td>1<\/td><td>trial 5: out of patience<\/td>/);

    const history = read(out, 'charts/history.svg');
    expect(history).toMatch(/^<svg /);
    expect(history).toContain('Optimisation history');
    expect(history).toContain('best so far');
    expect(history).toContain('failed trial');
    const parallel = read(out, 'charts/parallel.svg');
    for (const label of ['lr', 'units', 'act', 'relu', 'tanh']) expect(parallel).toContain(`>${label}</text>`);
    const params = read(out, 'charts/params.svg');
    for (const title of ['lr (log scale)', 'units', 'act']) expect(params).toContain(`>${title}</text>`);
  });

  it('adds the LR range test curve when the run had one', async () => {
    const out = await run(10);
    const points = Array.from({ length: 40 }, (_, i) => {
      const lr = 1e-6 * 10 ** (i / 6);
      const loss = 2 - Math.min(1.5, i / 20) + (i > 34 ? (i - 34) ** 2 : 0);
      return { step: i, lr, loss, smoothed: loss };
    });
    const result = { task: 'x', curve: { signal: 'train', points, stop: { reason: 'end' } }, rule: 'steepest', suggestion: 1e-3, bounds: [1e-4, 1e-2] };
    appendFileSync(join(out, 'journal.jsonl'), `${JSON.stringify({ type: 'lr-range', at: new Date().toISOString(), result })}\n`);
    const r = await writeReport(out);
    expect(r.svgs.at(-1)).toBe(join(out, 'charts/lr-range.svg'));
    const svg = read(out, 'charts/lr-range.svg');
    expect(svg).toContain('LR range test');
    expect(svg).toContain('smoothed loss');
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

  const hasChromium = spawnSync('chromium', ['--version'], { encoding: 'utf8' }).status === 0;
  const chromium = needService('chromium', hasChromium, 'the headless Chromium test', 'apt-get install chromium');
  it.skipIf(!chromium)('renders in headless Chromium with every picture loaded', async () => {
    const out = await run();
    await writeReport(out);
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=5000'];
    const url = `file://${join(out, 'report.html')}`;
    const dom = execFileSync('chromium', [...flags, '--dump-dom', url], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    // A picture that fails to load replaces itself with <p class="missing">.
    expect(dom).not.toContain('class="missing"');
    expect(dom.match(/<img /g)).toHaveLength(3);
    const png = join(out, 'report.png');
    execFileSync('chromium', [...flags, '--hide-scrollbars', '--window-size=1200,2400', `--screenshot=${png}`, url], { stdio: 'ignore' });
    expect(existsSync(png) && statSync(png).size).toBeGreaterThan(50_000);
  });
});
