import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isEvotuneError } from '../src/errors.js';
import { search } from '../src/search.js';
import { dominates } from '../src/study/pareto.js';
import { objectiveSpec, parseConstraint } from '../src/study/objectives.js';
import type { Params } from '../src/space/spec.js';
import { searchCli } from './helpers/cli.js';
import { createProgress } from '../src/cli/progress.js';
import { Writable } from 'node:stream';

/** What a user of --objective, --direction, --objectives and --constraint sees, from the library and the CLI. */

const space = {
  x: { type: 'float', low: 0, high: 1 },
  y: { type: 'float', low: 0, high: 1 },
  kind: { type: 'categorical', choices: ['a', 'b'] },
} as const;

/** A trade-off: `loss` falls as x grows while `size` grows with it; y only hurts; kind b costs a little. */
const fitness = (p: Params) => {
  const x = p.x as number;
  const y = p.y as number;
  const loss = (1 - x) ** 2 + y * y + (p.kind === 'b' ? 0.05 : 0);
  return { loss, size: 10 * x + y, accuracy: 1 - loss / 3 };
};

function usageError(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    expect(isEvotuneError(e) && e.kind).toBe('usage');
    return e as Error;
  }
  throw new Error('expected a usage error');
}

async function usageErrorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(isEvotuneError(e) && e.kind).toBe('usage');
    return e as Error;
  }
  throw new Error('expected a usage error');
}

describe('constraints are parsed, never evaluated', () => {
  it.each([
    ['overshoot', { metric: 'overshoot', op: '<=', bound: 0 }],
    ['size<=1e5', { metric: 'size', op: '<=', bound: 1e5 }],
    [' accuracy >= 0.9 ', { metric: 'accuracy', op: '>=', bound: 0.9 }],
    ['trainMs < 500', { metric: 'trainMs', op: '<=', bound: 500 }],
    ['1e5 >= size', { metric: 'size', op: '<=', bound: 1e5 }],
  ])('%s', (text, expected) => {
    expect(parseConstraint(text)).toEqual(expected);
  });

  it.each(['size <= big', 'process.exit(1)', 'a<=1 && b<=2', 'size == 3', '<= 3', ''])('rejects %j naming --constraint', (text) => {
    expect(usageError(() => parseConstraint(text)).message).toMatch(/^constraint: expected a metric name/);
  });

  it('rejects objective options that do not fit together', () => {
    expect(usageError(() => objectiveSpec({ objective: 'loss', objectives: ['loss', 'size'] })).message).toMatch(/not both/);
    expect(usageError(() => objectiveSpec({ objectives: ['loss', 'size'], directions: ['minimize'] })).message).toMatch(
      /^directions: expected 2 directions/,
    );
    expect(usageError(() => objectiveSpec({ objectives: ['loss', 'loss'] })).message).toMatch(/distinct/);
    expect(usageError(() => objectiveSpec({ objectives: ['loss', 'size'], direction: 'maximize' })).message).toMatch(/directions/);
  });
});

