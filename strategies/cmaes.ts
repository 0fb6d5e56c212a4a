import { errors } from '../src/errors.js';
import { norm } from '../src/util/linalg.js';
import { clamp01, gaussian, type Rng } from '../src/util/rng.js';
import { intOrAuto, num, numOrAuto, oneOf } from './options.js';
import { isComplete, ranking, record, untold, type Pending } from './generation.js';
import { marginScale } from './cmaes/margin.js';
import { cmaParams, defaultLambda } from './cmaes/params.js';
import { HISTORY_LIMIT, medianOf, stopReason } from './cmaes/stop.js';
import { coordinateScales, updateDistribution, whiten, type Distribution } from './cmaes/update.js';
import { clampedPoints } from './population.js';
import { MAX_BIN_EDGES } from '../src/space/codec.js';
import { defineStrategy, type Setup } from './types.js';

interface Options {
  readonly sigma0: number;
  readonly populationSize: number | null;
  readonly restarts: 'none' | 'ipop';
  readonly margin: number | null;
}

/** One CMA-ES run: the distribution, its population size, and what the restart test looks back on. */
interface Run extends Distribution {
  lambda: number;
  history: { best: number[]; median: number[] };
}

/** A generation in flight, with the steps y and the margin's widening A it was sampled with (x = mean + sigma * A * y). */
interface Sampled extends Pending {
  ys: number[][];
  scale: number[];
}

interface State {
  restarts: number;
  run: Run;
  pending: Sampled;
}

/** Samples redrawn before a point outside the cube is clipped (as in Optuna's `cmaes` package). */
const MAX_RESAMPLES = 100;
/** IPOP's population stops doubling after this many restarts (Auger & Hansen 2005 allow 9); later restarts reuse it. */
const MAX_DOUBLINGS = 9;

/**
 * CMA-ES (Hansen's tutorial, arXiv:1604.00772): weighted recombination, cumulative step-size adaptation,
 * rank-one and rank-mu covariance updates with active (negative) weights; optional IPOP restarts.
 *
 * Bounds: a sample outside the cube is redrawn (up to 100 times), then clipped, and the update learns from the
 * step actually evaluated, (clipped x - mean) / sigma, as Optuna's CMA-ES does. While the optimum is inside,
 * redrawing leaves the distribution almost untouched; when it sits on a face, clipping puts samples exactly on
 * it (hyperparameters often are best at a bound), and because every told point is inside the cube the mean,
 * a positive combination of them, never leaves it on a continuous gene.
 *
 * Int and categorical genes (given by `binEdges`) are not redrawn: beyond the cube they decode like its edge bin,
 * a plateau like any other, so they are only clipped for evaluation while the update keeps the raw step; the
 * margin (cmaes/margin.ts) keeps them from freezing in one bin.
 */
export const cmaes = defineStrategy<Options, State>({
  name: 'cmaes',
  summary: 'CMA-ES with active covariance update, CSA step size, optional IPOP restarts and a margin for int/categorical genes.',
  options: {
    // Hansen's rule: the optimum should lie within x0 +- 3 sigma0. From the centre of the cube that is 1/6
    // (Optuna's default too); his 0.3 is for a uniformly random x0.
    sigma0: num(
      'initial step size as a fraction of the unit cube; the search starts at its centre, and 1/6 puts the whole cube within 3 sigma0',
      1 / 6,
      { min: 0, max: 1, minExclusive: true },
    ),
    populationSize: intOrAuto('samples per generation; null means 4 + floor(3 ln dim)', { min: 2 }),
    restarts: oneOf('"ipop" restarts from a random point with a doubled population when the run converges or stagnates', 'ipop', ['none', 'ipop']),
    margin: numOrAuto('least probability that an int or categorical gene leaves its bin; null means 1 / (dim * population)', { min: 0, max: 0.3 }),
  },
  init(setup) {
    const { dim, options, rng, initialPoints } = setup;
    const given = clampedPoints(dim, initialPoints, 'cmaes');
    const run = newRun(
      Array.from({ length: dim }, () => 0.5),
      options.sigma0,
      baseLambda(setup),
    );
    return { restarts: 0, run, pending: sample(run, setup, given, rng) };
  },
  ask: (state) => ({ xs: untold(state.pending), state }),
  tell(state, told, rng, setup) {
    const pending = record(state.pending, told, 'cmaes');
    if (!isComplete(pending)) return { ...state, pending };
    const values = pending.scores.filter((s): s is number => s !== null);
    // A generation that only failed says nothing about where to go: sample it again from the same distribution.
    if (values.length === 0) return { ...state, pending: sample(state.run, setup, [], rng) };

    const p = cmaParams(setup.dim, state.run.lambda);
    const selected = ranking(pending.scores)
      .slice(0, state.run.lambda)
      .map((i) => pending.ys[i]!);
    const history = {
      best: [...state.run.history.best, Math.min(...values)].slice(-HISTORY_LIMIT),
      median: [...state.run.history.median, medianOf(values)].slice(-HISTORY_LIMIT),
    };
    const run: Run = { ...updateDistribution(state.run, selected, pending.scale, p), lambda: state.run.lambda, history };
    const next =
      setup.options.restarts === 'ipop' && stopReason(run, values, p) !== null
        ? restart(state.restarts, setup, rng)
        : { restarts: state.restarts, run };
    return { ...next, pending: sample(next.run, setup, [], rng) };
  },
});

