/** Standard test functions for minimisers, on their usual search boxes. Each has its minimum 0. */
export interface TestFunction {
  readonly name: string;
  /** The box is [low, high] in every dimension. */
  readonly low: number;
  readonly high: number;
  readonly f: (x: readonly number[]) => number;
}

const sum = (x: readonly number[], term: (v: number, i: number) => number) => x.reduce((s, v, i) => s + term(v, i), 0);

export const sphere: TestFunction = { name: 'sphere', low: -5.12, high: 5.12, f: (x) => sum(x, (v) => v * v) };

export const rastrigin: TestFunction = {
  name: 'rastrigin',
  low: -5.12,
  high: 5.12,
  f: (x) => 10 * x.length + sum(x, (v) => v * v - 10 * Math.cos(2 * Math.PI * v)),
};

export const rosenbrock: TestFunction = {
  name: 'rosenbrock',
  low: -5,
  high: 5,
  f: (x) => sum(x.slice(1), (v, i) => 100 * (v - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2),
};

export const ackley: TestFunction = {
  name: 'ackley',
  low: -32.768,
  high: 32.768,
  f: (x) =>
    -20 * Math.exp(-0.2 * Math.sqrt(sum(x, (v) => v * v) / x.length)) -
    Math.exp(sum(x, (v) => Math.cos(2 * Math.PI * v)) / x.length) +
    20 +
    Math.E,
};

export const FUNCTIONS: readonly TestFunction[] = [sphere, rastrigin, rosenbrock, ackley];

/** The function seen from the unit cube, as a strategy sees it: gene u maps linearly onto [low, high]. */
export const onCube =
  (fn: TestFunction) =>
  (u: readonly number[]): number =>
    fn.f(u.map((v) => fn.low + v * (fn.high - fn.low)));
