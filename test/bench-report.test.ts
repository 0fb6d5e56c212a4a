import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compare } from '../src/bench/compare.js';
import { comparisonTable, num, table } from '../src/bench/report-markdown.js';
import { composeResults, type SavedRun } from '../benchmarks/report-results.js';
import type { Section } from '../benchmarks/sections.js';
import { changesCode, renderJson, renderMarkdown, type RunMeta, type SectionOutcome } from '../benchmarks/report.js';
import { curvesSvg } from '../src/bench/report-chart.js';
import { bestSoFar, cells, medianCurve, type QualityRun } from '../src/bench/search-quality.js';
import { qualityGroups, seedingTable, strategyTable } from '../src/bench/report-quality.js';
import type { TrialRecord } from '../src/study/types.js';

const tenSeeds = (base: number) => Array.from({ length: 10 }, (_, i) => base + i * 0.01);

describe('compare', () => {
  it('bolds the lowest median and calls a clear gap worse, an overlap within noise', () => {
    const c = compare([
      { label: 'random', values: tenSeeds(5) },
      { label: 'ga', values: tenSeeds(1) },
      { label: 'pso', values: tenSeeds(1.005) },
    ]);
    expect(c.rows.map((r) => [r.label, r.verdict.kind])).toEqual([
      ['random', 'worse'],
      ['ga', 'leader'],
      ['pso', 'within-noise'],
    ]);
    expect(c.tooFewSeeds).toBeUndefined();
  });

  it('says when the seeds are too few for any call, counting the Holm adjustment', () => {
    const few = compare([
      { label: 'a', values: [1, 2, 3] },
      { label: 'b', values: [10, 11, 12] },
    ]);
    expect(few.rows.find((r) => r.label === 'b')!.verdict).toEqual({ kind: 'within-noise', p: expect.closeTo(0.1, 10) });
    expect(few.tooFewSeeds).toMatch(/3 seeds per contender and 1 comparison/);
    // 5 seeds allow a call against one rival (p 0.008) but not against seven (7 x 0.008 > 0.05).
    const rivals = (k: number) => [
      { label: 'best', values: [1, 2, 3, 4, 5] },
      ...Array.from({ length: k }, (_, i) => ({ label: `r${i}`, values: [10, 11, 12, 13, 14] })),
    ];
    expect(compare(rivals(1)).tooFewSeeds).toBeUndefined();
    expect(compare(rivals(7)).tooFewSeeds).toMatch(/7 comparisons/);
  });

  it('counts a seed with no finished trial (Infinity) as the worst value', () => {
    const c = compare([
      { label: 'broken', values: Array(10).fill(Infinity) },
      { label: 'ok', values: tenSeeds(1) },
    ]);
    expect(c.rows.find((r) => r.label === 'ok')!.verdict.kind).toBe('leader');
    expect(c.rows.find((r) => r.label === 'broken')!.verdict.kind).toBe('worse');
  });
});

describe('markdown', () => {
  it('writes a table with escaped pipes and numbers to three digits', () => {
    expect(table(['a', 'b'], [['x|y', num(0.000123456)]])).toBe('| a | b |\n| --- | --- |\n| x\\|y | 1.23e-4 |');
    expect([num(1234.5), num(Infinity), num(NaN), num(0)]).toEqual(['1230', '∞', 'n/a', '0']);
  });

  it('shows each contender as median [quartiles] with its p-value and a legend', () => {
    const oneToTen = Array.from({ length: 10 }, (_, i) => i + 1);
    const md = comparisonTable(
      ['task'],
      ['ga', 'random'],
      [
        {
          keys: ['digits'],
          comparison: compare([
            { label: 'ga', values: oneToTen },
            { label: 'random', values: oneToTen.map((v) => v + 50) },
          ]),
        },
      ],
    );
    expect(md.split('\n')[2]).toBe('| digits | **5.5 [3.25, 7.75]** | 55.5 [53.3, 57.8] p=<0.001 |');
    expect(md).toMatch(/Mann-Whitney U/);
    expect(md).not.toMatch(/Note:/);
  });
});

