/**
 * Stage 1 of the finder, the curve: a fresh model trains one step per LR of a schedule that grows from a tiny LR to a
 * huge one, and every step's loss is recorded with its bias-corrected EMA until the smoothed loss diverges.
 * With `seeds` K > 1 (`lr-find --seeds K`), K members that differ only in seed sweep the same schedule: an MLP
 * (Sequential Dense/Dropout/Flatten) trains as one vectorised program (tasks/group-session.ts), member k's curve
 * being the one-curve test's with seed k; any other model (a conv net) runs K one-curve tests, one after another,
 * with the same result. A member whose curve stops (diverged, NaN) leaves the program; the others go on. The K
 * curves are then read as one: their median, with the quartiles as a band (medianCurve, at the end of this file).
 */
import { groupKey } from '../tasks/group-train.js';
import { openGroupSession, type GroupSession } from '../tasks/group-session.js';
import { openSession } from '../tasks/train.js';
import type { Params } from '../space/spec.js';
import type { Task, TaskContext } from '../tasks/types.js';
import type { Curve, CurvePoint, CurveStop, Divergence, Signal } from './analyse.js';
import type { ScheduleKind } from './options.js';

export type { Curve, CurvePoint, CurveStop, Divergence } from './analyse.js';

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

// ---------------------------------------------------------------------------------------------------------------
// Running the test: K members (one program, or one after another), or one session.

/** Default length: a few hundred steps, or one epoch if that is longer. */
export function defaultSteps(stepsPerEpoch: number): number {
  return Math.max(DEFAULT_MIN_STEPS, stepsPerEpoch);
}
const DEFAULT_MIN_STEPS = 300;

/** The members' curves, in the order of `seeds`. */
export interface MemberCurves {
  readonly seeds: readonly number[];
  readonly curves: readonly Curve[];
  /** Steps of the test (options.steps, or the default for this task). */
  readonly steps: number;
  readonly stepsPerEpoch: number;
  /** Whether they trained as one program (false: one test after another). */
  readonly vectorised: boolean;
}

/** The sweep options, with the number of steps left to the default when undefined. */
export type MemberSweepOptions = Omit<SweepOptions, 'steps'> & { readonly steps?: number };

/**
 * Runs one range test per seed over the same schedule. `vectorise: false` runs them one after another even where
 * one program could (to compare the two, and for models the program cannot hold, which it detects itself).
 */
export async function sweepMembers(
  task: Task,
  params: Params,
  seeds: readonly number[],
  o: MemberSweepOptions,
  ctx: Omit<TaskContext, 'seed'>,
  vectorise = true,
): Promise<MemberCurves> {
  if (vectorise && seeds.length > 1 && groupKey(task, params, ctx) !== undefined) {
    const session = await openGroupSession(task, params, seeds, ctx);
    try {
      const steps = o.steps ?? defaultSteps(session.stepsPerEpoch);
      const curves = await sweepStacked(session, { ...o, steps }, ctx.signal);
      return { seeds, curves, steps, stepsPerEpoch: session.stepsPerEpoch, vectorised: true };
    } finally {
      session.dispose();
    }
  }
  const curves: Curve[] = [];
  let steps = 0;
  let stepsPerEpoch = 0;
  for (const seed of seeds) {
    const session = await openSession(task, params, { ...ctx, seed });
    try {
      stepsPerEpoch = session.stepsPerEpoch;
      steps = o.steps ?? defaultSteps(stepsPerEpoch);
      curves.push(
        await sweep(
          {
            setLearningRate: (lr) => session.setLearningRate(lr),
            trainSteps: (n) => session.trainSteps(n),
            validationLoss: async () => (await session.evaluate()).loss,
          },
          { ...o, steps },
          ctx.signal,
        ),
      );
    } finally {
      session.dispose();
    }
  }
  return { seeds, curves, steps, stepsPerEpoch, vectorised: false };
}

