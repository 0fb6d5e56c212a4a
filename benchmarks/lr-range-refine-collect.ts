/**
 * Collects what refine's probes would measure, so that variants of refine can be ranked without training
 * (benchmarks/lr-range-refine.ts): per task x optimizer x range-test seed, the stage-1 result of the default test
 * (replayed from lr-range-data.json) and the validation loss of the task's training budget at every eighth-decade
 * LR from half a decade below its bounds to half a decade above, for the probe seeds of replicates 0 and 1.
 * The probe seeds come from the range-test seed as in the finder, so they share nothing with the grid's seeds.
 *   node dist/benchmarks/lr-range-refine-collect.js [--data benchmarks/results/lr-range-data.json]
 *        [--out benchmarks/results/lr-range-refine-data.json] [--backend wasm]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { analyseCurve } from '../src/lr-range/analyse.js';
import { defaultSteps } from '../src/lr-range/index.js';
import { lrRangeOptionsSchema } from '../src/lr-range/options.js';
import { probeSeed } from '../src/lr-range/refine.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import type { OptimizerName } from '../src/tasks/config.js';
import type { BackendChoice } from '../src/tf/backend.js';
import { END_LR, loadBackend, replay, START_LR, validationLoss, type CaseData, type GridPoint } from './lr-range-data.js';

/** Probe LRs lie on multiples of an eighth of a decade; a variant's LRs are read at the nearest one. */
export const STEPS_PER_DECADE = 8;
const MARGIN_DECADES = 0.5;
export const REPLICATES = [0, 1];

export interface SeedProbes {
  readonly rangeSeed: number;
  readonly suggestion: number;
  readonly bounds: readonly [number, number];
  /** Validation loss per replicate at each eighth-decade LR (NaN when training diverged). */
  readonly probes: GridPoint[];
}

export interface RefineCase {
  readonly task: string;
  readonly optimizer: OptimizerName;
  readonly seeds: SeedProbes[];
}

/** The stage-1 result of the default test on one recorded sweep. */
export function stageOne(c: CaseData, rangeSeed: number) {
  const o = lrRangeOptionsSchema.parse({});
  const raw = c.sweeps[defaultSteps(c.stepsPerEpoch)]!.find((s) => s.seed === rangeSeed)!;
  return analyseCurve(replay(raw, o.signal, o.beta, o.divergence), o.rule, [START_LR, END_LR]);
}

export const gridLrs = (lo: number, hi: number) => {
  const from = Math.ceil(Math.log10(Math.max(START_LR, lo)) * STEPS_PER_DECADE - 1e-9);
  const to = Math.floor(Math.log10(Math.min(END_LR, hi)) * STEPS_PER_DECADE + 1e-9);
  return Array.from({ length: to - from + 1 }, (_, i) => 10 ** ((from + i) / STEPS_PER_DECADE));
};

async function main() {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: 'benchmarks/results/lr-range-data.json' },
      out: { type: 'string', default: 'benchmarks/results/lr-range-refine-data.json' },
      backend: { type: 'string', default: 'wasm' },
    },
  });
  const cases = JSON.parse(readFileSync(values.data, 'utf8')) as CaseData[];
  const done: RefineCase[] = existsSync(values.out) ? (JSON.parse(readFileSync(values.out, 'utf8')) as RefineCase[]) : [];
  const t = await loadBackend(values.backend as BackendChoice);
  for (const c of cases) {
    if (done.some((d) => d.task === c.task && d.optimizer === c.optimizer)) continue;
    const task = BUNDLED_TASKS[c.task]!;
    const t0 = performance.now();
    const seeds: SeedProbes[] = [];
    for (const raw of c.sweeps[defaultSteps(c.stepsPerEpoch)]!) {
      const a = stageOne(c, raw.seed);
      const margin = 10 ** MARGIN_DECADES;
      const probes: GridPoint[] = [];
      for (const lr of gridLrs(a.bounds[0] / margin, a.bounds[1] * margin)) {
        probes.push({ lr, losses: await validationLoss(t, task, c.optimizer, lr, REPLICATES.map((k) => probeSeed(raw.seed, k))) });
      }
      seeds.push({ rangeSeed: raw.seed, suggestion: a.suggestion, bounds: a.bounds, probes });
    }
    done.push({ task: c.task, optimizer: c.optimizer, seeds });
    writeFileSync(values.out, JSON.stringify(done));
    console.log(`${c.task}/${c.optimizer}: ${seeds.reduce((n, s) => n + s.probes.length, 0) * REPLICATES.length} runs in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
