/**
 * Ranks variants of the range test (signal, steps, lag correction, rule) on collected data (lr-range-collect):
 * for each task x optimizer x sweep seed, the suggestion against the grid-best LR, and the validation loss at the
 * suggestion interpolated from the grid (cheap, for ranking; lr-range.ts measures the chosen one by training).
 *   node dist/benchmarks/research/lr-range-rules.js benchmarks/results/lr-range-data.json [--top 25] [--truth lr-range-grid20.json]
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { findRegions, readWindow, RULE_NAMES, RULES, searchBounds, type Signal, type Window } from '../../src/lr-range/analyse.js';
import { DATA_FILE, END_LR, gridBest, interpolatedLoss, readCases, replay, START_LR, type CaseData } from '../lr-range-data.js';
import { readSeededGrids, seededGridOf } from '../lr-range-grid-seeds.js';
import { lossWithin, lrWithin, meetsGoal } from '../lr-range-goal.js';

export interface Variant {
  readonly signal: Signal;
  readonly steps: number;
  readonly beta: number;
  readonly lagCorrected: boolean;
  readonly rule: string;
}

/** Candidate rules: every rule of the test, and the minimum over other factors than 10. */
const CANDIDATES: Record<string, (w: Window) => number | undefined> = {
  ...Object.fromEntries(RULE_NAMES.map((r) => [r, (w: Window) => RULES[r].suggest(w)])),
  ...Object.fromEntries([1, 2, 3, 5].map((k) => [`minimum/${k}`, (w: Window) => (RULES.minimum.suggest(w) ?? NaN) * (10 / k)])),
};

export interface Scored {
  readonly task: string;
  readonly optimizer: string;
  readonly seed: number;
  readonly suggestion: number;
  readonly ratio: number;
  /** Interpolated validation loss at the suggestion over the grid-best's. */
  readonly lossRatio: number;
  readonly bounds: readonly [number, number];
  readonly boundsHoldBest: boolean;
}

export function scoreVariant(cases: readonly CaseData[], v: Variant): Scored[] {
  const out: Scored[] = [];
  for (const c of cases) {
    const best = gridBest(c.grid);
    for (const raw of c.sweeps[v.steps] ?? []) {
      const curve = replay(raw, v.signal, v.beta, 4);
      const s = CANDIDATES[v.rule]!(readWindow(curve, { lagCorrected: v.lagCorrected, beta: v.beta }));
      if (s === undefined || !Number.isFinite(s)) continue;
      const suggestion = Math.min(END_LR, Math.max(START_LR, s));
      const bounds = searchBounds(suggestion, findRegions(curve).falling, [START_LR, END_LR]);
      out.push({
        task: c.task,
        optimizer: c.optimizer,
        seed: raw.seed,
        suggestion,
        ratio: suggestion / best.lr,
        lossRatio: interpolatedLoss(c.grid, suggestion) / best.loss,
        bounds,
        boundsHoldBest: bounds[0] <= best.lr && best.lr <= bounds[1],
      });
    }
  }
  return out;
}

export function variants(stepsList: readonly number[]): Variant[] {
  const out: Variant[] = [];
  for (const signal of ['train', 'val'] as const)
    for (const steps of stepsList)
      for (const lagCorrected of [false, true])
        for (const rule of Object.keys(CANDIDATES)) out.push({ signal, steps, beta: 0.98, lagCorrected, rule });
  return out;
}

export const variantName = (v: Variant) => `${v.signal} ${v.steps} steps${v.lagCorrected ? ' lag-corrected' : ''} ${v.rule}`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, truth: { type: 'string' } },
  });
  const data = readCases(positionals[0] ?? DATA_FILE);
  // --truth: grade against another grid of the same LRs (more training seeds, lr-range-grid-seeds) than the data's.
  const truth = values.truth ? readSeededGrids(values.truth) : undefined;
  const cases = truth ? data.map((c) => ({ ...c, grid: seededGridOf(truth, c)!.grid })) : data;
  const stepsList = [...new Set(cases.flatMap((c) => Object.keys(c.sweeps).map(Number)))].sort((a, b) => a - b);
  const rows = variants(stepsList).map((v) => {
    const s = scoreVariant(cases, v);
    const worst = Math.max(...s.map((x) => Math.abs(Math.log10(x.ratio))));
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return {
      v,
      goal: s.filter((x) => meetsGoal(x.ratio, x.lossRatio)).length,
      lossOk: s.filter((x) => lossWithin(x.lossRatio)).length,
      within2: s.filter((x) => lrWithin(x.ratio, 2)).length,
      bounds: s.filter((x) => x.boundsHoldBest).length,
      n: s.length,
      worst: 10 ** worst,
      medianLoss: median(s.map((x) => x.lossRatio)),
    };
  });
  rows.sort((a, b) => b.goal - a.goal || b.within2 - a.within2 || a.worst - b.worst);
  console.log(`${cases.length} cases (${cases.map((c) => `${c.task}/${c.optimizer}`).join(', ')})\n`);
  console.log('| variant | meets goal (1.5x and 5%) | val loss within 5% | within 2x | bounds hold grid-best | worst miss | median loss ratio |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows.slice(0, Number(values.top))) {
    console.log(
      `| ${variantName(r.v)} | ${r.goal}/${r.n} | ${r.lossOk}/${r.n} | ${r.within2}/${r.n} | ${r.bounds}/${r.n} | x${r.worst.toFixed(1)} | ${r.medianLoss.toFixed(3)} |`,
    );
  }
}