describe('RESULTS.md', () => {
  const meta = (date: string, commit: string): SavedRun['meta'] => ({
    date,
    command: 'npm run bench',
    quick: false,
    commit,
    machine: { cpu: 'CPU', cores: 2, memoryGb: 1, os: 'Linux', node: 'v20', loadAtStart: 0 },
  });
  const section = (id: string, render?: (d: unknown) => string): Section => ({
    id,
    title: `Title ${id}`,
    run: async () => ({ kind: 'skipped', reason: '' }),
    ...(render ? { render } : {}),
  });
  const old: SavedRun = {
    stem: 'old',
    meta: meta('2025-01-01T00:00:00Z', 'aaa'),
    sections: [
      { id: 'a', title: 'Old title a', status: 'ran', data: { v: 1 } },
      { id: 'b', title: 'Title b', status: 'ran', data: {} },
    ],
    markdown: '# run\n\n## Old title a\n\nold a\n\n## Title b\n\nsaved b ![c](old-b-c.svg)\n',
  };
  const fresh: SavedRun = {
    stem: 'new',
    meta: meta('2025-02-01T00:00:00Z', 'bbb'),
    sections: [{ id: 'a', title: 'Title a', status: 'ran', data: { v: 2 }, charts: ['new-a-x.svg'] }],
    markdown: '## Title a\n\nstale text\n',
  };

  it('takes each section from its newest run, rebuilds tables from data where it can, and says which run measured it', () => {
    const md = composeResults([old, fresh], 'Hand-written.', [
      section('a', (d) => `rendered v=${(d as { v: number }).v}`),
      section('b'),
      section('c'),
    ]);
    expect(md).toContain('## Title a\n\nMeasured by run new (commit bbb).\n\nrendered v=2\n\n![new-a-x](results/new-a-x.svg)');
    expect(md).not.toContain('stale text');
    expect(md).toContain('## Title b\n\nMeasured by run old (commit aaa).\n\nsaved b ![c](results/old-b-c.svg)');
    expect(md).toMatch(/## Title c\n\nNot in any committed run yet: `npm run bench -- --sections c`/);
    expect(md).toMatch(/# Reading \(written by hand\)\n\nHand-written\.\n$/);
  });
});

describe('run report', () => {
  const meta: RunMeta = {
    date: '2025-03-04T05:06:07.000Z',
    command: 'npm run bench -- --quick',
    quick: true,
    commit: 'abc1234',
    machine: { cpu: 'Test CPU', cores: 2, memoryGb: 24, os: 'Linux', node: 'v20', loadAtStart: 0.5 },
  };
  const sections: SectionOutcome[] = [
    {
      id: 'functions',
      title: 'Functions',
      status: 'ran',
      elapsedMs: 2000,
      markdown: '| table |',
      data: { rows: [1] },
      charts: [{ name: 'curves-x', svg: '<svg/>' }],
    },
    { id: 'queue', title: 'Queue', status: 'skipped', reason: 'no Redis server at redis://127.0.0.1:6379' },
    { id: 'pool', title: 'Pool', status: 'failed', elapsedMs: 1000, error: 'boom' },
  ];

  it('says how the run was made and what happened to every section', () => {
    const md = renderMarkdown(meta, sections, (s, c) => `results/${s}-${c.name}.svg`);
    expect(md).toContain('`npm run bench -- --quick`');
    expect(md).toContain('Test CPU, 2 cores, 24 GB');
    expect(md).toContain('Commit: abc1234');
    expect(md).toContain('![curves-x](results/functions-curves-x.svg)');
    expect(md).toContain('Skipped: no Redis server at redis://127.0.0.1:6379');
    expect(md).toContain('Failed after 1 s: boom');
  });

  it('puts data and chart file names in the JSON, not the markdown or SVG text', () => {
    const json = renderJson(meta, sections, (s, c) => `${s}-${c.name}.svg`) as { sections: Array<Record<string, unknown>> };
    expect(json.sections[0]).toEqual({
      id: 'functions',
      title: 'Functions',
      status: 'ran',
      elapsedMs: 2000,
      data: { rows: [1] },
      charts: ['functions-curves-x.svg'],
    });
    expect(json.sections[1]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/Redis/) });
  });
});

const trial = (number: number, value: number | 'failed'): TrialRecord => ({
  number,
  generation: 0,
  x: [0.5],
  params: { lr: 0.01 },
  seed: number,
  replayed: false,
  outcome:
    value === 'failed'
      ? { state: 'failed', kind: 'nan', message: 'NaN', durationMs: 1, worker: 'w' }
      : { state: 'complete', value, metrics: {}, durationMs: 1, worker: 'w' },
});

describe('best-so-far curves', () => {
  it('follows trial numbers, skips failures, and holds the best when the search stopped early', () => {
    const history = [trial(1, 0.5), trial(0, 'failed'), trial(2, 0.7), trial(3, 0.2)];
    expect(bestSoFar(history, 6)).toEqual([Infinity, 0.5, 0.5, 0.2, 0.2, 0.2]);
  });

  it('aggregates seeds into median and quartiles per evaluation count', () => {
    const curve = medianCurve([
      [3, 2, 1],
      [5, 4, 3],
      [Infinity, 6, 5],
    ]);
    expect(curve).toEqual([
      { evals: 1, median: 5, q1: 4, q3: Infinity },
      { evals: 2, median: 4, q1: 3, q3: 5 },
      { evals: 3, median: 3, q1: 2, q3: 4 },
    ]);
  });
});

