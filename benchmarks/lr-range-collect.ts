/**
 * Collects the grid and raw sweeps of benchmarks/lr-range-data.ts for tasks x optimizers into one JSON file, case
 * by case (a file already holding a case keeps it, so an interrupted run continues).
 *   node dist/benchmarks/lr-range-collect.js --out benchmarks/results/lr-range-data.json [--quick] [--tasks a,b]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import type { OptimizerName } from '../src/tasks/config.js';
import type { BackendChoice } from '../src/tf/backend.js';
import { errors } from '../src/errors.js';
import { ANCHOR_GRID, collectCase, loadBackend, readCases, type CaseData } from './lr-range-data.js';

export interface CollectPlan {
  readonly tasks: readonly string[];
  readonly optimizers: readonly OptimizerName[];
  readonly grid: readonly number[];
  readonly gridSeeds: readonly number[];
  readonly rangeSeeds: readonly number[];
  readonly steps: readonly number[];
}

export const FULL: CollectPlan = {
  tasks: Object.keys(BUNDLED_TASKS),
  optimizers: ['adam', 'sgd'],
  grid: ANCHOR_GRID,
  gridSeeds: [1, 2, 3],
  rangeSeeds: [101, 102, 103],
  steps: [100, 300, 1000],
};

/** A couple of minutes: two tasks, half-decade grid, two training seeds, one sweep length. */
export const QUICK: CollectPlan = {
  tasks: ['digits', 'iris'],
  optimizers: ['adam', 'sgd'],
  grid: ANCHOR_GRID.filter((_, i) => i % 2 === 0 && i >= 4),
  gridSeeds: [1, 2],
  rangeSeeds: [101, 102],
  steps: [1000],
};

export async function collect(plan: CollectPlan, backend: BackendChoice, out: string | undefined, log: (s: string) => void): Promise<CaseData[]> {
  const t = await loadBackend(backend);
  log(`backend ${t.backend}`);
  const done: CaseData[] = out && existsSync(out) ? readCases(out) : [];
  for (const name of plan.tasks) {
    const task = BUNDLED_TASKS[name];
    if (!task) throw errors.unknownTask(name, Object.keys(BUNDLED_TASKS));
    for (const optimizer of plan.optimizers) {
      if (done.some((c) => c.task === name && c.optimizer === optimizer)) continue;
      done.push(await collectCase(t, task, optimizer, { ...plan, log }));
      if (out) {
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, JSON.stringify(done));
      }
    }
  }
  return done.filter((c) => plan.tasks.includes(c.task) && plan.optimizers.includes(c.optimizer));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      tasks: { type: 'string' },
      out: { type: 'string' },
      backend: { type: 'string', default: 'wasm' },
    },
  });
  const base = values.quick ? QUICK : FULL;
  const plan = values.tasks ? { ...base, tasks: values.tasks.split(',').map((s) => s.trim()) } : base;
  await collect(plan, values.backend as BackendChoice, values.out, (s) => console.log(s));
}
