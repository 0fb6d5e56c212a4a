import { describe, expect, it } from 'vitest';
import { PoolEvaluator } from '../src/eval/pool.js';
import { search } from '../src/search.js';
import type { SpaceSpec } from '../src/space/spec.js';
import type { TrialOutcome } from '../src/eval/types.js';

// The pool runs dist/src/eval/worker.js: build first (npx tsc -p tsconfig.json).
const fixture = (name: string) => new URL(`./fixtures/${name}.mjs`, import.meta.url).href;
const space: SpaceSpec = {
  x: { type: 'float', low: -1, high: 1, log: false },
  y: { type: 'float', low: -1, high: 1, log: false },
};
const request = (n: number) => ({ number: n, params: { x: 0.5, y: -0.25 }, seed: 1000 + n });
const complete = (o: TrialOutcome) => {
  if (o.state !== 'complete') throw new Error(`expected a complete trial, got ${o.state === 'failed' ? `${o.kind}: ${o.message}` : o.state}`);
  return o;
};

async function withPool<T>(
  opts: Omit<ConstructorParameters<typeof PoolEvaluator>[0], 'source'> & { fixture: string },
  f: (pool: PoolEvaluator) => Promise<T>,
): Promise<T> {
  const pool = new PoolEvaluator({ source: { kind: 'module', url: fixture(opts.fixture) }, ...opts });
  try {
    await pool.warm();
    return await f(pool);
  } finally {
    await pool.close();
  }
}

