/**
 * Standard test functions for minimisers, on their usual search boxes. Each has its minimum 0 at the point whose
 * every coordinate is `optimum`. benchmarks/anchors/problems.py implements the same functions for the Python
 * anchors (a test checks both give the same values).
 */
export interface TestFunction {
  readonly name: string;
  /** The box is [low, high] in every dimension. */
  readonly low: number;
  readonly high: number;
  /** Every coordinate of the minimiser of the plain function. */
  readonly optimum: number;
  readonly f: (x: readonly number[]) => number;
}

const sum = (x: readonly number[], term: (v: number, i: number) => number) => x.reduce((s, v, i) => s + term(v, i), 0);

export const sphere: TestFunction = { name: 'sphere', low: -5.12, high: 5.12, optimum: 0, f: (x) => sum(x, (v) => v * v) };

/** Axis-aligned ellipsoid, condition number 1e6: the scales of the coordinates run from 1 to 1e6. */
export const ellipsoid: TestFunction = {
  name: 'ellipsoid',
  low: -5.12,
  high: 5.12,
  optimum: 0,
  f: (x) => sum(x, (v, i) => 10 ** ((6 * i) / Math.max(1, x.length - 1)) * v * v),
};

export const rastrigin: TestFunction = {
  name: 'rastrigin',
  low: -5.12,
  high: 5.12,
  optimum: 0,
  f: (x) => 10 * x.length + sum(x, (v) => v * v - 10 * Math.cos(2 * Math.PI * v)),
};

export const rosenbrock: TestFunction = {
  name: 'rosenbrock',
  low: -5,
  high: 5,
  optimum: 1,
  f: (x) => sum(x.slice(1), (v, i) => 100 * (v - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2),
};

export const ackley: TestFunction = {
  name: 'ackley',
  low: -32.768,
  high: 32.768,
  optimum: 0,
  f: (x) =>
    -20 * Math.exp(-0.2 * Math.sqrt(sum(x, (v) => v * v) / x.length)) - Math.exp(sum(x, (v) => Math.cos(2 * Math.PI * v)) / x.length) + 20 + Math.E,
};

/** Many regular local minima on a bowl; the product term couples the coordinates. */
export const griewank: TestFunction = {
  name: 'griewank',
  low: -600,
  high: 600,
  optimum: 0,
  f: (x) => 1 + sum(x, (v) => (v * v) / 4000) - x.reduce((p, v, i) => p * Math.cos(v / Math.sqrt(i + 1)), 1),
};

export const levy: TestFunction = {
  name: 'levy',
  low: -10,
  high: 10,
  optimum: 1,
  f: (x) => {
    const w = x.map((v) => 1 + (v - 1) / 4);
    const last = w[w.length - 1]!;
    return (
      Math.sin(Math.PI * w[0]!) ** 2 +
      sum(w.slice(0, -1), (v) => (v - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * v + 1) ** 2)) +
      (last - 1) ** 2 * (1 + Math.sin(2 * Math.PI * last) ** 2)
    );
  },
};

/** z sin(sqrt|z|) at its best, z = 420.9687...: the per-coordinate constant that makes the minimum 0. */
const SCHWEFEL_PEAK = 418.9828872724338;

/**
 * Schwefel's function: deceptive, its second-best minima lie far from the best, near the opposite corner. Outside
 * [-500, 500] it folds back with a quadratic penalty (CEC 2014's modified form), so that a rotated point leaving the
 * box cannot score below 0.
 */
export const schwefel: TestFunction = {
  name: 'schwefel',
  low: -500,
  high: 500,
  optimum: 420.9687462275036,
  f: (x) => SCHWEFEL_PEAK * x.length - sum(x, (z) => schwefelTerm(z, x.length)),
};

function schwefelTerm(z: number, dim: number): number {
  if (Math.abs(z) <= 500) return z * Math.sin(Math.sqrt(Math.abs(z)));
  const folded = 500 - (Math.abs(z) % 500);
  return Math.sign(z) * folded * Math.sin(Math.sqrt(folded)) - (Math.abs(z) - 500) ** 2 / (10000 * dim);
}

/** The classic four, kept for the strategy tests and the golden file. */
export const FUNCTIONS: readonly TestFunction[] = [sphere, rastrigin, rosenbrock, ackley];

/** Every function the headline benchmark transforms: the classic four plus structures they lack. */
export const ALL_FUNCTIONS: readonly TestFunction[] = [...FUNCTIONS, ellipsoid, griewank, levy, schwefel];

/** The function seen from the unit cube, as a strategy sees it: gene u maps linearly onto [low, high]. */
export const onCube =
  (fn: Pick<TestFunction, 'low' | 'high' | 'f'>) =>
  (u: readonly number[]): number =>
    fn.f(u.map((v) => fn.low + v * (fn.high - fn.low)));
