/**
 * Schedulers and PBT through the Redis executor: prune rules travel in the job, checkpoints travel both ways
 * (base64 of the checkpoint codec), and the results equal the local pool's. Real redis-server and `evotune worker`.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { search, type SearchResult } from '../src/search.js';
import { needService } from './helpers/services.js';
import { CLI, redisServerBinary, startRedis, startWorker, type RedisServer, type WorkerProcess } from '../support/redis-harness.js';

const hasRedis = needService(
  'redis-server',
  redisServerBinary !== undefined,
  'test/multifidelity-redis.test.ts',
  'install it with scripts/ci-redis.sh',
);

const curve = new URL('./fixtures/curve.mjs', import.meta.url);
const toy = new URL('./fixtures/pbt-toy.mjs', import.meta.url);
const space = { x: { type: 'float', low: -2, high: 2 }, y: { type: 'float', low: -2, high: 2 } } as const;
const trials = (r: SearchResult) =>
  r.history.map((t) => [t.number, t.parent ?? null, t.outcome.state, t.outcome.state === 'failed' ? t.outcome.kind : t.outcome.value]);

describe.skipIf(!hasRedis)('multi-fidelity through redis', () => {
  let redis: RedisServer;
  let worker: WorkerProcess;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
    redis = await startRedis();
    worker = startWorker(redis.url, ['--concurrency', '2']);
  });

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await worker?.exited;
    await redis?.stop();
  });

  it('asha prunes the same trials remotely as locally', async () => {
    const base = { fitness: curve, space, strategy: 'ga', budget: 40, seed: 8, scheduler: 'asha', schedulerOptions: { maxResource: 20 } } as const;
    const remote = await search({ ...base, executor: redis.url });
    const local = await search({ ...base, workers: 2 });
    expect(remote.pruned).toBeGreaterThan(0);
    expect(trials(remote)).toEqual(trials(local));
    expect(remote.best).toEqual(local.best);
  });

  it('pbt hands checkpoints through redis and ends where the local pool ends', async () => {
    const base = {
      fitness: toy,
      space: { lr: { type: 'float', low: 1e-4, high: 0.4, log: true } },
      strategy: 'pbt',
      strategyOptions: { population: 6, readyEpochs: 2 },
      seed: 2,
      budgetEpochs: 36,
    } as const;
    const remote = await search({ ...base, executor: redis.url });
    const local = await search({ ...base, workers: 2 });
    expect(remote.trials).toBe(18);
    expect(trials(remote)).toEqual(trials(local));
    expect(remote.lineage).toEqual(local.lineage);
  });
});
