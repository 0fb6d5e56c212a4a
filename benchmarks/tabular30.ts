/**
 * A task outside the bundled set, written as a new user would from the task contract alone (src/tasks/README.md):
 * a 30-feature binary tabular classifier, MLP 30-32-2 (ReLU), 10 epochs, batch 32, Adam 1e-3, no `rangeTest`.
 * The data are scikit-learn's make_classification redone with evotune's seeded generator (1000 rows, 30 features:
 * 8 informative, 6 redundant linear mixtures of them, 16 noise; 2 clusters per class on the vertices of a hypercube,
 * class_sep 1, 3% of labels flipped), standardised on the training rows, 75/25 split. Benchmark-side only: the LR
 * margin benchmark (lr-range-margin.ts) judges the range test's bounds on it.
 */
import { seededRandom, type SeededRandom } from '../src/util/seeded.js';
import type { Task, TaskData } from '../src/tasks/types.js';

const ROWS = 1000;
const FEATURES = 30;
const INFORMATIVE = 8;
const REDUNDANT = 6;
const CLUSTERS_PER_CLASS = 2;
const CLASS_SEP = 1;
const FLIP = 0.03;
const VAL_FRACTION = 0.25;

/** make_classification's rows (x: ROWS x FEATURES, row-major) and labels 0/1, from one seed. */
export function makeClassification(rand: SeededRandom): { x: Float64Array; y: Uint8Array } {
  const uniform = (n: number) => Array.from({ length: n }, () => rand() * 2 - 1);
  // Cluster centroids: distinct vertices of the informative hypercube, scaled by class_sep; each cluster its own
  // random linear map of a standard normal (make_classification's covariance).
  const clusters = 2 * CLUSTERS_PER_CLASS;
  const vertices = rand.shuffle(Array.from({ length: 2 ** INFORMATIVE }, (_, i) => i)).slice(0, clusters);
  const centroids = vertices.map((v) => Array.from({ length: INFORMATIVE }, (_, j) => (((v >> j) & 1) * 2 - 1) * CLASS_SEP));
  const maps = centroids.map(() => uniform(INFORMATIVE * INFORMATIVE));
  const mix = uniform(INFORMATIVE * REDUNDANT);
  const x = new Float64Array(ROWS * FEATURES);
  const y = new Uint8Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    const c = i % clusters;
    y[i] = c % 2;
    const z = Array.from({ length: INFORMATIVE }, () => rand.normal());
    const row = x.subarray(i * FEATURES, (i + 1) * FEATURES);
    for (let j = 0; j < INFORMATIVE; j++) {
      let v = centroids[c]![j]!;
      for (let k = 0; k < INFORMATIVE; k++) v += z[k]! * maps[c]![k * INFORMATIVE + j]!;
      row[j] = v;
    }
    for (let r = 0; r < REDUNDANT; r++) {
      let v = 0;
      for (let j = 0; j < INFORMATIVE; j++) v += row[j]! * mix[j * REDUNDANT + r]!;
      row[INFORMATIVE + r] = v;
    }
    for (let j = INFORMATIVE + REDUNDANT; j < FEATURES; j++) row[j] = rand.normal();
    if (rand() < FLIP) y[i] = rand.int(2);
  }
  return { x, y };
}

function data(seed: number): TaskData {
  const rand = seededRandom(seed, 'tabular30');
  const { x, y } = makeClassification(rand);
  const order = rand.shuffle(Array.from({ length: ROWS }, (_, i) => i));
  const nVal = Math.round(ROWS * VAL_FRACTION);
  const nTrain = ROWS - nVal;
  const mean = new Float64Array(FEATURES);
  const sd = new Float64Array(FEATURES);
  for (const i of order.slice(0, nTrain)) for (let j = 0; j < FEATURES; j++) mean[j]! += x[i * FEATURES + j]! / nTrain;
  for (const i of order.slice(0, nTrain)) for (let j = 0; j < FEATURES; j++) sd[j]! += (x[i * FEATURES + j]! - mean[j]!) ** 2 / nTrain;
  const split = (rows: number[]) => {
    const xs = new Float32Array(rows.length * FEATURES);
    const ys = new Float32Array(rows.length * 2);
    rows.forEach((i, r) => {
      for (let j = 0; j < FEATURES; j++) xs[r * FEATURES + j] = (x[i * FEATURES + j]! - mean[j]!) / Math.sqrt(sd[j]! || 1);
      ys[r * 2 + y[i]!] = 1;
    });
    return [xs, ys] as const;
  };
  const [xTrain, yTrain] = split(order.slice(0, nTrain));
  const [xVal, yVal] = split(order.slice(nTrain));
  return { xTrain, yTrain, xVal, yVal, inputShape: [FEATURES], targetSize: 2, nTrain, nVal };
}

export const tabular30: Task = {
  name: 'tabular30',
  description: 'synthetic make_classification, 1000 rows, 30 features, 2 classes; MLP 30-32-2 with ReLU',
  kind: 'classification',
  space: { lr: { type: 'float', low: 1e-4, high: 1, log: true }, units: { type: 'int', low: 8, high: 128, log: true } },
  defaults: { lr: 1e-3, units: 32, epochs: 10, batchSize: 32 },
  data,
  build(params, ctx) {
    const { tf } = ctx;
    return tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [FEATURES],
          units: Number(params.units),
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.seed }),
        }),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.seed + 1 }) }),
      ],
    });
  },
};
