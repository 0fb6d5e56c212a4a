import { gaussian, rngFor } from '../util/rng.js';
import type { LabelledTable } from './dataset.js';
import type { TaskData } from './types.js';

/**
 * Two interleaved spirals (Lang & Witbrock 1988), one class each: a point at angle theta has radius theta, theta up
 * to 3 pi (one and a half turns), plus Gaussian noise, all scaled into about [-1, 1]. Drawn from the seed.
 */
export function twoSpirals(seed: number, rows: number, noise: number): LabelledTable {
  const rng = rngFor(seed, 'spirals');
  const maxTheta = 3 * Math.PI;
  const features = new Float32Array(rows * 2);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const label = i % 2;
    const theta = Math.sqrt(rng()) * maxTheta;
    const sign = label === 0 ? 1 : -1;
    features[2 * i] = (sign * -Math.cos(theta) * theta + noise * gaussian(rng)) / maxTheta;
    features[2 * i + 1] = (sign * Math.sin(theta) * theta + noise * gaussian(rng)) / maxTheta;
    labels[i] = label;
  }
  return { features, labels, rows, columns: 2, classes: 2 };
}

/** y = sin(x) + N(0, noise^2) for x uniform in [-pi, pi]; train and validation drawn from separate streams. */
export function noisySine(seed: number, nTrain: number, nVal: number, noise: number): TaskData {
  const draw = (n: number, part: string) => {
    const rng = rngFor(seed, 'sine', part);
    const x = new Float32Array(n);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = (2 * rng() - 1) * Math.PI;
      y[i] = Math.sin(x[i]!) + noise * gaussian(rng);
    }
    return { x, y };
  };
  const train = draw(nTrain, 'train');
  const val = draw(nVal, 'val');
  return { xTrain: train.x, yTrain: train.y, xVal: val.x, yVal: val.y, inputShape: [1], targetSize: 1, nTrain, nVal };
}