/** sweep() for every member of a group session at once: the same steps, stops and curves as K sweeps alone. */
async function sweepStacked(session: GroupSession, o: SweepOptions, signal?: AbortSignal): Promise<Curve[]> {
  const recorders = session.seeds.map(() => new CurveRecorder(o));
  /** The member (index into seeds) of each row still training. */
  let rows = recorders.map((_, i) => i);
  for (let step = 0; step < o.steps && rows.length > 0; step++) {
    signal?.throwIfAborted();
    const lr = scheduledLr(o.schedule, o.startLr, o.endLr, o.steps, step);
    const train = session.trainStep(rows.map(() => lr));
    const val = o.signal === 'val' ? session.validationLosses() : undefined;
    const keep: number[] = [];
    rows.forEach((member, row) => {
      const t = train[row]!;
      const loss = val === undefined || !Number.isFinite(t) ? t : val[row]!;
      if (recorders[member]!.add(step, lr, t, loss)) keep.push(row);
    });
    if (keep.length > 0) session.keep(keep);
    rows = keep.map((row) => rows[row]!);
    // Let an abort from another thread arrive between steps, as the one-curve sweep's awaits do.
    if (step % 64 === 63) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return recorders.map((r) => r.curve());
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

// ---------------------------------------------------------------------------------------------------------------
// Recording one step: the LR schedule, the smoothed loss and the divergence test.

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
 * The LR at step `i` of `steps` (0-based), from `start` at the first step to `end` at the last.
 * Exponential is the default because a linear ramp spends almost every step above end/10, leaving the small LRs,
 * which need many steps to show an effect, with almost none.
 */
export function scheduledLr(kind: ScheduleKind, start: number, end: number, steps: number, i: number): number {
  const t = steps <= 1 ? 0 : i / (steps - 1);
  return kind === 'exponential' ? start * (end / start) ** t : start + (end - start) * t;
}

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

/** Whether a step's losses end the test. `best` is the lowest smoothed loss seen before this step. */
export function divergence(loss: number, smoothed: number, best: number, factor: number): Divergence | undefined {
  if (!Number.isFinite(loss) || !Number.isFinite(smoothed)) return 'non-finite';
  return smoothed > factor * best ? 'diverged' : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// K curves of one schedule read as one: at every step, the median and the quartiles of the members' losses. A member
// whose test has stopped (it diverged, or its loss turned NaN) counts from then on as a loss above every live
// member's: it is not dropped (the survivors alone would read ever lower as the LR grows, since those that blow up
// first leave), so the median curve ends, diverged, at the first step where half the members have stopped, and the
// upper quartile turns unbounded once a quarter have.

/** The spread of the members at one step: quartiles of the smoothed loss; `q3` null once it is unbounded. */
export interface BandPoint {
  readonly step: number;
  readonly lr: number;
  readonly q1: number;
  readonly q3: number | null;
  /** Members whose test still ran at this step. */
  readonly alive: number;
}

/** The median curve and the band around it. */
export interface MedianCurve {
  readonly curve: Curve;
  readonly band: readonly BandPoint[];
}

/** Quantile p of ascending values (linear between order statistics, as numpy's default); Infinity may be among them. */
export function quantile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = sorted[Math.floor(h)]!;
  const hi = sorted[Math.ceil(h)]!;
  if (hi === lo || h === Math.floor(h)) return lo;
  return hi === Infinity ? Infinity : lo + (h - Math.floor(h)) * (hi - lo);
}

/** Reads K curves recorded over the same schedule (a point's step says where it is) as their median with a band. */
export function medianCurve(curves: readonly Curve[]): MedianCurve {
  if (curves.length === 0) throw new Error('medianCurve needs at least one curve');
  const byStep = curves.map((c) => new Map(c.points.map((p) => [p.step, p] as const)));
  const last = Math.max(-1, ...curves.flatMap((c) => c.points.map((p) => p.step)));
  const points: CurvePoint[] = [];
  const band: BandPoint[] = [];
  let stop: CurveStop = { reason: 'end' };
  for (let step = 0; step <= last; step++) {
    const here = byStep.map((m) => m.get(step));
    const live = here.filter((p): p is CurvePoint => p !== undefined);
    const of = (key: 'loss' | 'smoothed') =>
      [...live.map((p) => p[key]), ...Array<number>(curves.length - live.length).fill(Infinity)].sort((a, b) => a - b);
    const smoothed = of('smoothed');
    const median = quantile(smoothed, 0.5);
    // Points run without gaps from step 0 to a member's last, so someone recorded every step up to `last`.
    const lr = live[0]!.lr;
    if (!Number.isFinite(median)) {
      stop = { reason: majorityReason(curves, step), step, lr };
      break;
    }
    points.push({ step, lr, loss: quantile(of('loss'), 0.5), smoothed: median });
    const q3 = quantile(smoothed, 0.75);
    band.push({ step, lr, q1: quantile(smoothed, 0.25), q3: Number.isFinite(q3) ? q3 : null, alive: live.length });
  }
  // Every member stopped, and the median never went unbounded before their points ran out: it stops with the last.
  if (stop.reason === 'end' && curves.every((c) => c.stop.reason !== 'end')) {
    stop = curves.map((c) => c.stop).reduce((a, b) => (stepOf(b) > stepOf(a) ? b : a));
  }
  return { curve: { signal: curves[0]!.signal, points, stop }, band };
}

const stepOf = (s: CurveStop) => (s.reason === 'end' ? Infinity : s.step);

/** Why most of the members that had stopped by `step` stopped (diverged, unless NaN/Infinity was the more common). */
function majorityReason(curves: readonly Curve[], step: number): 'diverged' | 'non-finite' {
  const stopped = curves.map((c) => c.stop).filter((s) => s.reason !== 'end' && s.step <= step);
  const nonFinite = stopped.filter((s) => s.reason === 'non-finite').length;
  return nonFinite * 2 > stopped.length ? 'non-finite' : 'diverged';
}
