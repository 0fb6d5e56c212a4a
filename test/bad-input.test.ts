import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { searchCli } from './helpers/cli.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'evotune-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

const XY = file('xy.json', { x: { type: 'float', low: -1, high: 1 }, y: { type: 'float', low: -1, high: 1 } });
const LR = file('lr.json', { lr: { type: 'float', low: 1e-5, high: 1, log: true } });
const FAST = ['--fitness', fixture('fast.mjs'), '--space', XY];

// [what is wrong, arguments, the one error line]
const CASES: ReadonlyArray<readonly [string, readonly string[], RegExp]> = [
  // modules
  [
    'a fitness module that does not exist',
    ['--fitness', join(dir, 'nope.mjs'), '--space', XY],
    /^evotune: fitness module: file not found: .*nope\.mjs$/,
  ],
  [
    'a fitness "module" that cannot be read as one (a folder)',
    ['--fitness', dir, '--space', XY],
    new RegExp(`^evotune: fitness module ${dir}: could not be imported: `),
  ],
  [
    'a fitness module with a broken import',
    ['--fitness', fixture('broken-import.mjs'), '--space', XY],
    /broken-import\.mjs: could not be imported: Cannot find package 'evotune-fixture-missing-package'/,
  ],
  ['a fitness module without a default export', ['--fitness', fixture('no-default.mjs'), '--space', XY], /no-default\.mjs: has no default export$/],
  [
    'a fitness module whose default export is not a function',
    ['--fitness', fixture('wrong-shape.mjs'), '--space', XY],
    /wrong-shape\.mjs: default export must be a function \(params, ctx\) => number, got object$/,
  ],
  ['a task module that does not exist', ['--task', join(dir, 'nope-task.mjs')], /^evotune: task module: file not found: .*nope-task\.mjs$/],
  [
    'a task module without a default export',
    ['--task', fixture('no-default.mjs')],
    /^evotune: task module .*no-default\.mjs: default export: expected a task object, got nothing$/,
  ],
  ['a task module of the wrong shape', ['--task', fixture('wrong-shape.mjs')], /^evotune: task module .*wrong-shape\.mjs: default export: /],
  ['an unknown task', ['--task', 'nosuch'], /^evotune: unknown task "nosuch"; expected one of: .*digits/],
  ['a mistyped task', ['--task', 'digts'], /^evotune: unknown task "digts"; did you mean digits\?; expected one of: /],
  ['a mistyped task (a prefix)', ['--task', 'spir'], /^evotune: unknown task "spir"; did you mean spirals\?; expected one of: /],
  // space files
  [
    'a space file that does not exist',
    ['--fitness', fixture('fast.mjs'), '--space', join(dir, 'none.json')],
    /^evotune: space: cannot read space file .*none\.json: ENOENT$/,
  ],
  [
    'a space file that is not JSON',
    ['--fitness', fixture('fast.mjs'), '--space', file('bad.json', '{"x": {"type": "float", "low": 0,')],
    /^evotune: space: space file .*bad\.json is not valid JSON: /,
  ],
  [
    'low >= high',
    ['--fitness', fixture('fast.mjs'), '--space', file('lohi.json', { x: { type: 'float', low: 2, high: 1 } })],
    /^evotune: space: parameter "x": "low" must be less than "high", got low 2 and high 1$/,
  ],
  [
    'a log scale with low <= 0',
    ['--fitness', fixture('fast.mjs'), '--space', file('log0.json', { lr: { type: 'float', low: 0, high: 1, log: true } })],
    /^evotune: space: parameter "lr": a log-scale parameter needs "low" > 0, got 0$/,
  ],
  [
    'empty choices',
    ['--fitness', fixture('fast.mjs'), '--space', file('empty.json', { act: { type: 'categorical', choices: [] } })],
    /^evotune: space: parameter "act": "choices" must not be empty$/,
  ],
  [
    'duplicate choices',
    ['--fitness', fixture('fast.mjs'), '--space', file('dup.json', { act: { type: 'categorical', choices: ['a', 'a'] } })],
    /^evotune: space: parameter "act": duplicate choice "a"$/,
  ],
  [
    'an unknown parameter type',
    ['--fitness', fixture('fast.mjs'), '--space', file('type.json', { x: { type: 'real', low: 0, high: 1 } })],
    /^evotune: space: parameter "x": unknown type "real"/,
  ],
  [
    'an unknown parameter key',
    ['--fitness', fixture('fast.mjs'), '--space', file('key.json', { x: { type: 'float', low: 0, high: 1, step: 0.1 } })],
    /^evotune: space: parameter "x": unknown key "step" for type "float"/,
  ],
  // numbers
  ['a zero budget', [...FAST, '--budget', '0'], /^evotune: --budget: expected a whole number >= 1, got 0$/],
  ['a negative budget', [...FAST, '--budget=-5'], /^evotune: --budget: expected a whole number >= 1, got -5$/],
  ['a fractional budget', [...FAST, '--budget', '2.5'], /^evotune: --budget: expected a whole number >= 1, got 2\.5$/],
  ['a budget that is not a number', [...FAST, '--budget', 'lots'], /^evotune: --budget: expected a number, got "lots"$/],
  ['zero workers', [...FAST, '--workers', '0'], /^evotune: --workers: expected a whole number >= 1, got 0$/],
  ['fractional workers', [...FAST, '--workers', '1.5'], /^evotune: --workers: expected a whole number >= 1, got 1\.5$/],
  ['a negative seed', [...FAST, '--seed=-1'], /^evotune: --seed: expected a whole number >= 0, got -1$/],
  ['a seed that is not a number', [...FAST, '--seed', 'abc'], /^evotune: --seed: expected a number, got "abc"$/],
  ['a zero trial timeout', [...FAST, '--trial-timeout', '0'], /^evotune: --trial-timeout: expected a number > 0, got 0$/],
  ['a negative trial timeout', [...FAST, '--trial-timeout=-1'], /^evotune: --trial-timeout: expected a number > 0, got -1$/],
  ['a trial timeout that is not a number', [...FAST, '--trial-timeout', 'soon'], /^evotune: --trial-timeout: expected a number, got "soon"$/],
  ['a time budget that is not a number, given with =', [...FAST, '--time-budget=1h'], /^evotune: --time-budget: expected a number, got "1h"$/],
  ['a zero time budget', [...FAST, '--time-budget', '0'], /^evotune: --time-budget: expected a number > 0, got 0$/],
  ['a heap limit below 16 MB', [...FAST, '--max-heap-mb', '4'], /^evotune: --max-heap-mb: expected a whole number >= 16, got 4$/],
  [
    'a negative failure limit',
    [...FAST, '--max-consecutive-failures=-1'],
    /^evotune: --max-consecutive-failures: expected a whole number >= 0, got -1$/,
  ],
  // names
  ['an unknown strategy', [...FAST, '--strategy', 'annealing'], /^evotune: unknown strategy "annealing"; expected one of: random, /],
  ['a mistyped strategy', [...FAST, '--strategy', 'cmes'], /^evotune: unknown strategy "cmes"; did you mean cmaes\?; expected one of: random, /],
  ['an unknown backend', [...FAST, '--backend', 'gpu'], /^evotune: Invalid values: Argument: backend, Given: "gpu", Choices: "auto"/],
  ['an unknown option', [...FAST, '--populationsize', '4'], /^evotune: Unknown argument: populationsize$/],
  ['a mistyped option', [...FAST, '--bugdet', '4'], /^evotune: Unknown argument: bugdet; did you mean --budget\?$/],
  ['strategy options that are not JSON', [...FAST, '--strategy-options', '{batch: 4}'], /^evotune: --strategy-options: expected a JSON object/],
  [
    'an unknown strategy option',
    [...FAST, '--strategy', 'random', '--strategy-options', '{"popSize": 4}'],
    /^evotune: strategy "random" option "popSize": expected one of the known options \(batch\)/,
  ],
  // LR bounds
  ['LR bounds with one number', [...FAST, '--lr-bounds', '1e-3'], /^evotune: --lr-bounds: expected "auto" or LO,HI such as 1e-4,1e-1, got "1e-3"$/],
  [
    'LR bounds that are not numbers',
    [...FAST, '--lr-bounds', 'low,high'],
    /^evotune: --lr-bounds: expected "auto" or LO,HI such as 1e-4,1e-1, got "low,high"$/,
  ],
  [
    'LR bounds with LO >= HI',
    ['--fitness', fixture('fast.mjs'), '--space', LR, '--lr-bounds', '1e-1,1e-4'],
    /^evotune: --lr-bounds: expected LO < HI, got \[0\.1,0\.0001\]$/,
  ],
  [
    'LR bounds of zero',
    ['--fitness', fixture('fast.mjs'), '--space', LR, '--lr-bounds', '0,1'],
    /^evotune: --lr-bounds\[0\]: expected a number > 0, got 0$/,
  ],
  [
    'LR bounds on a space without an LR parameter',
    [...FAST, '--lr-bounds', '1e-4,1e-1'],
    /^evotune: --lr-bounds: the space has no learning-rate parameter/,
  ],
];

describe('bad input: exit 2 and one line naming the problem', () => {
  it.each(CASES)('%s', async (_what, args, line) => {
    const r = await searchCli(args);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('evotune: '));
    expect(errors).toEqual([expect.stringMatching(line)]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });
});
