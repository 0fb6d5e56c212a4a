/**
 * Groups through the Redis executor: the study forms groups with the pool's rule (eval/grouping.ts) and sends each
 * as one job; a remote worker trains it as one program and returns one outcome per member. Real redis-server and
 * `evotune worker` processes (build first). Without redis-server it skips with a message, or fails where services
 * are required (test/helpers/services.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluator } from '../src/eval/create.js';
import type { QueueEvaluator } from '../src/eval/queue/evaluator.js';
import type { TrialOutcome, TrialRequest } from '../src/eval/types.js';
import { journalLineSchema } from '../src/journal/format.js';
import { search, type SearchInput, type SearchResult } from '../src/search.js';
import { CLI, redisServerBinary, startRedis, startWorker, type RedisServer, type WorkerProcess } from '../support/redis-harness.js';
import { needService } from './helpers/services.js';

const hasRedis = needService('redis-server', redisServerBinary !== undefined, 'test/redis-groups.test.ts', 'install it with scripts/ci-redis.sh');

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

/** A run folder's journal lines about trials, without what grouping may change: times, the worker, the group's own metrics. */
type TrialLine = { type: string; trial: number; state?: string } & Record<string, unknown>;
function trialLines(dir: string): TrialLine[] {
  return readFileSync(join(dir, 'journal.jsonl'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => journalLineSchema.parse(JSON.parse(l)))
    .flatMap((l): TrialLine[] => {
      if (l.type === 'asked') return [{ ...l, at: '' }];
      if (l.type !== 'finished') return [];
      const { at: _a, durationMs: _d, worker: _w, ...rest } = l;
      if (rest.state === 'failed') return [rest];
      const { trainMs: _t, stepsPerSec: _s, groupSize: _g, groupMemberStepsPerSec: _r, ...metrics } = rest.metrics;
      return [{ ...rest, metrics }];
    })
    .sort((a, b) => a.trial - b.trial || a.type.localeCompare(b.type));
}
const groupSizes = (r: SearchResult) => r.history.map((t) => (t.outcome.state === 'failed' ? null : Number(t.outcome.metrics.groupSize ?? 1)));

describe.runIf(hasRedis)('groups through the redis executor', () => {
  let redis: RedisServer;
  let worker: WorkerProcess;

  beforeAll(async () => {
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

  it('groupTrials: off, every trial travels as a job of its own and trains alone; on (the default), as group jobs; the same outcomes', async () => {
    const requests: TrialRequest[] = Array.from({ length: 8 }, (_, i) => ({
      number: i,
      seed: 100 + i,
      params: { lr: 0.005 * (i + 1), optimizer: i % 2 === 0 ? 'adam' : 'sgd' },
    }));
    const run = async (groupTrials: boolean | undefined) => {
      const source = { kind: 'task', task: tiny, backend: 'wasm' } as const;
      const evaluator = createEvaluator(source, { executor: redis.url, workers: 1, groupTrials }) as QueueEvaluator;
      const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
      const queue = new Queue(`trials-${evaluator.study}`, { connection, prefix: 'evotune' });
      try {
        await evaluator.warm();
        const outcomes = await Promise.all(requests.map((r) => evaluator.run(r)));
        // The study's jobs, read from Redis before close() deletes its queue: how each trial travelled.
        const jobs = (await queue.getJobs(['completed'])).map((j) => ({ name: j.name, members: j.name === 'group' ? j.data.members.length : 1 }));
        return { outcomes, jobs, info: evaluator.info() };
      } finally {
        await queue.close();
        connection.disconnect();
        await evaluator.close();
      }
    };
    const value = (o: TrialOutcome) => (o.state === 'failed' ? o.kind : o.value);
    const size = (o: TrialOutcome) => (o.state === 'complete' ? Number(o.metrics.groupSize ?? 1) : null);

    const off = await run(false);
    expect(off.jobs.map((j) => j.name)).toEqual(Array(8).fill('trial'));
    expect(off.outcomes.map(size)).toEqual(Array(8).fill(1));
    expect(off.info.groupsBySize).toBeUndefined();

    const on = await run(undefined);
    expect(on.jobs.filter((j) => j.name === 'group').length).toBeGreaterThan(0);
    expect(on.jobs.reduce((n, j) => n + j.members, 0)).toBe(8);
    expect(on.outcomes.filter((o) => (size(o) ?? 0) > 1).length).toBeGreaterThan(0);
    expect(on.info.groupsBySize).toBeDefined();

    // Grouping never changes a trial's result.
    expect(on.outcomes.map(value)).toEqual(off.outcomes.map(value));
    for (const o of off.outcomes) expect(value(o)).toBeTypeOf('number');
  }, 400_000);

  it('a member that diverges fails as nan alone: its group-mates complete as they do ungrouped, the search goes on, the journal is the same', async () => {
    // Float32 weights overflow for lr past ~1e37: with seed 5, PSO's first generation holds two such members.
    const diverging = { lr: { type: 'float', low: 1e-2, high: 1e40, log: true } };
    const dir = mkdtempSync(join(tmpdir(), 'evotune-redis-nan-'));
    try {
      const run = (task: string, name: string) => search(base({ task, executor: redis.url, space: diverging as never, out: join(dir, name) }));
      const grouped = await run(tiny, 'grouped');
      const alone = await run(tinyAlone, 'alone');

      const nan = grouped.history.filter((t) => t.outcome.state === 'failed');
      expect(nan.length).toBeGreaterThan(0);
      for (const t of nan) expect(t.outcome).toMatchObject({ state: 'failed', kind: 'nan' });
      // Every member of a group that ended, complete or failed, ends as it does in its own job.
      expect(trials(grouped)).toEqual(trials(alone));
      expect(grouped.failuresByKind).toEqual({ nan: nan.length });
      // The diverged members were trained in groups with members that completed: each group (its members share
      // its size, rate and time) has as many members missing from the completed ones as there were nan trials.
      const groups = new Map<string, { size: number; complete: number }>();
      for (const t of grouped.history) {
        if (t.outcome.state !== 'complete') continue;
        const { groupSize: size, groupMemberStepsPerSec: rate, trainMs } = t.outcome.metrics;
        if (typeof size !== 'number' || size < 2) continue;
        const id = `${size}/${String(rate)}/${String(trainMs)}`;
        const g = groups.get(id) ?? { size, complete: 0 };
        g.complete++;
        groups.set(id, g);
      }
      const missing = [...groups.values()].reduce((sum, g) => sum + g.size - g.complete, 0);
      expect(missing).toBe(nan.length);
      // The search went on: later generations were asked and completed, and the best is the ungrouped run's.
      expect(grouped.trials).toBe(16);
      const lastNan = Math.max(...nan.map((t) => t.number));
      expect(grouped.history.filter((t) => t.number > lastNan && t.outcome.state === 'complete').length).toBeGreaterThan(4);
      expect(grouped.best?.value).toBeTypeOf('number');
      expect({ trial: grouped.best?.trial, value: grouped.best?.value }).toEqual({ trial: alone.best?.trial, value: alone.best?.value });

      // The journal records a grouped member, diverged or not, as it records the same trial ungrouped.
      const journal = trialLines(join(dir, 'grouped'));
      expect(journal).toEqual(trialLines(join(dir, 'alone')));
      const nanLines = journal.filter((l) => l.type === 'finished' && l.state === 'failed');
      expect(nanLines.map((l) => l.trial)).toEqual(nan.map((t) => t.number));
      for (const l of nanLines) expect(l).toMatchObject({ kind: 'nan' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 400_000);

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
