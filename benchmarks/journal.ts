/**
 * What the journal costs per trial, for a fitness that costs nothing (the worst case: thousands of trials per
 * second in-process), and what an fsync per line would cost instead. Run: `node dist/benchmarks/journal.js [trials]`.
 * Timings on a shared machine are noisy: each figure is the median of 5 runs.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { StrategyName } from '../strategies/index.js';
import { search } from '../src/search.js';
import { median } from '../src/bench/stats.js';

const trials = Number(process.argv[2] ?? 20000);
const space = {
  x: { type: 'float', low: -1, high: 1, log: false },
  y: { type: 'float', low: 1e-4, high: 1, log: true },
  k: { type: 'categorical', choices: ['a', 'b'] },
} as const;
const noop = () => 0.5;
const root = mkdtempSync(join(tmpdir(), 'evotune-bench-journal-'));

async function timeSearch(strategy: StrategyName, strategyOptions: Record<string, unknown>, journal: boolean, i: number): Promise<number> {
  const t = performance.now();
  await search({ fitness: noop, space, strategy, strategyOptions, budget: trials, ...(journal ? { out: join(root, `${strategy}-${i}`) } : {}) });
  return performance.now() - t;
}

/** Microseconds per line to append a typical "finished" line, with or without an fsync after each. */
function perLine(fsync: boolean, n: number): number {
  const fd = openSync(join(root, `lines-${fsync}.jsonl`), 'a');
  const line = Buffer.from(
    `${JSON.stringify({ type: 'finished', trial: 1234, x: [0.123456789012, 0.987654321098, 0.5], state: 'complete', value: 0.5, metrics: {}, durationMs: 0.01, worker: 'main', at: new Date().toISOString() })}\n`,
  );
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    writeSync(fd, line);
    if (fsync) fsyncSync(fd);
  }
  const us = ((performance.now() - t) * 1000) / n;
  closeSync(fd);
  return us;
}

const rows: string[] = [];
for (const [strategy, options, label] of [
  ['random', { batch: 32 }, 'random, batch 32'],
  ['ga', { populationSize: 10 }, 'ga, population 10'],
] as const) {
  const plain: number[] = [];
  const journaled: number[] = [];
  for (let i = 0; i < 5; i++) {
    plain.push(await timeSearch(strategy, options, false, i));
    journaled.push(await timeSearch(strategy, options, true, i));
  }
  const a = median(plain);
  const b = median(journaled);
  rows.push(
    `| ${label} | ${((a * 1000) / trials).toFixed(1)} | ${((b * 1000) / trials).toFixed(1)} | ${(((b - a) * 1000) / trials).toFixed(1)} | ${Math.round(trials / (b / 1000))} |`,
  );
}
const write = median([0, 1, 2].map(() => perLine(false, 5000)));
const fsynced = median([0, 1, 2].map(() => perLine(true, 500)));
rmSync(root, { recursive: true, force: true });

console.log(`Journal cost, ${trials} trials of a no-op fitness in-process (median of 5):\n`);
console.log('| strategy | no journal, us/trial | journal, us/trial | journal cost, us/trial | trials/s with journal |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(`\nOne line: write ${write.toFixed(1)} us; write + fsync ${fsynced.toFixed(0)} us.`);
console.log(
  `An fsync per line (2 lines per trial) would cost ${((2 * fsynced) / 1000).toFixed(1)} ms per trial: at most ~${Math.round(1e6 / (2 * fsynced))} trials/s.`,
);
