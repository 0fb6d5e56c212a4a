import { describe, expect, it } from 'vitest';
import { isEvotuneError } from '../src/errors.js';
import type { Params } from '../src/space/spec.js';
import { loadTf } from '../src/tf/backend.js';
import { OPTIMIZERS, SCHEDULES } from '../src/tasks/config.js';
import { groupKey, trainGroup, type GroupMember, type MemberResult } from '../src/tasks/group-train.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { trainAndEvaluate, type TrainResult } from '../src/tasks/train.js';
import type { Task } from '../src/tasks/types.js';

type Backend = 'wasm' | 'cpu';
const env = async (backend: Backend) => ({ tf: (await loadTf({ backend })).tf, backend });
const solo = async (task: Task, m: GroupMember, backend: Backend) => trainAndEvaluate(task, m.params, { ...(await env(backend)), seed: m.seed });
async function solos(task: Task, members: readonly GroupMember[], backend: Backend): Promise<TrainResult[]> {
  const out: TrainResult[] = [];
  for (const m of members) out.push(await solo(task, m, backend));
  return out;
}

/**
 * The stated tolerance is zero: a member's validation loss and accuracy are bit-for-bit its solo run's, on wasm and
 * on cpu (the same kernels on the same numbers; see tf/vectorised.ts).
 */
function expectSame(group: MemberResult, alone: TrainResult): void {
  expect(group.state).toBe(alone.diverged ? 'diverged' : 'complete');
  if (group.state !== 'complete') return;
  expect(group.loss).toBe(alone.loss);
  expect(group.accuracy).toBe(alone.accuracy);
  expect(group.steps).toBe(alone.steps);
}

/** One group per optimizer: one member per schedule, each with its own LR, momentum, weight decay and seed. */
function membersFor(optimizer: string): GroupMember[] {
  return SCHEDULES.map((schedule, i) => ({
    seed: 11 + i,
    params: {
      epochs: 2,
      optimizer,
      schedule,
      lr: [3e-3, 1e-2, 1e-3, 5e-3][i]!,
      momentum: [0.9, 0, 0.5, 0.8][i]!,
      weightDecay: [1e-6, 0, 1e-4, 0][i]!,
    } satisfies Params,
  }));
}

const MLP_TASKS = ['digits', 'wine', 'iris', 'spirals', 'sine'] as const;

describe('a member trained in a group ends where it ends alone', () => {
  for (const name of MLP_TASKS) {
    it(`${name}: every optimizer and schedule, on wasm`, async () => {
      const task = BUNDLED_TASKS[name]!;
      for (const optimizer of OPTIMIZERS) {
        const members = membersFor(optimizer);
        const group = await trainGroup(task, members, await env('wasm'));
        expect(group.memberSteps).toBe(group.members.reduce((n, r) => n + r.steps, 0));
        for (const [i, m] of members.entries()) expectSame(group.members[i]!, await solo(task, m, 'wasm'));
      }
    }, 180_000);
  }

  it('on cpu too (iris, one group per optimizer)', async () => {
    const task = BUNDLED_TASKS.iris!;
    for (const optimizer of OPTIMIZERS) {
      const members = membersFor(optimizer);
      const group = await trainGroup(task, members, await env('cpu'));
      for (const [i, m] of members.entries()) expectSame(group.members[i]!, await solo(task, m, 'cpu'));
    }
  }, 180_000);

  it('with dropout: each member draws its own masks at its own rate', async () => {
    const task = BUNDLED_TASKS.digits!;
    const members = [0.1, 0.3, 0.5].map((dropout, i) => ({ seed: 5 + i, params: { epochs: 2, dropout, lr: 3e-3 } }));
    const group = await trainGroup(task, members, await env('wasm'));
    const alone = await solos(task, members, 'wasm');
    members.forEach((_, i) => expectSame(group.members[i]!, alone[i]!));
    // The masks matter: the members did not all end alike.
    expect(new Set(alone.map((r) => r.loss)).size).toBe(3);
  }, 120_000);
});

