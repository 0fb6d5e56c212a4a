/**
 * K range tests at once (`lr-find --seeds K`): members that differ only in seed sweep the same LR schedule. An MLP
 * (Sequential Dense/Dropout/Flatten) trains as one vectorised program (tasks/group-session.ts), member k's curve
 * being the one-curve test's with seed k; any other model (a conv net) runs K one-curve tests, one after another,
 * with the same result. A member whose curve stops (diverged, NaN) leaves the program; the others go on.
 */
import { groupKey } from '../tasks/group-train.js';
import { openGroupSession, type GroupSession } from '../tasks/group-session.js';
import { openSession } from '../tasks/train.js';
import type { Params } from '../space/spec.js';
import type { Task, TaskContext } from '../tasks/types.js';
import type { Curve } from './curve.js';
import { scheduledLr } from './schedule.js';
import { CurveRecorder, sweep, type SweepOptions } from './sweep.js';

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
