/**
 * Exponential moving average of the loss with bias correction (as in Adam): the plain EMA starts at 0 and would
 * read low for the first ~1/(1-beta) steps; dividing by 1 - beta^n removes that, so the first value is the loss.
 */
export class LossSmoother {
  private avg = 0;
  private n = 0;
  constructor(private readonly beta: number) {}

  next(loss: number): number {
    this.n += 1;
    this.avg = this.beta * this.avg + (1 - this.beta) * loss;
    return this.avg / (1 - this.beta ** this.n);
  }
}

/** The bias-corrected EMA of a whole series. */
export function smoothLosses(losses: readonly number[], beta: number): number[] {
  const s = new LossSmoother(beta);
  return losses.map((l) => s.next(l));
}

/** Why the test stopped before its last step: a smoothed loss above factor x the best so far, or a loss that is NaN/Infinity. */
export type Divergence = 'diverged' | 'non-finite';

/** Whether a step's losses end the test. `best` is the lowest smoothed loss seen before this step. */
export function divergence(loss: number, smoothed: number, best: number, factor: number): Divergence | undefined {
  if (!Number.isFinite(loss) || !Number.isFinite(smoothed)) return 'non-finite';
  return smoothed > factor * best ? 'diverged' : undefined;
}
