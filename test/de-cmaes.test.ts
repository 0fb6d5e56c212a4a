import { describe, expect, it } from 'vitest';
import { isEvotuneError } from '../src/errors.js';
import { symmetricEigen } from '../src/util/linalg.js';
import { normalQuantile } from '../src/util/normal.js';
import { gaussian, rngFor } from '../src/util/rng.js';
import { cmaes } from '../strategies/cmaes.js';
import { marginScale } from '../strategies/cmaes/margin.js';
import { de } from '../strategies/de.js';
import { validateOptions } from '../strategies/options.js';
import type { Setup, Strategy } from '../strategies/types.js';

type Objective = (x: readonly number[]) => number;

const sphereAt =
  (centre: number): Objective =>
  (x) =>
    x.reduce((s, v) => s + (v - centre) ** 2, 0);

/** A strategy's setup (validated options and the problem's facts) and its first state. */
interface Started {
  readonly setup: Setup<unknown>;
  readonly state: unknown;
}

function start(
  strategy: Strategy,
  dim: number,
  seed: number,
  raw: unknown = {},
  extra: { initialPoints?: number[][]; binEdges?: number[][] } = {},
): Started {
  const { initialPoints, ...facts } = extra;
  const setup = { dim, options: validateOptions(strategy.name, strategy.options, raw), ...facts };
  return { setup, state: strategy.init({ ...setup, rng: rngFor(seed, 'init'), ...(initialPoints ? { initialPoints } : {}) }) };
}

/** The study loop in miniature; `roundTrip` serialises the state between every call, as a resume would. */
function run(strategy: Strategy, started: Started, objective: Objective, budget: number, seed: number, roundTrip = false) {
  const { setup } = started;
  let { state } = started;
  const asked: number[][][] = [];
  let best = Infinity;
  let used = 0;
  const pass = <T>(s: T): T => (roundTrip ? JSON.parse(JSON.stringify(s)) : s);
  for (let round = 0; used < budget; round++) {
    const a = strategy.ask(pass(state), rngFor(seed, 'ask', round), setup);
    const xs = a.xs.slice(0, budget - used);
    asked.push(xs);
    const told = xs.map((x) => ({ x, value: objective(x) }));
    for (const t of told) if (t.value < best) best = t.value;
    used += told.length;
    state = strategy.tell(pass(a.state), told, rngFor(seed, 'tell', round), setup);
  }
  return { asked, best, state };
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    Object.values(v).forEach(deepFreeze);
    Object.freeze(v);
  }
  return v;
}

const STRATEGIES: readonly Strategy[] = [de, cmaes];

