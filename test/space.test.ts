import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpace } from '../src/space/spec.js';
import { loadSpaceFile, withLogRange } from '../src/space/load.js';

function rejection(f: () => unknown): { code: string; kind: string; message: string } {
  try {
    f();
  } catch (e) {
    return e as { code: string; kind: string; message: string };
  }
  throw new Error('accepted');
}

const lr = { type: 'float', low: 1e-4, high: 1, log: true };

// One row per message of src/space/spec.ts: [what is wrong, space, the whole message].
const CASES: ReadonlyArray<readonly [string, unknown, string]> = [
  [
    'a space that is not an object',
    [lr],
    'space: expected an object of parameters such as {"lr": {"type": "float", "low": 1e-5, "high": 1, "log": true}}, got [{"type":"float","low":0.0001,"high":1,"log":true}]',
  ],
  ['an empty space', {}, 'space: expected at least one parameter, got an empty object'],
  ['a parameter that is not an object', { lr: 0.1 }, 'space: parameter "lr": expected an object with a "type", got 0.1'],
  [
    'an unknown type',
    { lr: { type: 'double', low: 0, high: 1 } },
    'space: parameter "lr": unknown type "double"; expected "float", "int" or "categorical"',
  ],
  ['a missing type', { lr: { low: 0, high: 1 } }, 'space: parameter "lr": unknown type nothing; expected "float", "int" or "categorical"'],
  [
    'an unknown key',
    { lr: { type: 'float', low: 0, high: 1, scale: 'log' } },
    'space: parameter "lr": unknown key "scale" for type "float"; expected only type, low, high, log',
  ],
  [
    'a key of another type',
    { act: { type: 'categorical', choices: ['relu'], low: 0 } },
    'space: parameter "act": unknown key "low" for type "categorical"; expected only type, choices',
  ],
  [
    'choices that are not an array',
    { act: { type: 'categorical', choices: 'relu' } },
    'space: parameter "act": "choices" must be an array, got "relu"',
  ],
  ['empty choices', { act: { type: 'categorical', choices: [] } }, 'space: parameter "act": "choices" must not be empty'],
  [
    'a choice that is an object',
    { act: { type: 'categorical', choices: ['relu', { f: 1 }] } },
    'space: parameter "act": each choice must be a string, a finite number or a boolean, got {"f":1}',
  ],
  ['duplicate choices', { act: { type: 'categorical', choices: ['relu', 'tanh', 'relu'] } }, 'space: parameter "act": duplicate choice "relu"'],
  ['a missing low', { lr: { type: 'float', high: 1 } }, 'space: parameter "lr": "low" must be a finite number, got nothing'],
  ['a high given as a string', { lr: { type: 'float', low: 0, high: '1' } }, 'space: parameter "lr": "high" must be a finite number, got "1"'],
  [
    'log that is not a boolean',
    { lr: { type: 'float', low: 0.1, high: 1, log: 'yes' } },
    'space: parameter "lr": "log" must be true or false, got "yes"',
  ],
  [
    'fractional int bounds',
    { units: { type: 'int', low: 1.5, high: 8 } },
    'space: parameter "units": int bounds must be whole numbers, got low 1.5 and high 8',
  ],
  ['low equal to high', { lr: { type: 'float', low: 1, high: 1 } }, 'space: parameter "lr": "low" must be less than "high", got low 1 and high 1'],
  ['low above high', { units: { type: 'int', low: 64, high: 8 } }, 'space: parameter "units": "low" must be less than "high", got low 64 and high 8'],
  [
    'a log scale from zero',
    { lr: { type: 'float', low: 0, high: 1, log: true } },
    'space: parameter "lr": a log-scale parameter needs "low" > 0, got 0',
  ],
  [
    'a parameter named __proto__',
    JSON.parse('{"__proto__": {"type": "float", "low": 0, "high": 1}}'),
    'space: parameter "__proto__": this name is reserved; rename the parameter',
  ],
  [
    'a log scale from a negative low',
    { units: { type: 'int', low: -4, high: 8, log: true } },
    'space: parameter "units": a log-scale parameter needs "low" > 0, got -4',
  ],
];

describe('space validation: every message', () => {
  it.each(CASES)('%s', (_what, space, message) => {
    expect(rejection(() => parseSpace(space))).toMatchObject({ code: 'E_SPACE', kind: 'usage', message });
  });

  it('accepts a valid space and fills in log: false', () => {
    expect(parseSpace({ lr, units: { type: 'int', low: 8, high: 128 }, act: { type: 'categorical', choices: ['relu', 1, true] } })).toEqual({
      lr,
      units: { type: 'int', low: 8, high: 128, log: false },
      act: { type: 'categorical', choices: ['relu', 1, true] },
    });
  });

  it('treats a string and a number with the same text as different choices', () => {
    expect(parseSpace({ c: { type: 'categorical', choices: ['1', 1] } })).toEqual({ c: { type: 'categorical', choices: ['1', 1] } });
  });
});

describe('space files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'evotune-space-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('names a missing file and why it cannot be read', () => {
    const path = join(dir, 'missing.json');
    expect(rejection(() => loadSpaceFile(path))).toMatchObject({ code: 'E_SPACE', message: `space: cannot read space file ${path}: ENOENT` });
  });

  it('names a file that is not JSON', () => {
    const path = file('bad.json', '{"lr": {"type": "float",}');
    expect(rejection(() => loadSpaceFile(path))).toMatchObject({
      code: 'E_SPACE',
      message: expect.stringMatching(new RegExp(`^space: space file ${path} is not valid JSON: `)),
    });
  });

  it('validates the parameters of a file that is JSON', () => {
    const path = file('dup.json', JSON.stringify({ act: { type: 'categorical', choices: [1, 1] } }));
    expect(rejection(() => loadSpaceFile(path))).toMatchObject({ code: 'E_SPACE', message: 'space: parameter "act": duplicate choice 1' });
  });

  it('refuses LR bounds on a parameter that is not a float', () => {
    expect(rejection(() => withLogRange({ lr: { type: 'int', low: 1, high: 4, log: false } }, 'lr', 1e-3, 1e-1))).toMatchObject({
      code: 'E_LR_BOUNDS',
      message: '--lr-bounds: the space has no float parameter "lr"',
    });
  });
});
