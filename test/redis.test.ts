/**
 * The Redis executor against a real redis-server, with `evotune worker`s as separate processes (run from dist/:
 * build first). Skipped, with the reason printed, when no redis-server binary is on PATH.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { search, type SearchInput, type SearchResult } from '../src/search.js';
import { needService } from './helpers/services.js';
import { CLI, redisServerBinary, startRedis, startWorker, type RedisServer, type WorkerProcess } from '../support/redis-harness.js';

const hasRedis = needService('redis-server', redisServerBinary !== undefined, 'test/redis.test.ts', 'install it with scripts/ci-redis.sh');

const space = { x: { type: 'float', low: -1, high: 1 }, y: { type: 'float', low: -1, high: 1 } } as const;

/** A fitness module that sleeps `ms` and then scores params plus a term of the trial's seed (so seeding shows). */
function fitnessModule(dir: string, name: string, ms: number): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(
    file,
    `export default async function fitness(params, ctx) {
  await new Promise((r) => setTimeout(r, ${ms}));
  return (params.x - 0.3) ** 2 + (params.y + 0.2) ** 2 + (ctx.seed % 1000) / 1e6;
}\n`,
  );
  return file;
}

/** What a user compares between two runs: which trials ran, with which params, and what they scored. */
const trials = (r: SearchResult) =>
  r.history.map((t) => ({ number: t.number, params: t.params, value: t.outcome.state !== 'failed' ? t.outcome.value : t.outcome.kind }));

