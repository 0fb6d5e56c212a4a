import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { benchPlan } from '../src/cli/commands/bench.js';
import { outputStem, parseRunArgs } from '../benchmarks/run.js';
import { SECTIONS } from '../benchmarks/sections.js';

/** Runs the CLI, capturing what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('evotune bench: flags', () => {
  const args = (a: Record<string, unknown>) => ({ _: [], $0: 'evotune', ...a }) as Parameters<typeof benchPlan>[0];

  it('compares the documented defaults, and smaller ones with --quick', () => {
    expect(benchPlan(args({}))).toEqual({
      tasks: ['digits', 'spirals', 'wine'],
      strategies: ['random', 'ga', 'pso', 'de', 'cmaes'],
      budget: 60,
      repeats: 5,
      lrSeeding: ['none'],
    });
    expect(benchPlan(args({ quick: true }))).toMatchObject({ tasks: ['wine'], budget: 8, repeats: 3 });
  });

  it('takes lists as typed, without duplicates, and "both" runs each search with and without range-test bounds', () => {
    const plan = benchPlan(
      args({ tasks: 'digits, spirals,digits', strategies: 'ga,pso,random', budget: 60, repeats: 5, workers: 2, lrBounds: 'both' }),
    );
    expect(plan).toEqual({
      tasks: ['digits', 'spirals'],
      strategies: ['ga', 'pso', 'random'],
      budget: 60,
      repeats: 5,
      workers: 2,
      lrSeeding: ['none', 'auto'],
    });
  });

  it('still takes --seeds, the old name of --repeats, with a deprecation note', () => {
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(benchPlan(args({ seeds: 4 })).repeats).toBe(4);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/--seeds is deprecated: use --repeats/));
    expect(() => benchPlan(args({ seeds: 0 }))).toThrow(/--seeds: expected a whole number >= 1/);
    expect(() => benchPlan(args({ seeds: 4, repeats: 4 }))).toThrow(/give --repeats only/);
  });

  it('rejects bad numbers and unknown names before any search starts, naming the flag', async () => {
    expect(() => benchPlan(args({ budget: 0 }))).toThrow('--budget: expected a whole number >= 1, got 0');
    expect(() => benchPlan(args({ repeats: 2.5 }))).toThrow(/--repeats/);
    expect(() => benchPlan(args({ strategies: 'ga,nope' }))).toThrow(/unknown strategy "nope"/);
    const r = await cli('bench', '--tasks', 'digits,nope');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown task "nope"; expected one of: .*digits/);
    expect(r.out).toBe('');
  });
});

describe('evotune bench: a run', () => {
  it('prints one JSON object: per strategy the bests over seeds, the rank-test verdict and the best-so-far curve', async () => {
    const r = await cli(
      'bench',
      '--tasks',
      'iris',
      '--strategies',
      'random,ga',
      '--budget',
      '2',
      '--repeats',
      '1',
      '--workers',
      '1',
      '--backend',
      'wasm',
      '--json',
    );
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as {
      backend: string;
      groups: Array<{
        task: string;
        comparison: { rows: Array<{ label: string; verdict: { kind: string } }> };
        cells: Array<{ strategy: string; bests: number[]; curve: Array<{ evals: number; median: number }> }>;
      }>;
    };
    expect(result.backend).toBe('wasm');
    expect(result.groups).toHaveLength(1);
    const [g] = result.groups;
    expect(g!.task).toBe('iris');
    expect(g!.comparison.rows.map((x) => x.verdict.kind).sort()).toEqual(['leader', 'within-noise']);
    for (const c of g!.cells) {
      expect(c.bests).toHaveLength(1);
      expect(c.curve.map((p) => p.evals)).toEqual([1, 2]);
      expect(c.curve[1]!.median).toBeLessThanOrEqual(c.curve[0]!.median);
      expect(c.curve[1]!.median).toBe(c.bests[0]);
    }
  });
});

describe('benchmark runner: arguments and files', () => {
  it('runs every section by default and only those named with --sections', () => {
    const all = parseRunArgs([]);
    expect(all !== 'help' && all.sections.map((s) => s.id)).toEqual(SECTIONS.map((s) => s.id));
    const some = parseRunArgs(['--quick', '--sections', 'pool,functions', '--out', '/tmp/x']);
    expect(some).toMatchObject({ quick: true, out: '/tmp/x' });
    // Sections keep the report's order, whatever order they were named in.
    expect(some !== 'help' && some.sections.map((s) => s.id)).toEqual(SECTIONS.map((s) => s.id).filter((id) => id === 'pool' || id === 'functions'));
  });

  it('names the known sections when one is unknown, and rejects unknown flags as usage errors', () => {
    expect(() => parseRunArgs(['--sections', 'functions,speed'])).toThrow(/--sections: expected a comma-separated list of functions, /);
    expect(() => parseRunArgs(['--fast'])).toThrow(expect.objectContaining({ kind: 'usage' }));
  });

  it('files a full run under its day, and keeps quick and partial runs from overwriting it', () => {
    const ids = SECTIONS.map((s) => s.id);
    expect(outputStem('2025-03-04T05:06:07.000Z', false, ids)).toBe('2025-03-04');
    // benchmarks/results/tmp-* is git-ignored.
    expect(outputStem('2025-03-04T05:06:07.000Z', true, ids)).toBe('tmp-quick-2025-03-04');
    expect(outputStem('2025-03-04T05:06:07.000Z', false, ['functions', 'pool'])).toBe('2025-03-04-functions-pool');
  });
});
