import { describe, expect, it } from 'vitest';
import { parseSearchOptions, searchOptionsSchema } from '../src/options.js';

/** The usage error parseSearchOptions raises for `raw`, or a failure if it accepts it. */
function rejection(raw: unknown): { code: string; kind: string; message: string } {
  try {
    parseSearchOptions(raw);
  } catch (e) {
    return e as { code: string; kind: string; message: string };
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
}

// One row per message each field of src/options.ts can give: [what is wrong, options, the whole message].
const CASES: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
  ['fitness that is not a string', { fitness: 3 }, 'fitness: expected a path to a fitness module, got 3'],
  ['empty task', { task: '' }, 'task: expected a task name or a path to a task module, got ""'],
  ['space that is neither a path nor an object', { space: 5 }, 'space: expected a path to a space JSON file or a space object, got 5'],
  ['empty space path', { space: '' }, 'space: expected a path to a space JSON file or a space object, got ""'],
  ['empty strategy', { strategy: '' }, 'strategy: expected a strategy name, got ""'],
  ['strategy options that are not an object', { strategyOptions: [1] }, 'strategyOptions: expected an object of strategy options, got [1]'],
  ['zero budget', { budget: 0 }, 'budget: expected a whole number >= 1, got 0'],
  ['negative budget', { budget: -3 }, 'budget: expected a whole number >= 1, got -3'],
  ['fractional budget', { budget: 2.5 }, 'budget: expected a whole number >= 1, got 2.5'],
  ['budget that is not a number', { budget: 'ten' }, 'budget: expected a whole number >= 1, got "ten"'],
  ['budget that is NaN (a flag that did not parse)', { budget: NaN }, 'budget: expected a whole number >= 1, got NaN'],
  ['zero time budget', { timeBudget: 0 }, 'timeBudget: expected a number > 0, got 0'],
  ['infinite time budget', { timeBudget: Infinity }, 'timeBudget: expected a number > 0, got Infinity'],
  ['zero workers', { workers: 0 }, 'workers: expected a whole number >= 1, got 0'],
  ['fractional workers', { workers: 1.5 }, 'workers: expected a whole number >= 1, got 1.5'],
  ['executor that is not a string', { executor: 5 }, 'executor: expected "threads" or a redis:// or rediss:// URL such as redis://host:6379, got 5'],
  ['zero worker wait', { workerWait: 0 }, 'workerWait: expected a number > 0, got 0'],
  ['negative seed', { seed: -1 }, 'seed: expected a whole number >= 0, got -1'],
  ['fractional seed', { seed: 1.5 }, 'seed: expected a whole number >= 0, got 1.5'],
  ['seed of 2^32', { seed: 2 ** 32 }, 'seed: expected a whole number < 2^32, got 4294967296'],
  ['seed given as a string', { seed: '1' }, 'seed: expected a whole number >= 0, got "1"'],
  ['unknown backend', { backend: 'gpu' }, 'backend: expected one of auto, tensorflow, wasm, cpu, got "gpu"'],
  ['zero trial timeout', { trialTimeout: 0 }, 'trialTimeout: expected a number > 0, got 0'],
  ['negative trial timeout', { trialTimeout: -2 }, 'trialTimeout: expected a number > 0, got -2'],
  ['heap limit below 16 MB', { maxHeapMb: 8 }, 'maxHeapMb: expected a whole number >= 16, got 8'],
  ['lr bounds that are neither "auto" nor a pair', { lrBounds: 'x' }, 'lrBounds: expected "auto" or two numbers LO,HI with 0 < LO < HI, got "x"'],
  ['lr bounds with one number', { lrBounds: [1] }, 'lrBounds: expected "auto" or two numbers LO,HI with 0 < LO < HI, got [1]'],
  ['lr bound of zero', { lrBounds: [0, 1] }, 'lrBounds[0]: expected a number > 0, got 0'],
  ['lr bounds with LO >= HI', { lrBounds: [0.1, 0.01] }, 'lrBounds: expected LO < HI, got [0.1,0.01]'],
  ['target that is not a number', { target: 'x' }, 'target: expected a finite number, got "x"'],
  ['infinite target', { target: -Infinity }, 'target: expected a finite number, got -Infinity'],
  ['negative failure limit', { maxConsecutiveFailures: -1 }, 'maxConsecutiveFailures: expected a whole number >= 0, got -1'],
  ['empty out folder', { out: '' }, 'out: expected a folder path, got ""'],
];

describe('search options: every validation message', () => {
  it.each(CASES)('%s', (_what, raw, message) => {
    expect(rejection(raw)).toMatchObject({ code: 'E_OPTION', kind: 'usage', message });
  });

  it('names every unknown option and lists the known ones', () => {
    const e = rejection({ budget: 5, bogus: 1, other: 2 });
    expect(e.message).toMatch(/^unknown option "bogus", "other"; known options: fitness, task, space, /);
    for (const key of Object.keys(searchOptionsSchema.def.shape)) expect(e.message).toContain(key);
  });

  it('rejects options that are not an object', () => {
    expect(rejection([1])).toMatchObject({ code: 'E_OPTION', message: '(options): expected an object of options, got [1]' });
  });

  it('fills in defaults for options not given', () => {
    expect(parseSearchOptions({})).toMatchObject({ budget: 100, seed: 0, backend: 'auto', maxConsecutiveFailures: 20 });
    expect(parseSearchOptions({ maxConsecutiveFailures: 0, lrBounds: [1e-4, 1e-1] })).toMatchObject({
      maxConsecutiveFailures: 0,
      lrBounds: [1e-4, 1e-1],
    });
  });

  it('names flags, not fields, when asked to', () => {
    expect(() => parseSearchOptions({ trialTimeout: 0 }, (k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)).toThrow(
      '--trial-timeout: expected a number > 0, got 0',
    );
  });
});
