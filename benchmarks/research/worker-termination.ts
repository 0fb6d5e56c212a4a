/**
 * Can a pool worker terminated while it loads end the whole process, and does starting workers without require(esm)
 * (src/eval/pool.ts workerExecArgv) prevent it? Piscina loads a worker's file with require() first; where that can
 * load an ES module, it links the whole graph, instantiates it synchronously, and only then finds the top-level await
 * that sends it to import(). Each attempt is a child process that starts a one-thread Piscina pool and destroys it at
 * a seeded random moment drawn around the end of that require(). The worker's file is a synthetic chain of ES modules
 * with a top-level await, as worker.js has, long enough that the moment can be aimed (worker.js loads in a few ms).
 * A child that dies of a signal, with V8's fatal-error report or with a non-zero exit counts as a crash.
 *   node dist/benchmarks/research/worker-termination.js [--attempts 60] [--modules 3000] [--seed 1] > benchmarks/results/worker-termination.md
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { rngFor } from '../../src/util/rng.js';
import { workerExecArgv } from '../../src/eval/pool.js';

/** A chain of n modules ending in one with a top-level await; returns the entry's path. */
function writeGraph(dir: string, n: number): string {
  mkdirSync(join(dir, 'graph'));
  for (let i = 0; i < n; i++) {
    const next = i + 1 < n ? `import './m${i + 1}.mjs';\n` : 'await 0;\n';
    writeFileSync(join(dir, 'graph', `m${i}.mjs`), `${next}export const x${i} = ${i};\nexport function f${i}(a) { return a * ${i}; }\n`);
  }
  const entry = join(dir, 'graph', 'entry.mjs');
  writeFileSync(entry, "import './m0.mjs';\nexport default () => 0;\n");
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
  const crashed = r.signal !== null || /Fatal error|FATAL ERROR/.test(r.stderr) || (r.status ?? 1) !== 0;
  return { crashed, graphAsync: /IsGraphAsync must be used on an instantiated module/.test(r.stderr), out: r.stdout.trim() };
}

function main() {
  const { values } = parseArgs({
    options: { attempts: { type: 'string', default: '60' }, modules: { type: 'string', default: '3000' }, seed: { type: 'string', default: '1' } },
  });
  const attempts = Number(values.attempts);
  const modules = Number(values.modules);
  const seed = Number(values.seed);
  const dir = mkdtempSync(join(tmpdir(), 'evotune-termination-'));
  try {
    const entry = writeGraph(dir, modules);
    const piscina = createRequire(import.meta.url).resolve('piscina');
    const arms: Arm[] = [
      { name: "Node's default (require(esm) on)", execArgv: null },
      { name: 'as the pool starts workers (workerExecArgv)', execArgv: workerExecArgv() ?? null },
    ];
    // The moments are drawn in [end - 40 ms, end + 10 ms]; run-to-run jitter spreads them further.
    const ends = [0, 1, 2].map(() => Number(child(CALIBRATE, [entry]).out));
    const end = [...ends].sort((a, b) => a - b)[1]!;
    const rows = arms.map((arm) => {
      const rng = rngFor(seed, 'worker-termination', arm.name);
      let crashes = 0;
      let graphAsync = 0;
      for (let i = 0; i < attempts; i++) {
        const delay = end - 40 + 50 * rng();
        const r = child(CHILD, [piscina, entry, delay, arm.execArgv]);
        if (r.crashed) crashes++;
        if (r.graphAsync) graphAsync++;
        process.stderr.write(`\r${arm.name}: ${i + 1}/${attempts}, ${crashes} crashed`);
      }
      process.stderr.write('\n');
      return `| ${arm.name} | ${attempts} | ${crashes} | ${graphAsync} |`;
    });
    console.log(`# Terminating a pool worker while it loads\n`);
    console.log(`Node ${process.version}, piscina pool of one thread on a chain of ${modules} ES modules; a worker's require() of it`);
    console.log(`ends ${end.toFixed(0)} ms after the worker is created (median of 3); the pool is destroyed at a moment drawn uniformly`);
    console.log(`from 40 ms before that to 10 ms after, seed ${seed}.\n`);
    console.log(
      `| workers started with | attempts | processes that crashed | of them with "IsGraphAsync must be used on an instantiated module" |\n| --- | --- | --- | --- |`,
    );
    for (const row of rows) console.log(row);
    console.log(`\n\`node dist/benchmarks/research/worker-termination.js --attempts ${attempts} --modules ${modules} --seed ${seed}\``);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
