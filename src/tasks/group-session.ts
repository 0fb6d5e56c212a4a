/**
 * openSession (train.ts) for K members of one architecture that differ only in seed: one vectorised program
 * (tf/vectorised.ts) steps them all at LRs set from outside and returns every member's loss of the step, as the
 * LR range test needs. Member k's numbers are those of openSession with its seed (same initial weights, batch order,
 * dropout masks and kernels); members leave the program when the caller drops them (a diverged range test).
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Params } from '../space/spec.js';
import { memberLoss } from '../tf/loss.js';
import type { StackedOptimizer, VectorisedProgram } from '../tf/vectorised.js';
import { assembleGroup, type GroupData } from './group-train.js';
import type { Task, TaskContext, TF } from './types.js';

type Tensor = tfjs.Tensor;

export interface GroupSession {
  readonly stepsPerEpoch: number;
  /** Seeds of the members still training, in row order. */
  readonly seeds: readonly number[];
  /** One step of every member still training, row i at lrs[i]; returns each one's training loss of the step. */
  trainStep(lrs: readonly number[]): Float32Array;
  /** Each member's loss on the validation split. */
  validationLosses(): Float32Array;
  /** Keeps only these rows (indices into `seeds`, ascending): the others stop costing anything. */
  keep(rows: readonly number[]): void;
  dispose(): void;
}

/** Builds one model per seed as openSession would (params as given, the task's defaults under them) and stacks them. */
export async function openGroupSession(task: Task, params: Params, seeds: readonly number[], ctx: Omit<TaskContext, 'seed'>): Promise<GroupSession> {
  const p = await assembleGroup(
    task,
    seeds.map((seed) => ({ seed, params })),
    ctx,
  );
  return new StackedSession(ctx.tf, task.kind, [...seeds], p.built[0]!.rates, p.group, p.program, p.optimizer, p.weights);
}

class StackedSession implements GroupSession {
  private step = 0;
  /** The epoch whose batch order `group` holds for the current members (-1: none). */
  private laidOut = -1;
  private disposed = false;

  constructor(
    private readonly tf: TF,
    private readonly kind: Task['kind'],
    public seeds: number[],
    private readonly rates: readonly number[],
    private readonly group: GroupData,
    private readonly program: VectorisedProgram,
    private readonly optimizer: StackedOptimizer,
    private weights: Tensor[],
  ) {}

  get stepsPerEpoch(): number {
    return this.group.stepsPerEpoch;
  }

  trainStep(lrs: readonly number[]): Float32Array {
    if (this.disposed) throw new Error('trainStep on a disposed group session');
    const tf = this.tf;
    const epoch = Math.floor(this.step / this.stepsPerEpoch);
    if (this.laidOut !== epoch) {
      this.group.reshuffle(this.seeds, epoch);
      this.laidOut = epoch;
    }
    const { weights, loss } = tf.tidy(() => {
      const { x, y } = this.group.batch(this.step % this.stepsPerEpoch, this.seeds.length);
      const r = this.program.gradientsWithLoss(x, y, this.weights, this.step);
      return { weights: this.optimizer.step(r.grads, lrs), loss: r.loss };
    });
    tf.dispose(this.weights);
    this.weights = weights;
    this.step++;
    const out = Float32Array.from(loss.dataSync() as Float32Array);
    loss.dispose();
    return out;
  }

  validationLosses(): Float32Array {
    const tf = this.tf;
    const loss = tf.tidy(() => memberLoss(tf, this.kind, this.program.predict(this.group.xVal, this.weights), this.group.yVal));
    const out = Float32Array.from(loss.dataSync() as Float32Array);
    loss.dispose();
    return out;
  }

  keep(rows: readonly number[]): void {
    if (rows.length === this.seeds.length) return;
    const tf = this.tf;
    this.optimizer.keepRows(rows);
    this.seeds = rows.map((r) => this.seeds[r]!);
    this.program.setMembers(this.seeds.map((seed) => ({ seed, rates: this.rates })));
    const kept = tf.tidy(() => this.optimizer.variables());
    tf.dispose(this.weights);
    this.weights = kept;
    this.laidOut = -1; // the epoch's batches are laid out per member: lay them out again for those left
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.tf.dispose(this.weights);
    this.group.dispose();
    this.program.dispose();
    this.optimizer.dispose();
  }
}
