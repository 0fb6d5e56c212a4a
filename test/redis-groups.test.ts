/**
 * Groups through the Redis executor: the study forms groups with the pool's rule (eval/grouping.ts) and sends each
 * as one job; a remote worker trains it as one program and returns one outcome per member. Real redis-server and
 * `evotune worker` processes (build first). Fails, never skips, when redis-server is missing.
 */
import { existsSync } from 'node:fs';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { search, type SearchInput, type SearchResult } from '../src/search.js';
import { CLI, redisServerBinary, startRedis, startWorker, type RedisServer, type WorkerProcess } from '../support/redis-harness.js';

const tiny = new URL('./fixtures/tiny-task.mjs', import.meta.url).href;
/** The same task, declared never to group: the ungrouped run through Redis. */
const tinyAlone = new URL('./fixtures/tiny-task-alone.mjs', import.meta.url).href;

/** A fixed architecture (units from the defaults): trials group by optimizer. */
const space = {
  lr: { type: 'float', low: 1e-3, high: 1e36, log: true },
  optimizer: { type: 'categorical', choices: ['sgd', 'adam'] },
} as const;

const trials = (r: SearchResult) =>
  r.history.map((t) => ({ number: t.number, params: t.params, value: t.outcome.state === 'failed' ? t.outcome.kind : t.outcome.value }));
const groupSizes = (r: SearchResult) => r.history.map((t) => (t.outcome.state === 'failed' ? null : Number(t.outcome.metrics.groupSize ?? 1)));

describe('groups through the redis executor', () => {
  let redis: RedisServer;
  let worker: WorkerProcess;

  beforeAll(async () => {
    if (!redisServerBinary) throw new Error('redis-server is not on PATH: these tests need it (install it with scripts/ci-redis.sh)');
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
    redis = await startRedis();
    worker = startWorker(redis.url, ['--concurrency', '2']);
    await worker.waitFor(/trial slot/, 60_000);
  }, 90_000);

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await worker?.exited;
    await redis?.stop();
  });

  const base = (extra: Partial<SearchInput>): SearchInput => ({
    task: tiny,
    space: space as never,
    strategy: 'pso',
    strategyOptions: { swarmSize: 8 },
    budget: 16,
    seed: 5,
    backend: 'wasm',
    ...extra,
  });

  it('same trials and best grouped, ungrouped and on the local pool; malformed jobs are refused', async () => {
    const grouped = search(base({ executor: redis.url }));
    // Hostile jobs on the study's queue, while the worker loads: refused with a line each, the search unharmed.
    const [, study] = await worker.waitFor(/study ([0-9a-f]{12}) from .*: loading/, 60_000);
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(`trials-${study}`, { connection, prefix: 'evotune' });
    try {
      await queue.add(
        'group',
        {
          members: [
            { number: 'x', params: {}, seed: 1 },
            { number: 2, params: {}, seed: 1 },
          ],
        },
        { jobId: 'evil-1' },
      );
      await queue.add('group', { members: 'none' }, { jobId: 'evil-2' });
      const many = Array.from({ length: 65 }, (_, i) => ({ number: 1000 + i, params: {}, seed: 1 }));
      await queue.add('group', { members: many }, { jobId: 'evil-3' });
    } finally {
      await queue.close();
      connection.disconnect();
    }
    const remote = await grouped;
    const alone = await search(base({ task: tinyAlone, executor: redis.url }));
    const local = await search(base({ workers: 2 }));

    expect(remote.trials).toBe(16);
    expect(trials(remote)).toEqual(trials(local));
    expect(trials(alone)).toEqual(trials(local));
    // The best trial, its params and value (its time and group metrics are the only things grouping changes).
    const best = (r: SearchResult) => ({ trial: r.best?.trial, params: r.best?.params, value: r.best?.value });
    expect(best(remote)).toEqual(best(local));
    expect(best(alone)).toEqual(best(local));
    expect(best(remote).value).toBeTypeOf('number');

    // Grouped: members trained in groups (split by optimizer), shown as the pool shows them; ungrouped: none.
    expect(groupSizes(remote).filter((k) => k !== null && k > 1).length).toBeGreaterThan(0);
    expect(remote.evaluatorStats.groupsBySize).toBeDefined();
    expect(remote.evaluatorStats.groupMemberStepsPerSec).toBeGreaterThan(0);
    expect(local.evaluatorStats.groupsBySize).toBeDefined();
    expect(alone.evaluatorStats.groupsBySize).toBeUndefined();
    expect(groupSizes(alone).every((k) => k === null || k === 1)).toBe(true);

    for (const t of remote.history) expect(t.outcome.worker).toMatch(new RegExp(`:${worker.pid}/`));

    const log = worker.output();
    expect(log).toMatch(/job evil-1 refused: malformed group request \(members\.0\.number: /);
    expect(log).toMatch(/job evil-2 refused: malformed group request \(members: /);
    expect(log).toMatch(/job evil-3 refused: malformed group request \(members: /);
  }, 900_000);

  it("a group past its members' time limits fails every member as a timeout that says it was grouped", async () => {
    const r = await search(
      base({
        executor: redis.url,
        space: { lr: { type: 'float', low: 1e-3, high: 1e-1, log: true } } as never,
        budget: 4,
        strategyOptions: { swarmSize: 4 },
        trialTimeout: 0.001,
      }),
    );
    expect(r.failed).toBe(4);
    for (const t of r.history) {
      expect(t.outcome).toMatchObject({ state: 'failed', kind: 'timeout' });
      if (t.outcome.state === 'failed') expect(t.outcome.message).toMatch(/trained in a group of 4/);
    }
  }, 400_000);
});
