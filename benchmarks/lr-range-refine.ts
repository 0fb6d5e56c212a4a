/**
 * Ranks refine settings (probes x seeds) without training: the real refine() runs on every task x optimizer x
 * range-test seed with a probe that reads the validation losses collected by lr-range-refine-collect (at the nearest
 * eighth-decade LR, so within 1.15x of the LR asked for), and its suggestion is graded against two truths:
 *  - the issue's: the grid of lr-range-data.json (quarter decades, training seeds 1-3);
 *  - a steadier one: the same grid over 20 training seeds (lr-range-grid-seeds), because with 3 seeds the grid-best
 *    LR itself moves by a quarter decade or more in half of the cases.
 * The validation loss at a suggestion is interpolated in log LR from the truth's grid (lr-range.ts measures the
 * chosen default by training). Rows "argmin" take the lowest probe instead of refine's smoothed pick, on the same
 * probes; the last row grades the issue's own truth (the 3-seed grid-best) against the 20-seed one.
 *   node dist/benchmarks/lr-range-refine.js [--data ...lr-range-data.json] [--probes ...lr-range-refine-data.json]
 *        [--truth ...lr-range-grid20.json]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { argmin } from '../src/lr-range/window.js';
import { probeSeed, refine, type ProbeResult } from '../src/lr-range/refine.js';
import { gridBest, interpolatedLoss, type CaseData, type GridPoint } from './lr-range-data.js';
import { REPLICATES, STEPS_PER_DECADE, type RefineCase, type SeedProbes } from './lr-range-refine-collect.js';
import type { SeededGrid } from './lr-range-grid-seeds.js';

export interface Setting {
  readonly name: string;
  /** The suggestion for one case and range-test seed, and the trainings it cost. */
  suggest(s: SeedProbes, c: CaseData): Promise<{ lr: number; evaluations: number }>;
}

/** A probe that reads the collected losses instead of training. */
export function lookupProbe(s: SeedProbes) {
  return async (lr: number, seed: number) => {
    const k = REPLICATES.findIndex((r) => seed === probeSeed(s.rangeSeed, r));
    const near = s.probes.reduce((a, b) => (Math.abs(Math.log(b.lr / lr)) < Math.abs(Math.log(a.lr / lr)) ? b : a));
    if (k < 0 || Math.abs(Math.log10(near.lr / lr)) > 0.5 / STEPS_PER_DECADE + 1e-9) throw new Error(`no collected loss at LR ${lr} with seed ${seed}`);
    const loss = near.losses[k];
    return typeof loss === 'number' ? loss : NaN; // NaN was stored as null
  };
}

function refined(probes: number, seeds: number, pick: 'refine' | 'argmin'): Setting {
  return {
    name: `${pick === 'refine' ? 'refine' : 'argmin over the probes of refine'} ${probes} LRs x ${seeds} seed${seeds > 1 ? 's' : ''}`,
    async suggest(s) {
      const r = await refine(lookupProbe(s), s.suggestion, s.bounds, { probes, seeds }, s.rangeSeed);
      return { lr: pick === 'refine' ? r.suggestion : plainArgmin(r.refinement.probes), evaluations: r.refinement.probes.length * seeds };
    },
  };
}

/** The probe with the lowest mean loss, a diverged seed making it Infinity. */
function plainArgmin(probes: readonly ProbeResult[]): number {
  const means = probes.map((p) => (p.losses.every(Number.isFinite) ? p.losses.reduce((a, b) => a + b, 0) : Infinity));
  return probes[argmin(means)]!.lr;
}

export interface Grade {
  readonly goal: number;
  readonly loss5: number;
  readonly within2: number;
  readonly n: number;
  readonly medianLoss: number;
  readonly worstLoss: number;
}

/** The issue's goal per suggestion: within 1.5x of the grid-best LR and within 5% of its validation loss. */
export function grade(results: ReadonlyArray<{ lr: number; grid: readonly GridPoint[] }>): Grade {
  const rows = results.map(({ lr, grid }) => {
    const best = gridBest(grid);
    return { ratio: lr / best.lr, loss: interpolatedLoss(grid, lr) / best.loss };
  });
  const losses = rows.map((r) => r.loss).sort((a, b) => a - b);
  return {
    goal: rows.filter((r) => r.ratio <= 1.5 && r.ratio >= 1 / 1.5 && r.loss <= 1.05).length,
    loss5: rows.filter((r) => r.loss <= 1.05).length,
    within2: rows.filter((r) => r.ratio <= 2 && r.ratio >= 0.5).length,
    n: rows.length,
    medianLoss: losses[Math.floor(losses.length / 2)]!,
    worstLoss: losses[losses.length - 1]!,
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: 'benchmarks/results/lr-range-data.json' },
      probes: { type: 'string', default: 'benchmarks/results/lr-range-refine-data.json' },
      truth: { type: 'string', default: 'benchmarks/results/lr-range-grid20.json' },
    },
  });
  const cases = JSON.parse(readFileSync(values.data, 'utf8')) as CaseData[];
  const probeData = JSON.parse(readFileSync(values.probes, 'utf8')) as RefineCase[];
  const steady = JSON.parse(readFileSync(values.truth, 'utf8')) as SeededGrid[];
  const find = <T extends { task: string; optimizer: string }>(xs: readonly T[], c: RefineCase) => xs.find((x) => x.task === c.task && x.optimizer === c.optimizer)!;

  const settings: Setting[] = [{ name: 'curve only (refine 0)', suggest: async (s) => ({ lr: s.suggestion, evaluations: 0 }) }];
  for (const seeds of [1, 2]) for (const probes of [3, 5, 7, 9]) settings.push(refined(probes, seeds, 'refine'));
  for (const seeds of [1, 2]) settings.push(refined(7, seeds, 'argmin'));
  settings.push({
    name: "3-seed grid-best (the issue's truth)",
    suggest: async (_s, c) => ({ lr: gridBest(c.grid).lr, evaluations: c.grid.length * c.grid[0]!.losses.length }),
  });

  const fmtGrade = (g: Grade) => [`${g.goal}/${g.n}`, `${g.loss5}/${g.n}`, `${g.within2}/${g.n}`, g.medianLoss.toFixed(3), g.worstLoss.toFixed(2)];
  console.log(`${probeData.length} cases x ${probeData[0]!.seeds.length} range-test seeds; truth: issue = 3 training seeds, steady = ${steady[0]!.seeds.length}\n`);
  console.log('| setting | trainings (mean) | meets goal, issue truth | meets goal, steady truth | val loss within 5%, steady | within 2x, steady | median val loss ratio, steady | worst, steady |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const setting of settings) {
    const issue: Array<{ lr: number; grid: GridPoint[] }> = [];
    const stable: Array<{ lr: number; grid: GridPoint[] }> = [];
    let evaluations = 0;
    for (const c of probeData) {
      for (const s of c.seeds) {
        const r = await setting.suggest(s, find(cases, c));
        evaluations += r.evaluations;
        issue.push({ lr: r.lr, grid: find(cases, c).grid });
        stable.push({ lr: r.lr, grid: find(steady, c).grid });
      }
    }
    const a = grade(issue);
    const b = fmtGrade(grade(stable));
    console.log(`| ${setting.name} | ${(evaluations / a.n).toFixed(1)} | ${a.goal}/${a.n} | ${b.join(' | ')} |`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
