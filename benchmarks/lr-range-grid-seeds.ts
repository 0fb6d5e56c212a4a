/**
 * A steadier truth for the LR range test: the grid of lr-range-data.json (quarter decades, training seeds 1-3)
 * trained again with more training seeds, written to its own file so that the 3-seed yardstick stays as
 * it was. With 3 seeds the grid-best LR of several tasks moves by a quarter decade or more from seed set to seed set
 * (see benchmarks/results/lr-range.md), which no suggestion can follow.
 *   node dist/benchmarks/lr-range-grid-seeds.js [--data benchmarks/results/lr-range-data.json]
 *        [--out benchmarks/results/lr-range-grid20.json] [--seeds 4,...,20] [--backend wasm]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import type { BackendChoice } from '../src/tf/backend.js';
import { FULL } from './lr-range-collect.js';
import { DATA_FILE, loadBackend, readCases, validationLoss, type CaseData } from './lr-range-data.js';

/** One case's grid with every seed's loss: the file's 3 and the new ones, in that order. */
export interface SeededGrid {
  readonly task: string;
  readonly optimizer: string;
  readonly seeds: number[];
  readonly grid: CaseData['grid'];
}

/** Where this script writes the grids, and where the ceiling and the refine simulation read them by default. */
export const GRID20_FILE = 'benchmarks/results/lr-range-grid20.json';

export const readSeededGrids = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as SeededGrid[];

/** The grid of one task and optimizer. */
export const seededGridOf = (grids: readonly SeededGrid[], c: { readonly task: string; readonly optimizer: string }) =>
  grids.find((g) => g.task === c.task && g.optimizer === c.optimizer);

async function main() {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: DATA_FILE },
      out: { type: 'string', default: GRID20_FILE },
      seeds: { type: 'string', default: Array.from({ length: 17 }, (_, i) => i + 4).join(',') },
      backend: { type: 'string', default: 'wasm' },
    },
  });
  const extra = values.seeds.split(',').map(Number);
  const cases = readCases(values.data);
  const done = existsSync(values.out) ? readSeededGrids(values.out) : [];
  const t = await loadBackend(values.backend as BackendChoice);
  for (const c of cases) {
    if (seededGridOf(done, c)) continue;
    const t0 = performance.now();
    const grid = [];
    for (const g of c.grid)
      grid.push({ lr: g.lr, losses: [...g.losses, ...(await validationLoss(t, BUNDLED_TASKS[c.task]!, c.optimizer, g.lr, extra))] });
    done.push({ task: c.task, optimizer: c.optimizer, seeds: [...FULL.gridSeeds, ...extra], grid });
    writeFileSync(values.out, JSON.stringify(done));
    console.log(`${c.task}/${c.optimizer}: ${c.grid.length * extra.length} runs in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