describe('task quality report', () => {
  const run = (strategy: string, lr: 'none' | 'auto', seed: number, best: number): QualityRun => ({
    task: 'wine',
    strategy,
    lr,
    seed,
    best,
    curve: [best + 1, best],
    trials: 2,
    failed: 0,
    elapsedMs: 100,
    wallMs: lr === 'auto' ? 1200 : 1000,
    ...(lr === 'auto' ? { rangeTestMs: 2500 } : {}),
  });
  const runs = [0, 1, 2, 3, 4, 5].flatMap((seed) => [
    run('ga', 'none', seed, 0.1 + seed / 100),
    run('random', 'none', seed, 0.5 + seed / 100),
    run('ga', 'auto', seed, 0.05 + seed / 100),
    run('random', 'auto', seed, 0.3 + seed / 100),
  ]);

  it('groups seeds per task, seeding and strategy, and tables strategies per row', () => {
    const grouped = cells(runs);
    expect(grouped.map((c) => [c.strategy, c.lr, c.bests.length])).toEqual([
      ['ga', 'none', 6],
      ['random', 'none', 6],
      ['ga', 'auto', 6],
      ['random', 'auto', 6],
    ]);
    const md = strategyTable(qualityGroups(grouped));
    expect(md).toMatch(/\| wine \| task range \| \*\*0\.125 .*\| 0\.525 .* p=0\.002 \|/);
    expect(md).toMatch(/\| wine \| LR range test \| \*\*0\.075 /);
  });

  it('compares with and without range-test bounds, with the wall time each cost, p Holm-adjusted across rows', () => {
    const md = seedingTable(cells(runs))!;
    // The random row alone: p = 2 / C(12, 6) = 0.002; Holm over the two rows doubles the smaller p: 0.004.
    expect(md).toMatch(
      /\| wine \| ga \| 0\.125 \[0\.113, 0\.138\] \| 0\.075 \[0\.0625, 0\.0875\] \| range test \(p=0\.\d+\) \| 1\.0 \| 1\.2 \+ 2\.5 \|/,
    );
    expect(md).toMatch(/\| wine \| random \| .* \| range test \(p=0\.004\) \|/);
    expect(seedingTable(cells(runs.filter((r) => r.lr === 'none')))).toBeUndefined();
  });
});

describe('curve chart', () => {
  it('renders an SVG with one legend entry per series, leaving out points before the first finished trial', async () => {
    const svg = await curvesSvg('wine', [
      { label: 'ga-series', points: medianCurve([[Infinity, 0.5, 0.2]]) },
      { label: 'random-series', points: medianCurve([[0.9, 0.8, 0.8]]) },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('ga-series');
    expect(svg).toContain('random-series');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});

describe('a run into benchmarks/results names a commit that holds its code', () => {
  it('counts changed and new code as a change, what runs write not', () => {
    expect(changesCode('')).toBe(false);
    expect(changesCode('?? benchmarks/results/2026-12-07-x.md\n?? benchmarks/results/2026-12-07-x.json\n')).toBe(false);
    expect(changesCode(' M src/search.ts\n')).toBe(true);
    expect(changesCode('?? src/new-module.ts\n')).toBe(true);
    expect(changesCode('?? benchmarks/results/a.md\nM  benchmarks/run.ts\n')).toBe(true);
    // A run rewrites RESULTS.md and may overwrite the day's results file: outputs, not code.
    expect(changesCode(' M benchmarks/RESULTS.md\n M benchmarks/results/2026-12-07-x.md\n')).toBe(false);
    expect(changesCode(' M benchmarks/RESULTS.md.bak\n')).toBe(true);
  });

  it('refuses a full run from a tree with uncommitted code: exit 2 and a one-line reason, before any section runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evotune-dirty-'));
    const run = fileURLToPath(new URL('../dist/benchmarks/run.js', import.meta.url));
    const sh = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' });
    try {
      sh('git', 'init', '-q');
      writeFileSync(join(dir, 'a.txt'), 'one\n');
      sh('git', 'add', 'a.txt');
      sh('git', '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'one');
      writeFileSync(join(dir, 'a.txt'), 'two\n');
      const r = sh(process.execPath, run, '--sections', 'checkpoints');
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/benchmarks\/results takes runs of committed code only.*\n.*--out DIR/);
      expect(r.stderr).not.toMatch(/== |at .*\.js:\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
