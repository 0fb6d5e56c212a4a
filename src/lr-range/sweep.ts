import type { Curve, CurvePoint, CurveStop, Signal } from './curve.js';
import { scheduledLr, type ScheduleKind } from './schedule.js';
import { divergence, LossSmoother } from './smoothing.js';

/** What the range test needs from a model in training: nothing more, so any trainer (or a synthetic one) fits. */
export interface RangeSession {
  setLearningRate(lr: number): void;
  /** Trains `n` steps at the current LR and returns their training losses. */
  trainSteps(n: number): Float32Array | Promise<Float32Array>;
  /** Loss of the current weights on the validation split. */
  validationLoss(): number | Promise<number>;
}

export interface SweepOptions {
  readonly startLr: number;
  readonly endLr: number;
  readonly steps: number;
  readonly schedule: ScheduleKind;
  /** Which loss the curve records: each step's training loss, or the validation loss after each step. */
  readonly signal: Signal;
  /** EMA factor of the smoothed loss. */
  readonly beta: number;
  /** Stop once the smoothed loss exceeds this many times the best smoothed loss. */
  readonly divergence: number;
}

/** Builds a curve one step at a time and says when it must stop; the same rules for a live test and a replay. */
export class CurveRecorder {
  private readonly points: CurvePoint[] = [];
  private readonly smoother: LossSmoother;
  private best = Infinity;
  private stop: CurveStop | undefined;

  constructor(private readonly o: Pick<SweepOptions, 'signal' | 'beta' | 'divergence'>) {
    this.smoother = new LossSmoother(o.beta);
  }

  /** Records one step; returns false once the curve has ended (diverged, or a loss that is NaN/Infinity). */
  add(step: number, lr: number, trainLoss: number, loss: number): boolean {
    if (this.stop) return false;
    if (!Number.isFinite(trainLoss)) {
      this.stop = { reason: 'non-finite', step, lr };
      return false;
    }
    const smoothed = this.smoother.next(loss);
    const stopped = divergence(loss, smoothed, this.best, this.o.divergence);
    if (stopped !== 'non-finite') this.points.push({ step, lr, loss, smoothed });
    if (stopped) {
      this.stop = { reason: stopped, step, lr };
      return false;
    }
    this.best = Math.min(this.best, smoothed);
    return true;
  }

  curve(): Curve {
    return { signal: this.o.signal, points: this.points, stop: this.stop ?? { reason: 'end' } };
  }
}

/**
 * Trains one step per scheduled LR, recording the curve; stops early on divergence, or as soon as the training
 * loss or the recorded loss is NaN/Infinity.
 */
export async function sweep(session: RangeSession, o: SweepOptions, signal?: AbortSignal): Promise<Curve> {
  const recorder = new CurveRecorder(o);
  for (let step = 0; step < o.steps; step++) {
    signal?.throwIfAborted();
    const lr = scheduledLr(o.schedule, o.startLr, o.endLr, o.steps, step);
    session.setLearningRate(lr);
    const trainLoss = (await session.trainSteps(1))[0]!;
    const loss = o.signal === 'train' || !Number.isFinite(trainLoss) ? trainLoss : await session.validationLoss();
    if (!recorder.add(step, lr, trainLoss, loss)) break;
  }
  return recorder.curve();
}
