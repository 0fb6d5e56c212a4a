import { describe, expect, it } from 'vitest';
import { createEvaluator } from '../src/eval/create.js';
import type { PoolEvaluator } from '../src/eval/pool.js';
import type { TrialOutcome, TrialRequest } from '../src/eval/types.js';
import type { Params } from '../src/space/spec.js';
import { loadTf } from '../src/tf/backend.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { trainAndEvaluate } from '../src/tasks/train.js';

// The pool runs dist/src/eval/worker.js: build first (npx tsc -p tsconfig.json).
async function withTaskPool<T>(
  task: string,
  opts: { trialTimeoutMs?: number; groupTrials?: boolean },
  f: (pool: PoolEvaluator) => Promise<T>,
): Promise<T> {
  // Built as search() builds it, so that the switch is seen to reach the pool.
  const trialTimeout = opts.trialTimeoutMs === undefined ? undefined : opts.trialTimeoutMs / 1000;
  const source = { kind: 'task', task, backend: 'wasm' } as const;
  const pool = createEvaluator(source, { executor: 'threads', workers: 1, trialTimeout, groupTrials: opts.groupTrials }) as PoolEvaluator;
  try {
    await pool.warm();
    return await f(pool);
  } finally {
    await pool.close();
  }
}

const requests = (params: readonly Params[]): TrialRequest[] => params.map((p, i) => ({ number: i, params: p, seed: 500 + i }));
const value = (o: TrialOutcome) => (o.state === 'complete' ? o.value : `${o.state}${o.state === 'failed' ? ` ${o.kind}` : ''}`);