describe.skipIf(!hasRedis)('redis executor', () => {
  let redis: RedisServer;
  let dir: string;
  let fast: string;
  let slow: string;
  const workers: WorkerProcess[] = [];
  const worker = (url: string, args: string[]) => {
    const w = startWorker(url, args);
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.json)`);
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'evotune-redis-test-'));
    fast = fitnessModule(dir, 'fast', 20);
    slow = fitnessModule(dir, 'slow', 700);
  });

  afterEach(async () => {
    for (const w of workers.splice(0)) {
      w.kill('SIGKILL');
      await w.exited;
    }
  });

  afterAll(async () => {
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const base = (fitness: string, extra: Partial<SearchInput> = {}): SearchInput => ({
    fitness,
    space: space as never,
    strategy: 'pso',
    strategyOptions: { swarmSize: 6 },
    budget: 18,
    seed: 11,
    ...extra,
  });

  it('finishes a search with the same trials and best as the local pool', async () => {
    const w = worker(redis.url, ['--concurrency', '2']);
    const remote = await search(base(fast, { executor: redis.url }));
    const local = await search(base(fast, { workers: 2 }));
    expect(remote.trials).toBe(18);
    expect(remote.failed).toBe(0);
    expect(trials(remote)).toEqual(trials(local));
    expect(remote.best).toEqual(local.best);
    // Each outcome names the process that ran it.
    for (const t of remote.history) expect(t.outcome.worker).toMatch(new RegExp(`:${w.pid}/`));
    expect(w.output()).toMatch(/trial 17 ok/);
  });

  it('loses nothing when a worker is killed with SIGKILL mid-trial', async () => {
    const a = worker(redis.url, ['--concurrency', '1', '--stall-timeout', '2']);
    const b = worker(redis.url, ['--concurrency', '1', '--stall-timeout', '2']);
    const warnings: string[] = [];
    const running = search(base(slow, { executor: redis.url, budget: 6, onWarning: (m) => warnings.push(m) }));
    const [, killedTrial] = await a.waitFor(/trial (\d+) started/);
    a.kill('SIGKILL');
    const result = await running;
    expect(result.trials).toBe(6);
    expect(result.failed).toBe(0);
    const retaken = result.history.find((t) => t.number === Number(killedTrial))!;
    expect(retaken.outcome.worker).toMatch(new RegExp(`:${b.pid}/`));
    expect(warnings.join('\n')).toMatch(new RegExp(`trial ${killedTrial}: its worker stopped responding`));
    expect(b.output()).toMatch(new RegExp(`trial ${killedTrial} started \\(attempt [2-9]\\)`));
  });

  it('shares the trials between two workers', async () => {
    const a = worker(redis.url, ['--concurrency', '1']);
    const b = worker(redis.url, ['--concurrency', '1']);
    await Promise.all([a.waitFor(/trial slot/), b.waitFor(/trial slot/)]);
    const result = await search(base(fitnessModule(dir, 'share', 150), { executor: redis.url, budget: 12 }));
    expect(result.failed).toBe(0);
    const ran = (w: WorkerProcess) => result.history.filter((t) => t.outcome.worker.includes(`:${w.pid}/`)).length;
    expect(ran(a)).toBeGreaterThan(0);
    expect(ran(b)).toBeGreaterThan(0);
    expect(ran(a) + ran(b)).toBe(12);
  });

  it('finishes the running trial on SIGINT, then exits cleanly', async () => {
    const w = worker(redis.url, ['--concurrency', '1']);
    const running = search(base(slow, { executor: redis.url, budget: 1 }));
    await w.waitFor(/trial 0 started/);
    w.kill('SIGINT');
    const result = await running;
    expect(result.history[0]!.outcome.state).toBe('complete');
    expect(await w.exited).toBe(0);
    expect(w.output()).toMatch(/SIGINT: taking no more trials; finishing 1 running[\s\S]*stopped: 1 trials run, 0 failed/);
  });

  it('hands the running trial back to the queue on a second SIGINT', async () => {
    // A stall timeout longer than the test: only a hand-back lets another worker take the trial.
    const a = worker(redis.url, ['--concurrency', '1', '--stall-timeout', '600']);
    const running = search(base(slow, { executor: redis.url, budget: 2 }));
    const [, trial] = await a.waitFor(/trial (\d+) started/);
    a.kill('SIGINT');
    await a.waitFor(/SIGINT: taking no more trials/);
    a.kill('SIGINT');
    expect(await a.exited).toBe(0);
    const b = worker(redis.url, ['--concurrency', '1', '--stall-timeout', '600']);
    const result = await running;
    expect(result.failed).toBe(0);
    expect(result.history[Number(trial)]!.outcome.worker).toMatch(new RegExp(`:${b.pid}/`));
    expect(b.output()).toMatch(new RegExp(`trial ${trial} started \\(attempt 2\\)`));
  });

  it('times a trial out as the local pool does, and goes on', async () => {
    const hang = join(dir, 'hang.mjs');
    writeFileSync(hang, 'export default async (p, ctx) => { if (ctx.trial === 1) await new Promise(() => {}); return p.x ** 2; };\n');
    worker(redis.url, ['--concurrency', '1']);
    const result = await search({ fitness: hang, space: space as never, strategy: 'random', budget: 3, trialTimeout: 1, executor: redis.url });
    expect(result.history.map((t) => (t.outcome.state !== 'failed' ? 'ok' : t.outcome.kind))).toEqual(['ok', 'timeout', 'ok']);
  });

  it('says that no worker serves the study, and stops after --worker-wait', async () => {
    await expect(search(base(fast, { executor: redis.url, workerWait: 1 }))).rejects.toThrow(/no worker was connected to study \w+ for 1 s/);
  });

  it('tells the study why a worker refuses its module (--allow)', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'evotune-allow-'));
    try {
      // Started before the search, so that a slow start on a loaded machine does not eat the 5 s wait.
      await worker(redis.url, ['--concurrency', '1', '--allow', elsewhere]).waitFor(/trial slot/);
      const warnings: string[] = [];
      await expect(search(base(fast, { executor: redis.url, workerWait: 5, onWarning: (m) => warnings.push(m) }))).rejects.toThrow(/no worker/);
      expect(warnings.join('\n')).toMatch(/workers refused it: .*fast\.mjs is not under --allow/);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('survives Redis restarting empty mid-search, with the same result', async () => {
    const w = worker(redis.url, ['--concurrency', '2']);
    let restarted: Promise<void> | undefined;
    const warnings: string[] = [];
    const input = base(fitnessModule(dir, 'restart', 150), { budget: 12 });
    const remote = await search({
      ...input,
      executor: redis.url,
      onWarning: (m) => warnings.push(m),
      // While the second generation's first trials run and the next ones wait: their jobs are lost.
      onEvent: (e) => {
        if (e.type === 'asked' && e.trial === 8) setTimeout(() => (restarted = redis.restart()), 60);
      },
    });
    await restarted;
    const local = await search({ ...input, workers: 2 });
    expect(trials(remote)).toEqual(trials(local));
    expect(warnings.join('\n')).toMatch(/cannot reach redis:\/\/127\.0\.0\.1:\d+: .*retrying with backoff\nreconnected to redis:\/\/127\.0\.0\.1/);
    expect(w.output()).toMatch(/reconnected to redis:\/\/127\.0\.0\.1/);
  });
});

describe.skipIf(!hasRedis)('redis executor with a password', () => {
  const password = 'pa:ss@w0rd';
  let redis: RedisServer;
  let dir: string;
  let w: WorkerProcess | undefined;

  beforeAll(async () => {
    redis = await startRedis({ password });
    dir = mkdtempSync(join(tmpdir(), 'evotune-redis-pw-'));
  });

  afterAll(async () => {
    if (w) {
      w.kill('SIGKILL');
      await w.exited;
    }
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a search and never prints the password, not even when it is wrong', async () => {
    const encoded = encodeURIComponent(password);
    w = startWorker(redis.url, ['--concurrency', '1']);
    const warnings: string[] = [];
    const result = await search({
      fitness: fitnessModule(dir, 'pw', 10),
      space: space as never,
      budget: 4,
      executor: redis.url,
      onWarning: (m) => warnings.push(m),
    });
    expect(result.failed).toBe(0);
    expect(result.evaluator).toContain(`redis://***@127.0.0.1:${redis.port}`);

    const wrong = redis.url.replace(encoded, `n0t-${encoded}`);
    const error = await search({ fitness: join(dir, 'pw.mjs'), space: space as never, budget: 1, executor: wrong }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(error).toMatch(/refused the credentials/);
    const bad = startWorker(wrong);
    expect(await bad.exited).toBe(1);

    const printed = [w.output(), bad.output(), warnings.join('\n'), result.evaluator, error].join('\n');
    for (const secret of [password, encoded, 'ss@w0rd', 'w0rd']) expect(printed).not.toContain(secret);
  });
});
