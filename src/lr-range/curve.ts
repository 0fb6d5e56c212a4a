import type { Divergence } from './smoothing.js';

/** Which loss the test records: the training loss of each step (the classic test), or the validation loss after it
 *  (Smith's first variant: it also sees overfitting, which decides the best LR on small data sets). */
export type Signal = 'train' | 'val';
export const SIGNALS: readonly Signal[] = ['train', 'val'];

/** One step of the test: the LR it trained at, the recorded loss after it, and the smoothed loss up to it. */
export interface CurvePoint {
  readonly step: number;
  readonly lr: number;
  readonly loss: number;
  readonly smoothed: number;
}

/** How the test ended: at its last step, or early at `lr` (the first LR that diverged or gave NaN/Infinity). */
export type CurveStop = { readonly reason: 'end' } | { readonly reason: Divergence; readonly step: number; readonly lr: number };

/** The recorded curve; a point whose loss was NaN/Infinity is not in `points`, only in `stop`. */
export interface Curve {
  readonly signal: Signal;
  readonly points: readonly CurvePoint[];
  readonly stop: CurveStop;
}