describe('PBT rounds in a group: each member goes on from its own checkpoint as it would alone', () => {
  for (const name of ['spirals', 'wine'] as const) {
    it(`${name}: two rounds of two epochs, every optimizer, exploit + explore between them`, async () => {
      const task = BUNDLED_TASKS[name]!;
      const e = await env('wasm');
      const bits = (c: { weights: Float32Array; slots: readonly Float32Array[] } | undefined) =>
        c && [c.weights, ...c.slots].map((a) => Buffer.from(a.buffer).toString('hex'));
      for (const optimizer of OPTIMIZERS) {
        // Round 1 from scratch: a group of the whole population, epochs 0..2 of a 4-epoch schedule.
        const first: GroupMember[] = membersFor(optimizer).map((m) => ({
          ...m,
          params: { ...m.params, epochs: 4 },
          segment: { from: 0, to: 2 },
          wantCheckpoint: true,
        }));
        const g1 = await trainGroup(task, first, e);
        const a1: TrainResult[] = [];
        for (const m of first) a1.push(await trainAndEvaluate(task, m.params, { ...e, seed: m.seed }, { segment: m.segment, wantCheckpoint: true }));
        first.forEach((_, i) => {
          const g = g1.members[i]!;
          expect(g.state).toBe('complete');
          if (g.state === 'complete') expect(bits(g.checkpoint)).toEqual(bits(a1[i]!.checkpoint));
        });
        // Round 2: each member continues a other member's state (exploit) with its LR and momentum changed (explore).
        const second = first.map((m, i) => {
          const parent = g1.members[(i + 1) % first.length]!;
          if (parent.state !== 'complete' || !parent.checkpoint) throw new Error('round 1 member without a checkpoint');
          const params = { ...m.params, lr: Number(m.params.lr) * (i % 2 ? 0.8 : 1.25), momentum: 0.6 };
          return { seed: 100 + i, params, segment: { from: 2, to: 4 }, restore: parent.checkpoint, wantCheckpoint: true };
        });
        const g2 = await trainGroup(task, second, e);
        for (const [i, m] of second.entries()) {
          const alone = await trainAndEvaluate(
            task,
            m.params,
            { ...e, seed: m.seed },
            { segment: m.segment, restore: m.restore, wantCheckpoint: true },
          );
          const g = g2.members[i]!;
          expectSame(g, alone);
          expect(g.state === 'complete' && g.epochs).toBe(alone.epochs);
          if (g.state === 'complete') expect(bits(g.checkpoint)).toEqual(bits(alone.checkpoint));
        }
      }
    }, 180_000);
  }

  it('a group that mixes spans, or restored and fresh members, is refused naming the segment', async () => {
    const task = BUNDLED_TASKS.iris!;
    const e = await env('wasm');
    const [a, b] = membersFor('adam');
    const fresh = { ...a!, params: { ...a!.params, epochs: 4 }, segment: { from: 0, to: 2 }, wantCheckpoint: true };
    const g = await trainGroup(task, [fresh, { ...b!, params: { ...b!.params, epochs: 4 }, segment: { from: 0, to: 2 } }], e);
    const state = g.members[0]!.state === 'complete' ? g.members[0]!.checkpoint : undefined;
    expect(state).toBeDefined();
    const restored = { ...fresh, segment: { from: 2, to: 4 }, restore: state! };
    for (const members of [
      [fresh, { ...fresh, segment: { from: 0, to: 3 } }],
      [restored, { ...fresh, segment: { from: 2, to: 4 } }],
    ]) {
      const err = await trainGroup(task, members, e).catch((x: unknown) => x);
      expect(isEvotuneError(err) && err.message).toMatch(/segment/);
    }
  }, 60_000);
});