describe.each(STRATEGIES.map((s) => [s.name, s] as const))('%s: the strategy contract', (_, strategy) => {
  it.each([1, 3, 12])('asks whole points inside the unit cube (dim %i), even from the edges', (dim) => {
    // The optimum sits in a corner, so samples keep pushing past the bounds and must be repaired.
    const { asked } = run(strategy, start(strategy, dim, 1), sphereAt(-0.2), 600, 1);
    for (const x of asked.flat()) {
      expect(x).toHaveLength(dim);
      for (const v of x) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
  });

  it('asks the same points for the same seed, and the same points after a JSON round trip at every step', () => {
    const a = run(strategy, start(strategy, 4, 7), sphereAt(0.3), 300, 7);
    const b = run(strategy, start(strategy, 4, 7), sphereAt(0.3), 300, 7);
    const c = run(strategy, JSON.parse(JSON.stringify(start(strategy, 4, 7))), sphereAt(0.3), 300, 7, true);
    expect(b.asked).toEqual(a.asked);
    expect(c.asked).toEqual(a.asked);
    const other = run(strategy, start(strategy, 4, 8), sphereAt(0.3), 300, 8);
    expect(other.asked).not.toEqual(a.asked);
  });

  it('never mutates the state it is given', () => {
    const { setup, state: first } = deepFreeze(start(strategy, 3, 2));
    let state = first;
    for (let round = 0; round < 30; round++) {
      const a = strategy.ask(state, rngFor(2, 'ask', round), setup);
      deepFreeze(a.state);
      const told = a.xs.map((x, i) => ({ x, value: i % 5 === 0 ? Infinity : sphereAt(0.4)(x) }));
      state = deepFreeze(strategy.tell(a.state, told, rngFor(2, 'tell', round), setup));
    }
  });

  it('keeps failed trials the worst, also after resuming from JSON (where Infinity becomes null)', () => {
    // Everything right of x0 = 0.5 fails; the optimum (0.45, 0.3, 0.3) is just left of the failing region.
    const objective: Objective = (x) => (x[0]! > 0.5 ? Infinity : (x[0]! - 0.45) ** 2 + (x[1]! - 0.3) ** 2 + (x[2]! - 0.3) ** 2);
    const { asked, best } = run(strategy, start(strategy, 3, 3), objective, 1500, 3, true);
    expect(best).toBeLessThan(1e-4);
    const last = asked.slice(-3).flat();
    const failing = last.filter((x) => x[0]! > 0.5).length;
    expect(failing / last.length).toBeLessThan(0.5);
  });

  it('tolerates NaN and -Infinity as failures', () => {
    const { asked } = run(strategy, start(strategy, 2, 4), (x) => (x[0]! < 0.2 ? NaN : x[0]! > 0.8 ? -Infinity : x[1]!), 200, 4, true);
    expect(asked.flat().every((x) => x.every((v) => v >= 0 && v <= 1))).toBe(true);
  });

  it('after a prefix is told, asks the untold rest of the batch before anything new', () => {
    const { setup, state } = start(strategy, 3, 5);
    const first = strategy.ask(state, rngFor(5, 'ask', 0), setup);
    const k = 2;
    const told = first.xs.slice(0, k).map((x) => ({ x, value: sphereAt(0.5)(x) }));
    const afterPrefix = strategy.tell(first.state, told, rngFor(5, 'tell', 0), setup);
    const rest = strategy.ask(afterPrefix, rngFor(5, 'ask', 1), setup);
    expect(rest.xs).toEqual(first.xs.slice(k));
    // Telling the rest completes the generation: the next batch is new and full-sized.
    const done = strategy.tell(
      rest.state,
      rest.xs.map((x) => ({ x, value: sphereAt(0.5)(x) })),
      rngFor(5, 'tell', 1),
      setup,
    );
    const next = strategy.ask(done, rngFor(5, 'ask', 2), setup);
    expect(next.xs.length).toBeGreaterThanOrEqual(first.xs.length);
    expect(next.xs).not.toEqual(first.xs);
  });

  it('puts every initial point in the first batch, even more of them than a generation holds', () => {
    const initialPoints = Array.from({ length: 25 }, (_, i) => [i / 25, 1 - i / 25]);
    const { setup, state } = start(strategy, 2, 6, {}, { initialPoints });
    const { xs } = strategy.ask(state, rngFor(6, 'ask', 0), setup);
    for (const s of initialPoints) expect(xs).toContainEqual(s);
  });

  it('finds the minimum of a shifted sphere', () => {
    const { best } = run(strategy, start(strategy, 5, 9), sphereAt(0.37), 3000, 9);
    expect(best).toBeLessThan(1e-8);
  });
});

describe('option validation names the option', () => {
  const bad: Array<[string, Strategy, Record<string, unknown>, string]> = [
    ['de', de, { F: 0 }, 'F'],
    ['de', de, { CR: 1.5 }, 'CR'],
    ['de', de, { variant: 'best/2/exp' }, 'variant'],
    ['de', de, { populationSize: 3 }, 'populationSize'],
    ['de', de, { dither: -0.1 }, 'dither'],
    ['cmaes', cmaes, { sigma0: 0 }, 'sigma0'],
    ['cmaes', cmaes, { restarts: 'bipop' }, 'restarts'],
    ['cmaes', cmaes, { margin: 0.9 }, 'margin'],
    ['cmaes', cmaes, { populationSize: 2.5 }, 'populationSize'],
    ['cmaes', cmaes, { sigma: 0.2 }, 'sigma'],
  ];
  it.each(bad)('%s %j', (_, strategy, raw, field) => {
    let thrown: unknown;
    try {
      validateOptions(strategy.name, strategy.options, raw);
    } catch (e) {
      thrown = e;
    }
    expect(isEvotuneError(thrown)).toBe(true);
    expect((thrown as Error).message).toContain(`"${field}"`);
  });
});

describe('cmaes', () => {
  it('learns the shape of a rotated, badly scaled valley (covariance adaptation)', () => {
    // Ellipsoid with axis scales 1..1e3 in a rotated frame: hopeless without a learned covariance.
    const dim = 6;
    const rng = rngFor(11, 'rotation');
    const Q = symmetricEigen(
      Array.from({ length: dim }, () => Array.from({ length: dim }, () => gaussian(rng))).map((r, i, m) => r.map((v, j) => v + m[j]![i]!)),
    ).vectors;
    const f: Objective = (x) =>
      Q.reduce((s, _, k) => {
        const proj = Q.reduce((t, row, i) => t + row[k]! * (x[i]! - 0.4), 0);
        return s + 1e6 ** (k / (dim - 1)) * proj * proj;
      }, 0);
    const { best } = run(cmaes, start(cmaes, dim, 11, { restarts: 'none' }), f, 4000, 11);
    expect(best).toBeLessThan(1e-8);
  });

  it('with "ipop", restarts with a doubled population once a run has converged', () => {
    const sizes = (restarts: string) =>
      run(cmaes, start(cmaes, 2, 12, { restarts }), sphereAt(0.5), 4000, 12)
        .asked.slice(0, -1) // the last batch is cut to the budget
        .map((b) => b.length);
    const ipop = sizes('ipop');
    expect(ipop[0]).toBe(6);
    expect(Math.max(...ipop)).toBeGreaterThanOrEqual(12);
    expect(new Set(sizes('none'))).toEqual(new Set([6]));
  });

  it('with bin edges, keeps int and categorical genes moving instead of freezing on a plateau (margin)', () => {
    // 4 continuous genes (sphere) plus 6 binary genes that each cost 1e-3 while in the upper bin. The sphere
    // dominates at first and shrinks the distribution; without the margin the binary genes then freeze wherever
    // it left them.
    const dim = 10;
    const binary = (i: number) => i >= 4;
    const f: Objective = (x) => x.reduce((s, v, i) => s + (binary(i) ? (v >= 0.5 ? 1e-3 : 0) : (v - 0.3) ** 2), 0);
    const binEdges = Array.from({ length: dim }, (_, i) => (binary(i) ? [0.5] : []));
    const solved = (edges?: number[][]) =>
      [1, 2, 3, 4, 5, 6, 7, 8].filter((seed) => {
        const state = start(cmaes, dim, seed, { restarts: 'none' }, edges ? { binEdges: edges } : {});
        return run(cmaes, state, f, 2000, seed).best < 1e-6;
      }).length;
    expect(solved(binEdges)).toBe(8);
    expect(solved()).toBeLessThanOrEqual(2);
  });

  it('margin widens only discrete genes whose spread is too narrow to leave the bin', () => {
    const alpha = 0.01;
    const A = marginScale([0.3, 0.3, 0.1, 0.55], [0.01, 0.01, 0.5, 0.01], [[], [0.25, 0.5, 0.75], [0.5], [0.25, 0.5, 0.75]], alpha);
    expect(A[0]).toBe(1); // continuous
    expect(A[2]).toBe(1); // already wide
    // Leaving the bin [0.25, 0.5) on the nearer side needs a standard deviation of at least 0.05 / z(1 - alpha/2).
    expect(A[1]! * 0.01).toBeCloseTo(0.2 / normalQuantile(1 - alpha / 2), 10);
    expect(A[3]! * 0.01).toBeCloseTo(0.2 / normalQuantile(1 - alpha / 2), 10);
  });
});

describe('numerics', () => {
  it('symmetricEigen reconstructs symmetric matrices with orthonormal eigenvectors', () => {
    const rng = rngFor(3, 'eigen');
    for (const n of [1, 2, 7, 20]) {
      const a = Array.from({ length: n }, () => Array.from({ length: n }, () => gaussian(rng)));
      const s = a.map((r, i) => r.map((v, j) => v + a[j]![i]!));
      const { values, vectors: v } = symmetricEigen(s);
      expect([...values].sort((x, y) => x - y)).toEqual(values);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const rebuilt = values.reduce((acc, l, k) => acc + v[i]![k]! * l * v[j]![k]!, 0);
          expect(rebuilt).toBeCloseTo(s[i]![j]!, 10);
          const gram = v.reduce((acc, row) => acc + row[i]! * row[j]!, 0);
          expect(gram).toBeCloseTo(i === j ? 1 : 0, 12);
        }
      }
    }
  });

  it('normalQuantile matches tabulated values', () => {
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306, 8);
    expect(normalQuantile(1 - 1e-9)).toBeCloseTo(5.997807015, 6);
  });
});
