import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STRATEGY, STRATEGIES } from '../strategies/index.js';

/** The CLI as a user runs it, from dist/ (build first; `npm test` does). stdout and stderr are not a terminal. */
const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'dist/bin/evotune.js');
const fixture = join(root, 'test/fixtures/journal-sleepy.mjs');
const spaceFile = join(root, 'test/fixtures/journal-space.json');
const quick = ['--fitness', fixture, '--space', spaceFile, '--workers', '1', '--seed', '3'];

const evotune = (args: string[], cwd = root) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, SLEEPY_MS: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const tmp = () => mkdtempSync(join(tmpdir(), 'evotune-cli-'));

/** One clear line (and a hint), no stack trace. */
const expectOneLineError = (stderr: string, line: string | RegExp) => {
  const lines = stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(typeof line === 'string' ? new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : line);
  expect(lines.length).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1]).toMatch(/^hint: /);
};

describe.skipIf(!existsSync(bin))('evotune CLI', () => {
  it('search: plain progress lines on stderr when not a terminal, the result and the run folder on stdout', () => {
    const out = join(tmp(), 'run');
    const r = evotune(['search', ...quick, '--strategy', 'ga', '--budget', '20', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`run folder ${out}\n`);
    expect(r.stderr).toMatch(/^trial 20\/20 {2}best \S+ \(trial \d+\) {2}failed 0 {2}\S+ trials\/s {2}ETA 0s$/m);
    expect(r.stdout).toMatch(/^best value \S+ at trial \d+( \(.+\))?$/m);
    expect(r.stdout).toContain(`run folder ${out} (pictures: evotune report ${out})`);
  });

  it('search --json: one JSON object on stdout, nothing on stderr', () => {
    const r = evotune(['search', ...quick, '--budget', '8', '--out', join(tmp(), 'run'), '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ trials: 8, seed: 3 });
  });

  it('without --out, writes to runs/<strategy>-<fitness>-<seed>-<time> and says so', () => {
    const cwd = tmp();
    const r = evotune(['search', ...quick, '--strategy', 'ga', '--budget', '6'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const [dir] = readdirSync(join(cwd, 'runs'));
    expect(dir).toMatch(/^ga-journal-sleepy-3-\d{8}-\d{6}$/);
    expect(r.stdout).toContain(`run folder ${join('runs', dir!)} `);
    expect(existsSync(join(cwd, 'runs', dir!, 'journal.jsonl'))).toBe(true);
    // Said from the first moment: the folder and what the workers do before the first trial.
    expect(r.stderr.split('\n').slice(0, 2)).toEqual([`run folder ${join('runs', dir!)}`, 'starting 1 worker: loading the fitness module...']);
    // With --json too, on stderr (one line), since the user did not choose the folder.
    const json = evotune(
      ['search', '--fitness', fixture, '--space', spaceFile, '--workers', '1', '--seed', '4', '--strategy', 'ga', '--budget', '6', '--json'],
      cwd,
    );
    expect(json.code, json.stderr).toBe(0);
    const { out } = JSON.parse(json.stdout) as { out: string };
    expect(out).toMatch(/^runs[\\/]ga-journal-sleepy-4-/);
    expect(json.stderr).toBe(`run folder ${out}\n`);
  });

  it('--config: every option from a file (paths relative to it), flags override it', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'study'));
    writeFileSync(join(dir, 'study', 'fitness.mjs'), `export { default } from ${JSON.stringify(fixture)};\n`);
    writeFileSync(
      join(dir, 'study', 'space.json'),
      JSON.stringify({
        lr: { type: 'float', low: 1e-5, high: 1, log: true },
        units: { type: 'int', low: 8, high: 128 },
        optimizer: { type: 'categorical', choices: ['adam', 'sgd', 'rmsprop'] },
      }),
    );
    writeFileSync(
      join(dir, 'study', 'study.json'),
      JSON.stringify({
        fitness: './fitness.mjs',
        space: './space.json',
        strategy: 'ga',
        strategyOptions: { populationSize: 6 },
        budget: 30,
        seed: 9,
        workers: 1,
      }),
    );
    const r = evotune(['search', '--config', 'study/study.json', '--budget', '12', '--out', 'run', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ trials: 12, budget: 12, seed: 9, strategy: 'ga', strategyOptions: { populationSize: 6 } });
  });

  it('--config errors name the file and the field', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ task: 'digits', budget: 'many' }));
    const r = evotune(['search', '--config', 'bad.json'], dir);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, 'evotune: config bad.json: budget: expected a whole number >= 1, got "many"');
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ task: 'digits', budgte: 10 }));
    expect(evotune(['search', '--config', 'typo.json'], dir).stderr).toMatch(
      /^evotune: config typo.json: unknown option "budgte"; did you mean "budget"\?; known options: .*budget/,
    );
  });

  it('exit code 2 and one line for bad usage or input', () => {
    const r = evotune(['search', ...quick, '--budget', '-1']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, 'evotune: --budget: expected a whole number >= 1, got -1');
    expect(evotune(['search', '--resume', join(tmp(), 'nothing')]).code).toBe(2);
    expect(evotune(['serch']).code).toBe(2);
    // A mistake found after the flags were read leaves no empty run folder behind.
    const cwd = tmp();
    const typo = evotune(['search', '--task', 'digts', '--budget', '4'], cwd);
    expect(typo.code).toBe(2);
    expectOneLineError(typo.stderr, /^evotune: unknown task "digts"; did you mean digits\?; expected one of: digits, /);
    expect(existsSync(join(cwd, 'runs'))).toBe(false);
  });

  it('exit code 1 and one line for a failure while running, a stack trace only with --verbose', () => {
    const args = [
      'search',
      '--fitness',
      join(root, 'test/fixtures/throwing.mjs'),
      '--space',
      spaceFile,
      '--workers',
      '1',
      '--budget',
      '40',
      '--max-consecutive-failures',
      '1',
      '--out',
    ];
    const r = evotune([...args, join(tmp(), 'run')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^evotune: stopped early: .*deliberate failure/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(evotune([...args, join(tmp(), 'run'), '--verbose']).stderr).toMatch(/\n\s+at /);
  });

  it('--resume: refuses a changed seed naming the flag, accepts a raised budget', () => {
    const out = join(tmp(), 'run');
    expect(evotune(['search', ...quick, '--strategy', 'ga', '--budget', '10', '--out', out]).code).toBe(0);
    const bad = evotune(['search', '--resume', out, '--seed', '4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`evotune: resume ${out}: "--seed" is 4 but the run used 3`);
    expect(bad.stderr).toMatch(/^hint: only --budget, .* may change when resuming/m);
    const more = evotune(['search', '--resume', out, '--budget', '16', '--json']);
    expect(more.code, more.stderr).toBe(0);
    expect(JSON.parse(more.stdout)).toMatchObject({ trials: 16, budget: 16, out });
  });

  it('--resume of a complete run: says so and prints its result, runs nothing and leaves the journal as it was', () => {
    const out = join(tmp(), 'run');
    const first = evotune(['search', ...quick, '--strategy', 'ga', '--budget', '10', '--out', out]);
    expect(first.code).toBe(0);
    const journal = readFileSync(join(out, 'journal.jsonl'), 'utf8');
    const again = evotune(['search', '--resume', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe(
      `evotune: run ${out} is already complete (10 trials, stopped by budget): nothing to run; raise --budget to continue it\n`,
    );
    expect(again.stdout).toContain('strategy ga, seed 3: already complete\n10 trials (0 failed) of budget 10\n');
    expect(again.stdout).not.toMatch(/pool utilisation|in 0\.0 s/);
    // The same best as the run printed.
    const bestOf = (text: string) => text.slice(text.indexOf('best value'), text.indexOf('run folder'));
    expect(bestOf(again.stdout)).toBe(bestOf(first.stdout));
    expect(readFileSync(join(out, 'journal.jsonl'), 'utf8')).toBe(journal);
    const json = evotune(['search', '--resume', out, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      alreadyComplete: true,
      trials: 10,
      budget: 10,
      stoppedBy: 'budget',
      strategy: 'ga',
      seed: 3,
      out,
    });
  });

  it('export: the trials table as CSV or JSON', () => {
    const out = join(tmp(), 'run');
    evotune(['search', ...quick, '--budget', '7', '--out', out]);
    const csv = evotune(['export', out, '--csv']);
    expect(csv.code).toBe(0);
    const rows = csv.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe('trial,generation,seed,state,value,failure,message,durationMs,worker,finishedAt,lr,units,optimizer,metric.accuracy');
    expect(rows).toHaveLength(8);
    expect(rows[1]).toMatch(/^0,0,\d+,complete,[\d.e-]+,,,[\d.]+,\S+,\S+,[\d.e-]+,\d+,(adam|sgd|rmsprop),[\d.e-]+$/);
    const json = JSON.parse(evotune(['export', out, '--json']).stdout);
    expect(json).toHaveLength(7);
    expect(json[0]).toMatchObject({ trial: 0, state: 'complete', optimizer: expect.any(String), 'metric.accuracy': expect.any(Number) });
  });

  it('tasks and strategies list what ships, with options and defaults', () => {
    const tasks = evotune(['tasks']);
    expect(tasks.code).toBe(0);
    expect(tasks.stdout).toMatch(/^digits \(classification\): /m);
    expect(tasks.stdout).toMatch(/^ {2}lr +float \S+ \.\. \S+ \(log\)$/m);
    expect(tasks.stdout).toMatch(/^ {2}defaults: lr=/m);
    const strategies = evotune(['strategies']);
    expect(strategies.code).toBe(0);
    expect(strategies.stdout).toMatch(new RegExp(`^${DEFAULT_STRATEGY} \\(default\\): `, 'm'));
    expect(strategies.stdout).toMatch(/^ga: /m);
    const pop = STRATEGIES.ga!.options.populationSize as { default: number | null };
    expect(strategies.stdout).toMatch(
      new RegExp(
        `^ {2}populationSize +default ${pop.default} +individuals per generation \\(null: .*\\) \\(a whole number >= 2, or null for automatic\\)$`,
        'm',
      ),
    );
    const list = JSON.parse(evotune(['strategies', '--json']).stdout) as Array<{ name: string }>;
    expect(list.map((s) => s.name)).toEqual(expect.arrayContaining(['random', 'ga', 'pso']));
  });
});