describe('members fail and stop alone', () => {
  it('a member that diverges is reported diverged; the others equal their solo runs', async () => {
    const task = BUNDLED_TASKS.iris!;
    const members: GroupMember[] = [
      { seed: 1, params: { epochs: 3, optimizer: 'sgd', lr: 0.05, momentum: 0.9 } },
      { seed: 2, params: { epochs: 3, optimizer: 'sgd', lr: 1e6, momentum: 0.9 } },
      { seed: 3, params: { epochs: 3, optimizer: 'sgd', lr: 0.01, momentum: 0.5 } },
    ];
    const group = await trainGroup(task, members, await env('wasm'));
    const alone = await solos(task, members, 'wasm');
    expect(alone[1]!.diverged).toBe(true);
    expect(group.members[1]).toMatchObject({ state: 'diverged', epoch: 1 });
    expectSame(group.members[0]!, alone[0]!);
    expectSame(group.members[2]!, alone[2]!);
    // The diverged member stopped costing steps after its first epoch.
    expect(group.memberSteps).toBe(alone[0]!.steps + alone[2]!.steps + alone[0]!.steps / 3);
  }, 60_000);

  it('a member told false by its report stops there (pruned, last value reported); the others go on unchanged', async () => {
    const task = BUNDLED_TASKS.wine!;
    const seen: Array<[number, number, number]> = [];
    const reporting = (member: number, stopAt: number) => (epoch: number, loss: number) => {
      seen.push([member, epoch, loss]);
      return epoch < stopAt;
    };
    const members: GroupMember[] = [
      { seed: 1, params: { epochs: 3, lr: 1e-3 }, report: reporting(0, 99) },
      { seed: 2, params: { epochs: 3, lr: 1e-2 }, report: reporting(1, 1) },
      { seed: 3, params: { epochs: 3, lr: 3e-3 } },
    ];
    const group = await trainGroup(task, members, await env('wasm'));
    // Constant schedule: a solo run of 1 epoch is the pruned member's first epoch.
    const prunedAlone = await solo(task, { ...members[1]!, params: { ...members[1]!.params, epochs: 1 } }, 'wasm');
    const pruned = group.members[1]!;
    expect(pruned.state).toBe('pruned');
    if (pruned.state === 'pruned') {
      expect(pruned.epoch).toBe(1);
      expect(pruned.loss).toBe(prunedAlone.loss);
    }
    expect(seen.filter(([m]) => m === 1).map(([, e]) => e)).toEqual([1]);
    expect(seen.filter(([m]) => m === 0).map(([, e]) => e)).toEqual([1, 2, 3]);
    // The last report of a member that completes is its final validation loss.
    const first = group.members[0]!;
    expect(first.state === 'diverged' ? undefined : seen.filter(([m]) => m === 0).at(-1)![2]).toBe(
      first.state === 'diverged' ? undefined : first.loss,
    );
    expectSame(group.members[0]!, await solo(task, members[0]!, 'wasm'));
    expectSame(group.members[2]!, await solo(task, members[2]!, 'wasm'));
  }, 60_000);
});

describe('grouping rules and resources', () => {
  it('groupKey: trials that differ in LR, momentum, schedule or dropout rate agree; architecture, batch size, epochs or optimizer split them', async () => {
    const task = BUNDLED_TASKS.digits!;
    const e = await env('wasm');
    const base = groupKey(task, { dropout: 0.1 }, e);
    expect(base).toBeDefined();
    expect(groupKey(task, { dropout: 0.4, lr: 0.1, momentum: 0.5, schedule: 'cosine', weightDecay: 1e-3 }, e)).toBe(base);
    for (const differ of [{ units: 32 }, { batchSize: 64 }, { epochs: 3 }, { optimizer: 'sgd' }, { dropout: 0 }] as Params[]) {
      expect(groupKey(task, { dropout: 0.1, ...differ }, e)).not.toBe(base);
    }
    expect(groupKey(BUNDLED_TASKS['digits-cnn']!, {}, e)).toBeUndefined();
  });

  it('members that cannot share a program are an error naming the reason, and leave no tensors behind', async () => {
    const e = await env('wasm');
    const before = e.tf.memory().numTensors;
    const err = await trainGroup(
      BUNDLED_TASKS.iris!,
      [
        { seed: 1, params: {} },
        { seed: 2, params: { batchSize: 8 } },
      ],
      e,
    ).catch((x: unknown) => x);
    expect(isEvotuneError(err)).toBe(true);
    expect((err as Error).message).toMatch(/^task iris: group member 1 differs from member 0/);
    const conv = await trainGroup(BUNDLED_TASKS['digits-cnn']!, [{ seed: 1, params: {} }], e).catch((x: unknown) => x);
    expect((conv as Error).message).toMatch(/Sequential stacks of Dense, Dropout and Flatten/);
    expect(e.tf.memory().numTensors).toBe(before);
  });

  it('the tensor count and backend bytes stay flat over many groups, pruned and diverged members included', async () => {
    const e = await env('wasm');
    const task = BUNDLED_TASKS.iris!;
    const round = (r: number) =>
      trainGroup(
        task,
        [
          { seed: r, params: { epochs: 2, optimizer: 'sgd', lr: 0.05 } },
          { seed: r + 100, params: { epochs: 2, optimizer: 'sgd', lr: 1e6 } },
          { seed: r + 200, params: { epochs: 2, optimizer: 'sgd', lr: 0.01 }, report: () => false },
        ],
        e,
      );
    await round(0);
    const before = e.tf.memory();
    for (let r = 1; r <= 15; r++) await round(r);
    const after = e.tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  }, 120_000);
});