describe('the pool trains trials of an MLP task in groups', () => {
  it('each trial ends exactly as it does alone; a diverging one fails as nan alone; grouping shows in info()', async () => {
    const params: Params[] = [
      ...[1e-3, 3e-3, 1e-2, 3e-2].map((lr, i) => ({ epochs: 3, optimizer: 'sgd', lr, momentum: [0.9, 0.5, 0, 0.8][i]! })),
      { epochs: 3, optimizer: 'sgd', lr: 1e6, momentum: 0.9 }, // diverges
      { epochs: 3, optimizer: 'sgd', lr: 1e-2, units: 8 }, // another architecture: trains alone
    ];
    const reqs = requests(params);
    const { outcomes, info } = await withTaskPool('iris', {}, async (pool) => ({
      outcomes: await Promise.all(reqs.map((r) => pool.run(r))),
      info: pool.info(),
    }));
    const { tf } = await loadTf({ backend: 'wasm' });
    for (const [i, r] of reqs.entries()) {
      const alone = await trainAndEvaluate(BUNDLED_TASKS.iris!, r.params, { tf, backend: 'wasm', seed: r.seed });
      expect(value(outcomes[i]!)).toEqual(alone.diverged ? 'failed nan' : alone.loss);
    }
    const grouped = outcomes.slice(0, 4).map((o) => (o.state === 'complete' ? o.metrics.groupSize : undefined));
    expect(grouped).toEqual([5, 5, 5, 5]);
    const alone = outcomes[5]!;
    expect(alone.state).toBe('complete');
    if (alone.state === 'complete') expect(alone.metrics.groupSize).toBeUndefined();
    expect(info).toMatchObject({ groupsBySize: { 5: 1 } });
    expect(info.groupMemberStepsPerSec).toBeGreaterThan(0);
  }, 120_000);

  it('with grouping off, the same requests give the same outcomes: values, reports, prunings and checkpoints', async () => {
    const reqs: TrialRequest[] = [
      { ...requests([{ epochs: 3, lr: 1e-3 }])[0]!, wantCheckpoint: true },
      { number: 1, seed: 501, params: { epochs: 3, lr: 1e-2 }, prune: { checks: [{ step: 2, threshold: -1 }] }, wantCheckpoint: true },
      { number: 2, seed: 502, params: { epochs: 3, lr: 3e-2, optimizer: 'adam' } },
    ];
    // Time metrics and the group's own metrics aside, an outcome must not depend on grouping.
    const comparable = (o: TrialOutcome) => {
      const { durationMs: _d, worker: _w, ...rest } = o;
      if (rest.state === 'failed') return rest;
      const { trainMs: _t, stepsPerSec: _s, groupSize: _g, groupMemberStepsPerSec: _r, ...metrics } = rest.metrics;
      return { ...rest, metrics };
    };
    const run = (groupTrials: boolean) => withTaskPool('wine', { groupTrials }, (pool) => Promise.all(reqs.map((r) => pool.run(r))));
    const on = await run(true);
    expect(on.map((o) => o.state)).toEqual(['complete', 'pruned', 'complete']);
    expect(on.map((o) => (o.state === 'failed' ? undefined : o.metrics.groupSize))).toEqual([3, 3, 3]);
    expect(on[0]!.state === 'complete' && on[0]!.checkpoint).toBeTruthy();
    const off = await run(false);
    expect(off.map((o) => (o.state === 'failed' ? undefined : o.metrics.groupSize))).toEqual([undefined, undefined, undefined]);
    expect(off.map(comparable)).toEqual(on.map(comparable));
  }, 120_000);

  it('PBT rounds group too: members restored from checkpoints go on as they do alone, grouped or not', async () => {
    const first: TrialRequest[] = [1e-3, 3e-3, 1e-2].map((lr, i) => ({
      number: i,
      seed: 700 + i,
      params: { epochs: 4, lr },
      segment: { from: 0, to: 2 },
      wantCheckpoint: true,
    }));
    const comparable = (o: TrialOutcome) => {
      const { durationMs: _d, worker: _w, ...rest } = o;
      if (rest.state === 'failed') return rest;
      const { trainMs: _t, stepsPerSec: _s, groupSize: _g, groupMemberStepsPerSec: _r, ...metrics } = rest.metrics;
      return { ...rest, metrics };
    };
    const rounds = (groupTrials: boolean) =>
      withTaskPool('wine', { groupTrials }, async (pool) => {
        const one = await Promise.all(first.map((r) => pool.run(r)));
        // Round 2: every member continues the next member's state with its own LR (exploit + explore).
        const second: TrialRequest[] = first.map((_r, i) => {
          const parent = one[(i + 1) % one.length]!;
          if (parent.state !== 'complete' || !parent.checkpoint) throw new Error(`round 1 trial ${i} has no checkpoint`);
          return {
            number: 3 + i,
            seed: 800 + i,
            params: { epochs: 4, lr: 2e-3 * (i + 1) },
            segment: { from: 2, to: 4 },
            restore: parent.checkpoint,
            wantCheckpoint: true,
          };
        });
        return [...one, ...(await Promise.all(second.map((r) => pool.run(r))))];
      });
    const on = await rounds(true);
    expect(on.map((o) => o.state)).toEqual(Array(6).fill('complete'));
    expect(on.map((o) => (o.state === 'complete' ? o.metrics.groupSize : undefined))).toEqual(Array(6).fill(3));
    expect((await rounds(false)).map(comparable)).toEqual(on.map(comparable));
  }, 120_000);

  it("a group past its members' time limits fails every member as a timeout that says it was grouped", async () => {
    const reqs = requests([1e-3, 2e-3, 3e-3].map((lr) => ({ epochs: 20, lr })));
    const outcomes = await withTaskPool('digits', { trialTimeoutMs: 5 }, (pool) => Promise.all(reqs.map((r) => pool.run(r))));
    for (const o of outcomes) {
      expect(o).toMatchObject({ state: 'failed', kind: 'timeout' });
      if (o.state === 'failed') expect(o.message).toMatch(/trained in a group of 3 \(time limit 3 x 5 ms\)/);
    }
  }, 120_000);
});