/** Population size of the first run; IPOP doubles it at every restart. */
const baseLambda = ({ dim, options }: Setup<Options>): number => options.populationSize ?? defaultLambda(dim);

/** Bin boundaries per gene (empty: continuous, or too many bins to matter); see Setup.binEdges. */
function binEdgesOf({ dim, binEdges }: Setup<Options>): readonly (readonly number[])[] {
  const edges = (binEdges ?? Array.from({ length: dim }, () => [])).map((e) => (e.length < MAX_BIN_EDGES ? e : []));
  if (edges.length !== dim) throw errors.internal(`cmaes: binEdges has ${edges.length} genes, expected ${dim}`);
  return edges;
}

function newRun(mean: number[], sigma: number, lambda: number): Run {
  const n = mean.length;
  return {
    mean,
    sigma,
    B: Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))),
    D: Array.from({ length: n }, () => 1),
    pc: Array.from({ length: n }, () => 0),
    ps: Array.from({ length: n }, () => 0),
    generation: 0,
    lambda,
    history: { best: [], median: [] },
  };
}

/** IPOP: a fresh distribution from a uniform random point, with twice the population of the last run. */
function restart(previous: number, setup: Setup<Options>, rng: Rng): Omit<State, 'pending'> {
  const restarts = previous + 1;
  const lambda = baseLambda(setup) * 2 ** Math.min(restarts, MAX_DOUBLINGS);
  const mean = Array.from({ length: setup.dim }, () => rng());
  return { restarts, run: newRun(mean, setup.options.sigma0, lambda) };
}

/** The next generation: the initial points first (injected), then samples up to lambda. */
function sample(run: Run, setup: Setup<Options>, given: readonly number[][], rng: Rng): Sampled {
  const edges = binEdgesOf(setup);
  const n = setup.dim;
  const discrete = edges.map((e) => e.length > 0);
  const alpha = setup.options.margin ?? 1 / (n * run.lambda);
  const A = marginScale(
    run.mean,
    coordinateScales(run).map((s) => run.sigma * s),
    edges,
    alpha,
  );
  const xs: number[][] = [];
  const ys: number[][] = [];
  for (const point of given) {
    xs.push(point);
    ys.push(
      injected(
        run,
        point.map((x, i) => (x - run.mean[i]!) / (run.sigma * A[i]!)),
      ),
    );
  }
  while (xs.length < run.lambda) {
    let y = draw(run, rng);
    for (let tries = 1; tries < MAX_RESAMPLES && !inside(run, A, y, discrete); tries++) y = draw(run, rng);
    const raw = y.map((yi, i) => run.mean[i]! + run.sigma * A[i]! * yi);
    const x = raw.map(clamp01);
    xs.push(x);
    ys.push(y.map((yi, i) => (discrete[i] ? yi : (x[i]! - run.mean[i]!) / (run.sigma * A[i]!))));
  }
  return { xs, ys, scale: A, scores: [] };
}

/** y = B D z with z standard normal: a draw from N(0, C). */
function draw(run: Run, rng: Rng): number[] {
  const dz = run.D.map((d) => d * gaussian(rng));
  return run.B.map((row) => row.reduce((s, b, k) => s + b * dz[k]!, 0));
}

function inside(run: Run, A: readonly number[], y: readonly number[], discrete: readonly boolean[]): boolean {
  return y.every((yi, i) => {
    if (discrete[i]) return true;
    const x = run.mean[i]! + run.sigma * A[i]! * yi;
    return x >= 0 && x <= 1;
  });
}

/**
 * An initial point is not a draw from the distribution; its step is shortened to Mahalanobis length at most
 * sqrt(n) + 2n / (n + 2), as Hansen (2011, "Injecting external solutions into CMA-ES") prescribes, so a far
 * point guides the mean without blowing up the covariance or the step size.
 */
function injected(run: Run, y: number[]): number[] {
  const n = y.length;
  const limit = Math.sqrt(n) + (2 * n) / (n + 2);
  const length = norm(whiten(run, y));
  return length > limit ? y.map((v) => (v * limit) / length) : y;
}
