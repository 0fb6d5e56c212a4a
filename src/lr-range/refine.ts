import { deriveSeed } from '../util/rng.js';

/** Training seed of a probe's `replicate`-th run, from the test's seed: the same at every LR (common random numbers,
 *  so that neighbouring LRs differ by the LR, not by the draw), and never one of a caller's own trial seeds. */
export const probeSeed = (seed: number, replicate: number) => deriveSeed(seed, 'lr-refine', replicate);
