import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isEvotuneError } from '../src/errors.js';
import { parseSpace } from '../src/space/spec.js';
import { loadSpaceFile } from '../src/space/load.js';
import { parseSearchOptions, searchOptionsSchema } from '../src/options.js';
import { strategyNames } from '../strategies/index.js';
import { searchCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'evotune-property-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A clear error: one of ours, a usage error, of the expected code, on one line. */
function expectClearError(e: unknown, code: string): string {
  if (!isEvotuneError(e)) throw new Error(`expected a usage error, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  expect(e).toMatchObject({ code, kind: 'usage' });
  expect(e.message).not.toContain('\n');
  return e.message;
}

const junk = fc.oneof(
  fc.constantFrom(undefined, null, NaN, Infinity, -Infinity, 0, -1, '', 'float', true),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 6 }),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
);
const bound = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -10, max: 10 }), junk);
/** Parameters near the valid ones, with any field missing, wrong or extra. */
const param = fc.record(
  {
    type: fc.oneof(fc.constantFrom('float', 'int', 'categorical'), junk),
    low: bound,
    high: bound,
    log: fc.oneof(fc.boolean(), junk),
    choices: fc.oneof(fc.array(fc.oneof(fc.constantFrom('a', 'b', 1, 2, true), junk), { maxLength: 4 }), junk),
    step: junk,
  },
  { requiredKeys: [] },
);
/** Valid parameters, so that whole spaces are often valid too and the accepted path gets exercised. */
const goodParam = fc.oneof(
  fc.record({ type: fc.constantFrom('float', 'int'), low: fc.integer({ min: 1, max: 5 }), high: fc.integer({ min: 6, max: 9 }), log: fc.boolean() }),
  fc.record({
    type: fc.constant('categorical'),
    choices: fc.uniqueArray(fc.oneof(fc.string(), fc.integer()), { minLength: 1, maxLength: 3, selector: (c) => `${typeof c}:${c}` }),
  }),
);
const name = fc.oneof(fc.string({ minLength: 1, maxLength: 5 }), fc.constantFrom('__proto__', 'constructor', 'toString'));
const space = fc.oneof(fc.dictionary(name, fc.oneof(param, goodParam, goodParam), { maxKeys: 3 }), junk);

describe('random malformed spaces', () => {
  it('are either valid or rejected with a clear error naming the parameter', () => {
    fc.assert(
      fc.property(space, (input) => {
        let spec: ReturnType<typeof parseSpace>;
        try {
          spec = parseSpace(input);
        } catch (e) {
          const message = expectClearError(e, 'E_SPACE');
          const named = /^space: parameter "(.*?)": /.exec(message);
          if (named) expect(Object.keys(input as object)).toContain(named[1]);
          else expect(message).toMatch(/^space: expected /);
          return;
        }
        // Accepted: then it holds every parameter given, each one a strategy can search.
        expect(Object.keys(spec)).toEqual(Object.keys(input as object));
        for (const p of Object.values(spec)) {
          if (p.type === 'categorical') {
            expect(p.choices.length).toBeGreaterThan(0);
            expect(new Set(p.choices.map((c) => `${typeof c}:${String(c)}`)).size).toBe(p.choices.length);
          } else {
            expect(Number.isFinite(p.low) && Number.isFinite(p.high) && p.low < p.high).toBe(true);
            if (p.log) expect(p.low).toBeGreaterThan(0);
            if (p.type === 'int') expect(Number.isInteger(p.low) && Number.isInteger(p.high)).toBe(true);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('in files of any text, are rejected with a clear error naming the file', () => {
    const path = join(dir, 'space.json');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          space.map((s) => JSON.stringify(s) ?? ''),
        ),
        (text) => {
          writeFileSync(path, text);
          try {
            loadSpaceFile(path);
          } catch (e) {
            const message = expectClearError(e, 'E_SPACE');
            if (message.includes('not valid JSON')) expect(message).toContain(path);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

const KEYS = Object.keys(searchOptionsSchema.def.shape);

describe('random malformed options', () => {
  it('are either valid or rejected with a clear error naming the field', () => {
    const options = fc.dictionary(
      fc.oneof(fc.constantFrom(...KEYS), fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom('__proto__', 'constructor')),
      fc.oneof(junk, fc.integer({ min: 0, max: 100 })),
      { maxKeys: 4 },
    );
    fc.assert(
      fc.property(fc.oneof(options, junk), (input) => {
        try {
          parseSearchOptions(input);
        } catch (e) {
          const message = expectClearError(e, 'E_OPTION');
          const field = /^(\w+)[:[]/.exec(message)?.[1];
          if (message.startsWith('unknown option ')) expect(Object.keys(input as object).some((k) => !KEYS.includes(k))).toBe(true);
          else if (message.startsWith('(options): ')) expect(input === null || typeof input !== 'object' || Array.isArray(input)).toBe(true);
          else expect(Object.keys(input as object)).toContain(field);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('random malformed command lines', () => {
  const fitness = fileURLToPath(new URL('./fixtures/fast.mjs', import.meta.url));
  const xy = join(dir, 'xy.json');
  writeFileSync(xy, JSON.stringify({ x: { type: 'float', low: -1, high: 1 } }));

  const letters = fc.stringMatching(/^[a-z]{1,8}$/);
  const notWhole = fc
    .double({ min: 0.001, max: 1e6, noNaN: true })
    .filter((v) => !Number.isInteger(v))
    .map(String);
  const nonPositive = fc.oneof(
    fc.integer({ min: -1e9, max: 0 }).map(String),
    fc.double({ max: 0, noNaN: true, noDefaultInfinity: true }).map(String),
  );
  /** For each flag, values that are always wrong, and how its error line starts. */
  const FLAGS: Record<string, { values: fc.Arbitrary<string>; line: RegExp }> = {
    budget: { values: fc.oneof(nonPositive, notWhole, letters), line: /^evotune: --budget: expected / },
    workers: { values: fc.oneof(nonPositive, notWhole, letters), line: /^evotune: --workers: expected / },
    seed: {
      values: fc.oneof(fc.integer({ max: -1 }).map(String), notWhole, letters, fc.integer({ min: 2 ** 32, max: 2 ** 40 }).map(String)),
      line: /^evotune: --seed: expected /,
    },
    'trial-timeout': { values: fc.oneof(nonPositive, letters), line: /^evotune: --trial-timeout: expected / },
    'time-budget': { values: fc.oneof(nonPositive, letters), line: /^evotune: --time-budget: expected / },
    'max-heap-mb': { values: fc.oneof(fc.integer({ max: 15 }).map(String), notWhole, letters), line: /^evotune: --max-heap-mb: expected / },
    'max-consecutive-failures': {
      values: fc.oneof(fc.integer({ max: -1 }).map(String), notWhole, letters),
      line: /^evotune: --max-consecutive-failures: expected /,
    },
    strategy: { values: letters.filter((s) => !strategyNames().some((n) => n === s)), line: /^evotune: unknown strategy "/ },
    backend: {
      values: letters.filter((s) => !['auto', 'tensorflow', 'wasm', 'cpu'].includes(s)),
      line: /^evotune: Invalid values: Argument: backend, /,
    },
    // Any text at all: the test space has no LR parameter, so even good bounds are refused.
    'lr-bounds': {
      values: fc.string({ unit: fc.constantFrom(...'0123456789.,e-+ autoAUTO'.split('')), maxLength: 12 }),
      line: /^evotune: --lr-bounds(\[\d\])?: /,
    },
  };
  const corrupted = fc
    .uniqueArray(fc.constantFrom(...Object.keys(FLAGS)), { minLength: 1, maxLength: 3 })
    .chain((flags) => fc.tuple(...flags.map((f) => FLAGS[f]!.values.map((v) => [f, v] as const))));

  it('exit 2 with one line naming a wrong flag, never a crash or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(corrupted, async (bad) => {
        const args = ['--fitness', fitness, '--space', xy, '--out', join(dir, 'run'), ...bad.map(([f, v]) => `--${f}=${v}`)];
        if (!bad.some(([f]) => f === 'budget')) args.push('--budget=2');
        let timer: NodeJS.Timeout | undefined;
        const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in 20 s: ${args.join(' ')}`)), 20_000)));
        const r = await Promise.race([searchCli(args), hang]).finally(() => clearTimeout(timer));
        const errors = r.stderr.split('\n').filter((l) => l.startsWith('evotune: '));
        expect(r.code).toBe(2);
        expect(errors).toHaveLength(1);
        expect(bad.some(([f]) => FLAGS[f]!.line.test(errors[0]!))).toBe(true);
        expect(r.stderr).not.toMatch(/^\s+at /m);
      }),
      { numRuns: 60 },
    );
  });
});
