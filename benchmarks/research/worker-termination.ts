/**
 * Can a pool worker terminated while it loads end the whole process, and does starting workers without require(esm)
 * (src/eval/pool.ts workerExecArgv) prevent it? Piscina loads a worker's file with require() first; where that can
 * load an ES module, it links the whole graph, instantiates it synchronously, and only then finds the top-level await
 * that sends it to import(). Each attempt is a child process that starts a one-thread Piscina pool and destroys it at
 * a seeded random moment in the second half of that require(). The worker's file is a synthetic graph of ES modules
 * with a top-level await, as worker.js has (writeGraph says how it is made slow to instantiate).
 * A child that dies of a signal or exits non-zero counts as a crash.
 *   node dist/benchmarks/research/worker-termination.js [--attempts 60] [--modules 2000] [--names 300] [--seed 1] > benchmarks/results/worker-termination.md
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { rngFor } from '../../src/util/rng.js';
import { median } from '../../src/bench/stats.js';
import { workerExecArgv } from '../../src/eval/pool.js';

/**
 * A chain of n modules, each re-exporting the next (`export *`), the last defining `names` bindings and awaiting at
 * top level; the entry imports every name from the first. Resolving each name down the chain is done while the graph
 * is instantiated, which makes that synchronous step long enough to be hit (worker.js instantiates in well under a
 * millisecond, so the same crash there is rare). Returns the entry's path.
 */
function writeGraph(dir: string, n: number, names: number): string {
  mkdirSync(join(dir, 'graph'));
  const ids = Array.from({ length: names }, (_, k) => `v${k}`);
  for (let i = 0; i < n; i++) {
    const body =
      i + 1 < n
        ? `export * from './m${i + 1}.mjs';\nexport const own${i} = ${i};\n`
        : `${ids.map((v, k) => `export const ${v} = ${k};`).join('\n')}\nawait 0;\n`;
    writeFileSync(join(dir, 'graph', `m${i}.mjs`), body);
  }
  const entry = join(dir, 'graph', 'entry.mjs');
  writeFileSync(entry, `import { ${ids.join(', ')} } from './m0.mjs';\nexport default () => ${ids[0]};\n`);
  return entry;
}

/** An attempt: a one-thread pool on the graph, destroyed after `delay` ms. */
const CHILD = `
const [piscina, entry, delay, execArgv] = JSON.parse(process.argv[1]);
const mod = await import(piscina);
const Piscina = mod.Piscina ?? mod.default.Piscina;
const pool = new Piscina({ filename: entry, minThreads: 1, maxThreads: 1, execArgv: execArgv ?? undefined });
await new Promise((r) => setTimeout(r, delay));
await pool.destroy();
`;

/** Calibration: ms from creating a worker to the end of its require() of the graph, as Piscina's worker does it. */
const CALIBRATE = `
import { Worker } from 'node:worker_threads';
const [entry] = JSON.parse(process.argv[1]);
const t0 = performance.now();
const w = new Worker('try { require(' + JSON.stringify(entry) + ') } catch {} require("node:worker_threads").parentPort.postMessage(0)', { eval: true, execArgv: [] });
await new Promise((r) => w.once('message', r));
console.log(performance.now() - t0);
await w.terminate();
`;

interface Arm {
  readonly name: string;
  readonly execArgv: string[] | null;
}

function child(script: string, args: unknown[]): { crashed: boolean; graphAsync: boolean; out: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(args)], { encoding: 'utf8', timeout: 60_000 });
  // V8's fatal error aborts (a signal, so no status): any end but a clean exit is a crash.
  return { crashed: r.status !== 0, graphAsync: /IsGraphAsync must be used on an instantiated module/.test(r.stderr), out: r.stdout.trim() };
}

function main() {
  const { values } = parseArgs({
    options: {
      attempts: { type: 'string', default: '60' },
      modules: { type: 'string', default: '2000' },
      names: { type: 'string', default: '300' },
      seed: { type: 'string', default: '1' },
    },
  });
  const attempts = Number(values.attempts);
  const modules = Number(values.modules);
  const names = Number(values.names);
  const seed = Number(values.seed);
  const dir = mkdtempSync(join(tmpdir(), 'evotune-termination-'));
  try {
    const entry = writeGraph(dir, modules, names);
    const piscina = createRequire(import.meta.url).resolve('piscina');
    const arms: Arm[] = [
      { name: "Node's default (require(esm) on)", execArgv: null },
      { name: 'as the pool starts workers (workerExecArgv)', execArgv: workerExecArgv() ?? null },
    ];
    // The moments are drawn across the second half of the require() and a little past its end.
    const end = median([0, 1, 2].map(() => Number(child(CALIBRATE, [entry]).out)));
    const rows = arms.map((arm) => {
      const rng = rngFor(seed, 'worker-termination', arm.name);
      let crashes = 0;
      let graphAsync = 0;
      for (let i = 0; i < attempts; i++) {
        const delay = end * (0.5 + 0.55 * rng());
        const r = child(CHILD, [piscina, entry, delay, arm.execArgv]);
        if (r.crashed) crashes++;
        if (r.graphAsync) graphAsync++;
        process.stderr.write(`\r${arm.name}: ${i + 1}/${attempts}, ${crashes} crashed`);
      }
      process.stderr.write('\n');
      return `| ${arm.name} | ${attempts} | ${crashes} | ${graphAsync} |`;
    });
    console.log(`# Terminating a pool worker while it loads\n`);
    console.log(`Node ${process.version}, piscina pool of one thread on a chain of ${modules} ES modules re-exporting ${names} names; a`);
    console.log(`worker's require() of it ends ${end.toFixed(0)} ms after the worker is created (median of 3); the pool is destroyed at a`);
    console.log(`moment drawn uniformly in [0.5, 1.05] x that time, seed ${seed}.\n`);
    console.log(
      `| workers started with | attempts | processes that crashed | of them with "IsGraphAsync must be used on an instantiated module" |\n| --- | --- | --- | --- |`,
    );
    for (const row of rows) console.log(row);
    console.log(
      `\n\`node dist/benchmarks/research/worker-termination.js --attempts ${attempts} --modules ${modules} --names ${names} --seed ${seed}\``,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
