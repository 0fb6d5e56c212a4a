import { gaussian, randInt, rngFor, shuffleInPlace } from './rng.js';

/** A seeded source of randomness for task modules: `rand()` is uniform in [0, 1). */
export interface SeededRandom {
  (): number;
  /** A whole number in [0, n). */
  int(n: number): number;
  /** A standard normal number. */
  normal(): number;
  /** Shuffles `items` in place (Fisher-Yates) and returns them. */
  shuffle<T>(items: T[]): T[];
}

/**
 * The generator evotune uses itself, for task modules: same seed (and labels), same numbers, on every machine and
 * thread. Labels give independent streams from one seed, e.g. `seededRandom(seed, 'split')` and
 * `seededRandom(seed, 'noise')`. Math.random is not seedable, so a task that used it would give each worker other
 * data, and no trial would reproduce.
 */
export function seededRandom(seed: number, ...labels: Array<string | number>): SeededRandom {
  if (!Number.isFinite(seed)) throw new TypeError(`seededRandom: expected a finite seed, got ${String(seed)}`);
  const rng = rngFor(seed, 'task', ...labels);
  return Object.assign(() => rng(), {
    int: (n: number) => randInt(rng, n),
    normal: () => gaussian(rng),
    shuffle: <T>(items: T[]) => shuffleInPlace(items, rng),
  });
}
