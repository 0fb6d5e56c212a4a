import { describe, expect, it } from 'vitest';
import { isEvotuneError } from '../src/errors.js';
import { rngFor } from '../src/util/rng.js';
import { resolveStrategy, STRATEGIES } from '../strategies/index.js';
import type { Strategy, Told } from '../strategies/types.js';

/**
 * The contract every registered strategy keeps, whatever its algorithm: new strategies are covered by adding
 * them to the registry. Each check runs the ask/tell loop the way a study (and a resumed study) would.
 */

type Objective = (x: readonly number[], round: number) => number;

interface Loop {
  dim: number;
  seed: number;
  rounds?: number;
  objective?: Objective;
  /** How many of a batch of n points to tell in this round (the study may cut a batch short). */
  tellHowMany?: (n: number, round: number) => number;
  /** Applied to every state between calls: a JSON round trip (resume) or a deep freeze. */
  pass?: <T>(state: T) => T;
  initialPoints?: number[][];
}

const shiftedSphere: Objective = (x) => x.reduce((s, v) => s + (v - 0.3) ** 2, 0);
/** A third of the trials fail, some with NaN, which the study also reports as a failure. */
const flaky: Objective = (x, round) => {
  const i = Math.floor(x[0]! * 3 + round) % 3;
  return i === 0 ? Infinity : i === 1 && round % 2 ? NaN : shiftedSphere(x, round);
};

function loop(strategy: Strategy, spec: Loop): number[][][] {
  const { dim, seed, rounds = 5, objective = shiftedSphere, tellHowMany = (n) => n, pass = (s) => s, initialPoints } = spec;
  const { options } = resolveStrategy(strategy.name, {});
  const setup = { dim, options };
  let state = pass(strategy.init({ ...setup, rng: rngFor(seed, 'init'), initialPoints }));
  const batches: number[][][] = [];
  for (let round = 0; round < rounds; round++) {
    const asked = strategy.ask(state, rngFor(seed, 'ask', round), setup);
    batches.push(asked.xs);
    const told: Told[] = asked.xs.slice(0, tellHowMany(asked.xs.length, round)).map((x) => ({ x, value: objective(x, round) }));
    state = pass(strategy.tell(pass(asked.state), told, rngFor(seed, 'tell', round), setup));
  }
  return batches;
}

const viaJson = <T>(s: T): T => JSON.parse(JSON.stringify(s));

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    Object.values(v).forEach(deepFreeze);
  }
  return v;
}

function expectInCube(batches: readonly (readonly number[][])[], dim: number) {
  for (const x of batches.flat()) {
    expect(x).toHaveLength(dim);
    for (const v of x) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  }
}

const CASES = [1, 3, 10].flatMap((dim) => [1, 42].map((seed) => ({ dim, seed })));

describe.each(Object.entries(STRATEGIES))('strategy %s', (name, strategy) => {
  it.each(CASES)('asks whole points inside [0,1]^d, and the first batch is not empty (dim $dim, seed $seed)', ({ dim, seed }) => {
    const batches = loop(strategy, { dim, seed });
    expect(batches[0]!.length).toBeGreaterThan(0);
    expectInCube(batches, dim);
  });

  it.each(CASES)('asks the same points for the same seed (dim $dim, seed $seed)', ({ dim, seed }) => {
    expect(loop(strategy, { dim, seed })).toEqual(loop(strategy, { dim, seed }));
  });

  it.each(CASES)(
    'asks the same points after a JSON round trip of its state at every step, failures included (dim $dim, seed $seed)',
    ({ dim, seed }) => {
      // JSON turns Infinity into null: a state that stored failures as Infinity would rank them as 0 on resume.
      const plain = loop(strategy, { dim, seed, objective: flaky });
      expect(loop(strategy, { dim, seed, objective: flaky, pass: viaJson })).toEqual(plain);
    },
  );

  it('never mutates the state it is given (deep-frozen at every step)', () => {
    for (const { dim, seed } of CASES) {
      const plain = loop(strategy, { dim, seed, objective: flaky });
      expect(loop(strategy, { dim, seed, objective: flaky, pass: deepFreeze })).toEqual(plain);
    }
  });

  it.each([
    ['every trial failed', { objective: () => Infinity }],
    ['a third of the trials failed (Infinity or NaN)', { objective: flaky }],
    ['half of each batch was told', { tellHowMany: (n: number) => Math.floor(n / 2) }],
    ['a single result was told', { tellHowMany: (n: number) => Math.min(n, 1) }],
    ['nothing was told every other round', { tellHowMany: (n: number, round: number) => (round % 2 ? n : 0) }],
  ] as const)('keeps asking valid points when %s', (_, variation) => {
    for (const { dim, seed } of CASES) {
      const batches = loop(strategy, { dim, seed, rounds: 6, ...variation });
      expectInCube(batches, dim);
    }
  });

  it('after a batch is cut short, still has points to ask', () => {
    for (const { dim, seed } of CASES) {
      const batches = loop(strategy, { dim, seed, rounds: 2, tellHowMany: (n, round) => (round === 0 ? Math.floor(n / 2) : n) });
      expect(batches[1]!.length).toBeGreaterThan(0);
    }
  });

  it('puts the initial points in its first batch', () => {
    const initialPoints = [
      [0.25, 0.5, 0.75],
      [0, 1, 0.125],
      [0.9, 0.1, 0.3],
    ];
    const [first] = loop(strategy, { dim: 3, seed: 5, rounds: 1, initialPoints });
    for (const s of initialPoints) expect(first).toContainEqual(s);
  });

  it('validates its default options, each default passing its own check', () => {
    const { options } = resolveStrategy(name, undefined);
    expect(Object.keys(options).sort()).toEqual(Object.keys(strategy.options).sort());
    for (const [key, field] of Object.entries(strategy.options as Record<string, { default: unknown; check: (v: unknown) => boolean }>)) {
      expect(field.check(field.default), key).toBe(true);
      expect(options[key]).toEqual(field.default);
    }
  });

  it('keeps its options out of its state: read-only options, and a state without any option value in it', () => {
    const { options } = resolveStrategy(name, undefined);
    expect(Object.isFrozen(options)).toBe(true);
    const state = strategy.init({ dim: 3, options, rng: rngFor(1, 'init') }) as Record<string, unknown>;
    expect(Object.keys(state)).not.toContain('options');
    expect(Object.keys(state)).not.toContain('dim');
  });

  it('rejects an unknown option, naming it', () => {
    expect(() => resolveStrategy(name, { noSuchOption: 1 })).toThrow(/"noSuchOption"/);
  });

  it.each([
    ['a string', 'not-a-valid-value'],
    ['NaN', NaN],
    ['an object', {}],
  ] as const)('rejects %s as the value of any option, naming the option', (_, bad) => {
    for (const key of Object.keys(strategy.options)) {
      let error: unknown;
      try {
        resolveStrategy(name, { [key]: bad });
      } catch (e) {
        error = e;
      }
      expect(isEvotuneError(error) && error.code, key).toBe('E_STRATEGY_OPTION');
      expect((error as Error).message).toContain(`"${key}"`);
    }
  });
});