describe('progress of a multi-objective search', () => {
  it("counts the Pareto front as trials finish (the bar shows it instead of one objective's best)", async () => {
    const sizes: number[] = [];
    const out = { text: '' };
    const stream = new Writable({ write: (chunk, _enc, cb) => ((out.text += String(chunk)), cb()) });
    const progress = createProgress('lines', 120, stream);
    const r = await search({
      fitness,
      space,
      objectives: ['loss', 'size'],
      strategy: 'nsga2',
      budget: 120,
      seed: 2,
      onEvent: (e) => {
        progress.onEvent(e);
        if (e.type === 'finished') sizes.push(e.front!);
      },
    });
    progress.stop();
    // After every trial, the count is the front of the trials so far; at the end, the result's front.
    expect(sizes).toHaveLength(120);
    expect(sizes.at(-1)).toBe(r.front!.length);
    expect(sizes.at(-1)).toBeGreaterThan(3);
    expect(out.text.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^trial 120/120  front ${r.front!.length} trials  failed 0`));
  });
});

describe('choosing the objective', () => {
  it('maximises any metric: the best is the highest accuracy of all trials', async () => {
    const r = await search({ fitness, space, objective: 'accuracy', direction: 'maximize', strategy: 'ga', budget: 60, seed: 3 });
    const accuracies = r.history.map((t) => (t.outcome.state === 'complete' ? (t.outcome.metrics.accuracy as number) : -Infinity));
    expect(r.best!.value).toBe(Math.max(...accuracies));
    expect(r.objectives).toEqual([{ name: 'accuracy', direction: 'maximize' }]);
    // The same search minimising the loss finds the same kind of point: accuracy is 1 - loss/3.
    const plain = await search({ fitness, space, strategy: 'ga', budget: 60, seed: 3 });
    expect(plain.objectives).toBeUndefined();
    expect(1 - plain.best!.value / 3).toBeCloseTo(r.best!.value, 10);
  });

  it("stops at a target reached in the objective's direction", async () => {
    const r = await search({ fitness, space, objective: 'accuracy', direction: 'maximize', strategy: 'random', budget: 500, seed: 1, target: 0.9 });
    expect(r.stoppedBy).toBe('target');
    expect(r.best!.value).toBeGreaterThanOrEqual(0.9);
  });

  it('names the metrics the fitness returns when the objective is not one of them', async () => {
    const e = await usageErrorOf(search({ fitness, space, objective: 'acuracy', budget: 10 }));
    expect(e.message).toBe('objective: expected a numeric metric the fitness returns (loss, size, accuracy), got "acuracy"');
  });
});

describe('constraints in a single-objective search', () => {
  it('ranks feasible trials first: the best meets the constraint though lower losses break it', async () => {
    const r = await search({ fitness, space, strategy: 'cmaes', budget: 80, seed: 2, constraint: 'size<=5' });
    const sizeOf = (t: (typeof r.history)[number]) => (t.outcome.state === 'complete' ? (t.outcome.metrics.size as number) : NaN);
    expect(r.best!.metrics!.size as number).toBeLessThanOrEqual(5);
    expect(r.best!.violation).toBeUndefined();
    expect(r.infeasible).toBe(r.history.filter((t) => sizeOf(t) > 5).length);
    expect(r.infeasible).toBeGreaterThan(0);
    // The unconstrained optimum (x = 1) is infeasible; the feasible best sits near the boundary x = 0.5.
    expect(r.best!.params.x as number).toBeGreaterThan(0.4);
    expect(r.constraints).toEqual(['size<=5']);
  });

  it('with no feasible trial, reports the least violating one as infeasible', async () => {
    const r = await search({ fitness, space, strategy: 'random', budget: 20, seed: 2, constraint: 'size<=-1' });
    expect(r.best!.violation).toBeGreaterThan(0);
    expect(r.infeasible).toBe(20);
  });
});

describe('several objectives', () => {
  it('returns the non-dominated set of feasible trials with params and metrics', async () => {
    const r = await search({ fitness, space, objectives: ['loss', 'size'], strategy: 'nsga2', budget: 120, seed: 4, constraint: 'accuracy>=0.8' });
    const trials = r.history.flatMap((t) =>
      t.outcome.state === 'complete'
        ? [{ n: t.number, f: [t.outcome.value, t.outcome.metrics.size as number], acc: t.outcome.metrics.accuracy as number }]
        : [],
    );
    const feasible = trials.filter((t) => t.acc >= 0.8);
    const expected = feasible.filter((t) => !feasible.some((o) => dominates(o.f, t.f))).map((t) => t.n);
    expect(r.front!.map((m) => m.trial)).toEqual(expected);
    expect(r.front!.length).toBeGreaterThan(3);
    for (const m of r.front!) {
      expect(Object.keys(m.values)).toEqual(['loss', 'size']);
      expect(m.metrics.accuracy as number).toBeGreaterThanOrEqual(0.8);
      expect(m.params).toHaveProperty('kind');
    }
  });

  it('defaults to SMS-EMOA, and refuses a single-objective strategy naming the multi-objective ones', async () => {
    const r = await search({ fitness, space, objectives: ['loss', 'size'], budget: 30, seed: 1 });
    expect(r.strategy).toBe('smsemoa');
    const e = await usageErrorOf(search({ fitness, space, objectives: ['loss', 'size'], strategy: 'cmaes', budget: 10 }));
    expect(e.message).toBe('strategy: expected a multi-objective strategy for 2 objectives (nsga2, smsemoa), got "cmaes"');
  });

  it('on the command line: exit 2 and the flag named, or the front printed', async () => {
    const fitnessFile = resolve(import.meta.dirname, 'fixtures/objectives-tradeoff.mjs');
    const spaceFile = resolve(import.meta.dirname, 'fixtures/journal-space.json');
    const out = join(mkdtempSync(join(tmpdir(), 'evotune-obj-')), 'run');
    const bad = await searchCli([
      '--fitness',
      fitnessFile,
      '--space',
      spaceFile,
      '--objectives',
      'loss,size',
      '--strategy',
      'ga',
      '--budget',
      '5',
      '--out',
      out,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('evotune: --strategy: expected a multi-objective strategy for 2 objectives (nsga2, smsemoa), got "ga"');
    const badConstraint = await searchCli(['--fitness', fitnessFile, '--space', spaceFile, '--constraint', 'size<=x', '--budget', '5', '--out', out]);
    expect(badConstraint.code).toBe(2);
    expect(badConstraint.stderr).toContain('--constraint');
    const ok = await searchCli([
      '--fitness',
      fitnessFile,
      '--space',
      spaceFile,
      '--objectives',
      'loss,size',
      '--constraint',
      'size<=5000',
      '--budget',
      '40',
      '--workers',
      '1',
      '--out',
      out,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/constraints size<=5000: \d+ of 40 trials broke them\n/);
    expect(ok.stdout).toMatch(/Pareto front \(minimize loss, minimize size\): \d+ trials\n {2}trial \d+: loss [\d.]+, size \d+ \| lr=/);
  });
});

/** The CLI in child processes, from dist/ (build first): worker counts and a kill must not change the front. */
const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'dist/bin/evotune.js');
const args = [
  'search',
  '--fitness',
  join(root, 'test/fixtures/objectives-tradeoff.mjs'),
  '--space',
  join(root, 'test/fixtures/journal-space.json'),
  '--objectives',
  'loss,size',
  '--constraint',
  'size<=10000',
  '--strategy',
  'nsga2',
  '--strategy-options',
  '{"populationSize":10}',
  '--budget',
  '60',
  '--seed',
  '7',
];
const tmp = () => join(mkdtempSync(join(tmpdir(), 'evotune-obj-')), 'run');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
const frontOf = (stdout: string) => (JSON.parse(stdout) as { front: { trial: number; values: unknown }[] }).front.map((m) => [m.trial, m.values]);

describe.skipIf(!existsSync(bin))('a multi-objective run (child processes)', () => {
  it('finds the same front with 1 and 2 workers, and after a SIGKILL and resume', async () => {
    const one = spawnSync(process.execPath, [bin, ...args, '--workers', '1', '--out', tmp(), '--json'], { encoding: 'utf8' });
    const two = spawnSync(process.execPath, [bin, ...args, '--workers', '2', '--out', tmp(), '--json'], { encoding: 'utf8' });
    expect(one.status, one.stderr).toBe(0);
    expect(two.status, two.stderr).toBe(0);
    expect(frontOf(one.stdout).length).toBeGreaterThan(2);
    expect(frontOf(two.stdout)).toEqual(frontOf(one.stdout));

    const out = tmp();
    const child = spawn(process.execPath, [bin, ...args, '--workers', '2', '--out', out, '--json'], { stdio: 'ignore' });
    children.push(child);
    const journal = join(out, 'journal.jsonl');
    const finished = () => (existsSync(journal) ? readFileSync(journal, 'utf8').split('"type":"finished"').length - 1 : 0);
    while (finished() < 25) {
      if (child.exitCode !== null) throw new Error('the run ended before it could be killed');
      await new Promise((r) => setTimeout(r, 2));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(finished()).toBeLessThan(60);
    const resumed = spawnSync(process.execPath, [bin, 'search', '--resume', out, '--json'], { encoding: 'utf8' });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(frontOf(resumed.stdout)).toEqual(frontOf(one.stdout));
    // Export marks the front and the trials that broke the constraint.
    const exported = spawnSync(process.execPath, [bin, 'export', out, '--json'], { encoding: 'utf8' });
    const rows = JSON.parse(exported.stdout) as { trial: number; pareto: boolean; feasible: boolean; 'metric.size': number }[];
    expect(rows.filter((r) => r.pareto).map((r) => r.trial)).toEqual(frontOf(one.stdout).map(([t]) => t));
    expect(rows.every((r) => r.feasible === r['metric.size'] <= 10000)).toBe(true);
    expect(rows.some((r) => !r.feasible)).toBe(true);
    // The config records the objectives: a resume cannot silently change them.
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({ objectives: ['loss', 'size'], constraint: 'size<=10000' });
  });
});