describe('PoolEvaluator', () => {
  it('loads the module once per worker and spreads trials over every worker', async () => {
    const outcomes = await withPool({ fixture: 'counting', workers: 2 }, (pool) =>
      Promise.all(Array.from({ length: 12 }, (_, i) => pool.run(request(i)))),
    );
    const metrics = outcomes.map((o) => complete(o).metrics);
    expect(new Set(metrics.map((m) => m.loads))).toEqual(new Set([1]));
    expect(new Set(metrics.map((m) => m.thread)).size).toBe(2);
  });

  it('gives each trial its params, seed and number', async () => {
    const [o] = await withPool({ fixture: 'slow', workers: 1 }, (pool) =>
      Promise.all([pool.run({ number: 4, params: { x: 0.5, y: 0.5 }, seed: 77 })]),
    );
    expect(complete(o!)).toMatchObject({ value: 0.5, metrics: { seed: 77, trial: 4 } });
  });

  it('keeps both worker slots after workers die', async () => {
    await withPool({ fixture: 'exit-slow', workers: 2 }, async (pool) => {
      // Trials 1 and 5 call process.exit; the others take 60 ms each.
      const first = await Promise.all([0, 1, 2, 3, 4, 5].map((n) => pool.run(request(n))));
      expect(first.map((o) => (o.state === 'failed' ? o.kind : 'ok'))).toEqual(['ok', 'crash', 'ok', 'ok', 'ok', 'crash']);
      const after = await Promise.all([6, 7, 8, 10, 11, 12, 14, 15, 16, 18, 19, 20, 22, 23, 24].map((n) => pool.run(request(n))));
      const threads = after.map((o) => complete(o).metrics.thread);
      // Once the replacement has loaded, both workers run trials again.
      expect(new Set(threads.slice(-4)).size).toBe(2);
      expect(pool.info()).toMatchObject({ workerRestarts: 2 });
    });
  });

  it("does not charge a replacement worker's import to the next trial's timeout", async () => {
    // slow-import.mjs takes 1.5 s to import, longer than timeout + grace (0.2 s + 1 s); trial 1 spins forever.
    const outcomes = await withPool({ fixture: 'slow-import', workers: 1, trialTimeoutMs: 200 }, (pool) =>
      Promise.all([0, 1, 2].map((n) => pool.run(request(n)))),
    );
    expect(outcomes.map((o) => (o.state === 'failed' ? o.kind : 'ok'))).toEqual(['ok', 'timeout', 'ok']);
  });

  it('sends short trials in chunks, yet a worker that dies in a chunk fails only its own trial', async () => {
    await withPool({ fixture: 'late-exit', workers: 2 }, async (pool) => {
      const outcomes = await Promise.all(Array.from({ length: 240 }, (_, i) => pool.run(request(i))));
      const failed = outcomes.flatMap((o, i) => (o.state === 'failed' ? [[i, o.kind]] : []));
      expect(failed).toEqual([[150, 'crash']]);
      expect(pool.info().trialsInChunks).toBeGreaterThan(0);
    });
  });

  it('finds the trial that hung inside a chunk and times out that one alone', async () => {
    await withPool({ fixture: 'late-busy-loop', workers: 2, trialTimeoutMs: 200 }, async (pool) => {
      const outcomes = await Promise.all(Array.from({ length: 240 }, (_, i) => pool.run(request(i))));
      const failed = outcomes.flatMap((o, i) => (o.state === 'failed' ? [[i, o.kind]] : []));
      expect(failed).toEqual([[150, 'timeout']]);
      expect(pool.info().trialsInChunks).toBeGreaterThan(0);
    });
  });

  it('ends queued and running trials as aborted when their signal aborts, and keeps working', async () => {
    await withPool({ fixture: 'hanging', workers: 1 }, async (pool) => {
      const stop = new AbortController();
      // Trial 1 hangs; 2 and 3 wait behind it.
      const running = Promise.all([1, 2, 3].map((n) => pool.run(request(n), stop.signal)));
      setTimeout(() => stop.abort(), 100);
      const outcomes = await running;
      expect(outcomes.map((o) => (o.state === 'failed' ? o.kind : 'ok'))).toEqual(['aborted', 'aborted', 'aborted']);
      expect(complete(await pool.run(request(4))).value).toBeCloseTo(0.3125);
    });
  });

  it('ends running and queued trials as aborted when closed', async () => {
    const pool = new PoolEvaluator({ source: { kind: 'module', url: fixture('hanging') }, workers: 1 });
    await pool.warm();
    // Trial 1 hangs; trial 2 waits behind it.
    const pending = Promise.all([1, 2].map((n) => pool.run(request(n))));
    await new Promise((r) => setTimeout(r, 50));
    await pool.close();
    expect((await pending).map((o) => (o.state === 'failed' ? o.kind : 'ok'))).toEqual(['aborted', 'aborted']);
  });

  it('starts workers without require(esm), so that terminating one while it loads cannot end the process', async () => {
    const [o] = await withPool({ fixture: 'require-esm', workers: 1 }, (pool) => Promise.all([pool.run(request(0))]));
    expect(complete(o!).metrics).toMatchObject({ requireModule: false });
  });

  it('rejects a module that does not load with a usage error naming it', async () => {
    const pool = new PoolEvaluator({ source: { kind: 'module', url: fixture('broken-import') }, workers: 1 });
    try {
      await expect(pool.warm()).rejects.toMatchObject({
        code: 'E_MODULE',
        kind: 'usage',
        message: expect.stringMatching(/broken-import\.mjs.*could not be imported/),
      });
      await expect(pool.run(request(0))).rejects.toMatchObject({ code: 'E_MODULE' });
    } finally {
      await pool.close();
    }
  });
});

describe('same seed, same search, whatever the number of workers', () => {
  it('gives every trial the same params, seed and value, and the same best, with 1 worker or 2', async () => {
    // slow.mjs takes 0, 5 or 10 ms by trial, so with 2 workers trials finish out of order.
    const run = (workers: number) =>
      search({ fitness: fixture('slow'), space, budget: 30, workers, seed: 7, strategy: 'ga', strategyOptions: { populationSize: 6 } });
    const [one, two] = [await run(1), await run(2)];
    const trials = (r: Awaited<ReturnType<typeof run>>) =>
      r.history.map((t) => ({
        number: t.number,
        params: t.params,
        seed: t.seed,
        value: t.outcome.state !== 'failed' ? t.outcome.value : t.outcome.kind,
      }));
    expect(one.trials).toBe(30);
    expect(trials(two)).toEqual(trials(one));
    expect(two.best).toEqual(one.best);
    expect(new Set(two.history.map((t) => t.outcome.worker)).size).toBe(2);
  });
});
