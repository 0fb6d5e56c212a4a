import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { search, type SearchInput } from '../src/search.js';
import type { SpaceSpec } from '../src/space/spec.js';
import type { FailureKind } from '../src/eval/types.js';
import type { StudyEvent } from '../src/study/types.js';

// The pool runs dist/src/eval/worker.js: build first (npx tsc -p tsconfig.json).
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}.mjs`, import.meta.url));
const space: SpaceSpec = {
  x: { type: 'float', low: -1, high: 1, log: false },
  y: { type: 'float', low: -1, high: 1, log: false },
};
const BUDGET = 8;
/** The fault fixtures misbehave on trials 1, 5, 9, ... (test/fixtures/fault.mjs). */
const FAULTY = [1, 5];

interface Fault {
  readonly fixture: string;
  readonly what: string;
  readonly kind: FailureKind;
  readonly message: RegExp;
  readonly options?: Partial<SearchInput>;
}

const FAULTS: readonly Fault[] = [
  { fixture: 'throwing', what: 'throws', kind: 'error', message: /^deliberate failure in trial \d+$/ },
  { fixture: 'nan', what: 'returns NaN', kind: 'nan', message: /NaN/ },
  { fixture: 'infinity', what: 'returns -Infinity', kind: 'infinite', message: /-Infinity/ },
  { fixture: 'undefined', what: 'returns undefined', kind: 'invalid', message: /got undefined/ },
  { fixture: 'string', what: 'returns a string', kind: 'invalid', message: /got the string "0\.25"/ },
  { fixture: 'no-loss', what: 'returns an object without loss', kind: 'invalid', message: /"loss".*keys accuracy/ },
  {
    fixture: 'cooperative',
    what: 'runs past the timeout, stops on ctx.signal',
    kind: 'timeout',
    message: /200 ms timeout; it stopped on ctx\.signal/,
    options: { trialTimeout: 0.2 },
  },
  {
    fixture: 'hanging',
    what: 'never settles (ignores ctx.signal)',
    kind: 'timeout',
    message: /200 ms timeout; its worker was terminated and replaced/,
    options: { trialTimeout: 0.2 },
  },
  {
    fixture: 'busy-loop',
    what: 'spins synchronously',
    kind: 'timeout',
    message: /200 ms timeout; its worker was terminated and replaced/,
    options: { trialTimeout: 0.2 },
  },
  { fixture: 'exit', what: 'calls process.exit', kind: 'crash', message: /exited with code: 3/ },
  { fixture: 'timer-crash', what: 'throws in a timer (uncaught)', kind: 'crash', message: /uncaught in a timer of trial \d+/ },
  { fixture: 'allocate', what: 'allocates without end', kind: 'oom', message: /out of memory \(heap limit 64 MB\)/, options: { maxHeapMb: 64 } },
];

const table: string[] = [];

describe('a search survives each fault and records every trial', () => {
  for (const f of FAULTS) {
    it(`fitness that ${f.what}: FAILED as '${f.kind}', budget completed`, async () => {
      const events: StudyEvent[] = [];
      const r = await search({
        fitness: fixture(f.fixture),
        space,
        budget: BUDGET,
        workers: 2,
        seed: 3,
        onEvent: (e) => events.push(e),
        ...f.options,
      });
      const asked = events.filter((e) => e.type === 'asked').length;
      const finished = events.flatMap((e) => (e.type === 'finished' ? [e.record] : []));

      expect(r).toMatchObject({ trials: BUDGET, failed: FAULTY.length, failuresByKind: { [f.kind]: FAULTY.length }, stoppedBy: 'budget' });
      expect(finished.map((t) => t.number).sort((a, b) => a - b)).toEqual([...Array(BUDGET).keys()]);
      for (const t of r.history) {
        if (FAULTY.includes(t.number)) expect(t.outcome).toMatchObject({ state: 'failed', kind: f.kind, message: expect.stringMatching(f.message) });
        else expect(t.outcome.state).toBe('complete');
      }
      expect(FAULTY).not.toContain(r.best!.trial);
      table.push(`| ${f.fixture}.mjs | ${f.what} | ${f.kind} | ${FAULTY.length} | ${finished.length} | ${asked - finished.length} |`);
    });
  }

  afterAll(() => {
    if (table.length === 0) return;
    console.log(
      [
        `Faults injected (search of ${BUDGET} trials, 2 workers; lost = trials started but not recorded)`,
        '',
        '| fixture | fitness | failed as | faults injected | trials recorded | lost |',
        '| --- | --- | --- | --- | --- | --- |',
        ...table,
      ].join('\n'),
    );
  });
});

describe('in-process fitness functions', () => {
  const cases: Array<[string, (p: Record<string, unknown>, ctx: { trial: number; signal: AbortSignal }) => unknown, FailureKind]> = [
    [
      'throws',
      () => {
        throw new Error('bad');
      },
      'error',
    ],
    ['returns NaN', () => NaN, 'nan'],
    [
      'rejects',
      async () => {
        throw new Error('bad');
      },
      'error',
    ],
    ['returns null', () => null, 'invalid'],
  ];
  for (const [what, bad, kind] of cases) {
    it(`records a function that ${what} as '${kind}' and goes on`, async () => {
      const r = await search({ fitness: (p, ctx) => (ctx.trial === 1 ? bad(p, ctx) : 1) as number, space, budget: 4, seed: 1 });
      expect(r).toMatchObject({ trials: 4, failed: 1, failuresByKind: { [kind]: 1 } });
      expect(r.history[1]!.outcome).toMatchObject({ state: 'failed', kind });
    });
  }

  it('times out a function that awaits forever, aborting its ctx.signal', async () => {
    let sawAbort = false;
    const r = await search({
      fitness: async (_p, ctx) => {
        if (ctx.trial !== 1) return 1;
        ctx.signal.addEventListener('abort', () => (sawAbort = true));
        return new Promise<number>(() => {});
      },
      space,
      budget: 3,
      trialTimeout: 0.05,
    });
    expect(r).toMatchObject({ trials: 3, failed: 1, failuresByKind: { timeout: 1 } });
    expect(sawAbort).toBe(true);
  });
});

describe('when every trial fails', () => {
  it.each([
    ['a dependency missing at run time', 'lazy-import', 5, /error: .*evotune-fixture-missing-package/],
    ['a fitness that throws at once', 'always-throws', 20, /error: paramz is not defined$/],
  ])('stops after a run of failures (%s) without burning the budget, keeping the trials that ran', async (_what, name, limit, reason) => {
    const finished: number[] = [];
    const run = search({
      fitness: fixture(name),
      space,
      budget: 500,
      workers: 2,
      maxConsecutiveFailures: limit,
      onEvent: (e) => e.type === 'finished' && finished.push(e.record.number),
    });
    await expect(run).rejects.toMatchObject({
      code: 'E_ALL_FAILED',
      kind: 'runtime',
      message: expect.stringMatching(
        new RegExp(`^stopped early: ${limit} trials in a row failed, the last \\(trial ${limit - 1}\\) with ${reason.source}`),
      ),
    });
    // The first `limit` trials failed; trials already started when the limit was seen finish and are kept. How many
    // that is depends on scheduling (a worker that stalls lets the other run ahead), so bound it loosely: the point
    // is that the search stops far short of its budget of 500.
    expect(finished.length).toBeGreaterThanOrEqual(limit);
    expect(finished.length).toBeLessThanOrEqual(limit * 2);
    expect(finished).toEqual([...Array(finished.length).keys()]);
  });

  it('counts a run of failures across generations', async () => {
    // Batches of 3: trials 0-1 succeed, then everything fails; the 4th failure in a row is trial 5, in the 2nd batch.
    const run = search({
      fitness: (_p, ctx) => (ctx.trial < 2 ? 1 : NaN),
      space,
      budget: 40,
      maxConsecutiveFailures: 4,
      strategy: 'random',
      strategyOptions: { batch: 3 },
    });
    await expect(run).rejects.toMatchObject({
      code: 'E_ALL_FAILED',
      message: expect.stringMatching(/4 trials in a row failed, the last \(trial 5\) with nan/),
    });
  });

  it('does not stop while successes keep breaking the run', async () => {
    // Three failures out of four, but never four in a row.
    const r = await search({
      fitness: (_p, ctx) => (ctx.trial % 4 === 3 ? 1 : NaN),
      space,
      budget: 40,
      maxConsecutiveFailures: 4,
      strategy: 'random',
      strategyOptions: { batch: 3 },
    });
    expect(r).toMatchObject({ trials: 40, failed: 30, stoppedBy: 'budget' });
  });
});

describe('the command line', () => {
  const cli = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const bin = fileURLToPath(new URL('../dist/bin/evotune.js', import.meta.url));
      execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      );
    });
  const spaceFile = fileURLToPath(new URL('./fixtures/journal-space.json', import.meta.url));
  const outs: string[] = [];
  const out = () => {
    const dir = mkdtempSync(join(tmpdir(), 'evotune-faults-'));
    outs.push(dir);
    return join(dir, 'run');
  };
  afterAll(() => outs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('prints the failures by kind in the summary and exits 0', async () => {
    const r = await cli(['search', '--fitness', fixture('throwing'), '--space', spaceFile, '--budget', '8', '--workers', '2', '--out', out()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^8 trials \(2 failed\)/m);
    expect(r.stdout).toMatch(/^failures: error 2$/m);
  });

  it('exits 1 with one line when every trial fails', async () => {
    const r = await cli([
      'search',
      '--fitness',
      fixture('lazy-import'),
      '--space',
      spaceFile,
      '--budget',
      '200',
      '--workers',
      '2',
      '--max-consecutive-failures',
      '4',
      '--out',
      out(),
    ]);
    expect(r.code).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('evotune: '));
    expect(errors).toEqual([expect.stringMatching(/^evotune: stopped early: 4 trials in a row failed, the last \(trial 3\) with error: /)]);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
