/**
 * Should the LR range test's search bounds reach past the falling region? Per bundled MLP task x Adam / SGD
 * (momentum 0.9), and on a task outside the bundled set (tabular30.ts, written from the task contract alone), K = 8
 * range-test curves per repeat (the seeds of lr-range-seeds.ts, so the same curves) are read three ways: each curve
 * alone (what `search --lr-bounds auto` runs), their median (`--seeds 8`), and the median's suggestion inside the
 * envelope of the members' own bounds. Each reading's bounds are widened by every candidate margin and graded
 * against the 20-seed grid (quarter decades 1e-5..1 x training seeds 1-20; the bundled tasks' from
 * lr-range-grid20.json, tabular30's trained here once and cached in lr-margin-tabular30-grid.json), with no further
 * training:
 *  - holds: the bounds contain the oracle LR (the grid's best 20-seed mean); oracle / upper bound;
 *  - in-bounds best: the lowest 20-seed mean inside the bounds over the oracle's (what the bounds lose at best);
 *  - search: a random search of N log-uniform draws inside the bounds, each scored by ONE training (a random grid
 *    seed's loss, interpolated in log LR; past the grid's top, 1, a failed trial), picking its lowest; graded by the
 *    20-seed mean at its pick over the oracle's (mean of 400 simulated searches per bounds). The cost of a wider range
 *    shows here: the same draws spread thinner;
 *  - race: lr-find's default stage 2 (refine.ts, run as is) with each probe's training looked up in the grid
 *    (probe seed mod 20; a lattice LR off the grid counts as diverged), graded the same way; its trainings.
 *
 * Decision rule (decide below), on the bundled cases only: an alternative replaces the baseline when, against it, it
 * lowers the mean over cases of the search's loss ratio by at least 0.5% at both N = 10 and N = 30, and does not
 * raise the race's median or worst case loss ratio by more than 0.5%; of those passing, the one with the lowest mean
 * at N = 30. Applied twice: the margins against none on one curve's bounds; the members' envelope against the
 * median curve's bounds for --seeds 8.
 *   node dist/benchmarks/lr-range-margin.js [--quick]
 */
import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { analyseCurve, BOUNDS_MARGIN, NO_MARGIN, searchBounds, type Analysis, type BoundsMargin, type LrInterval } from '../src/lr-range/analyse.js';
import { medianCurve, sweepMembers } from '../src/lr-range/sweep.js';
import { parseLrRangeOptions } from '../src/lr-range/options.js';
import { refine } from '../src/lr-range/refine.js';
import { holm, mannWhitneyU, mean, median } from '../src/bench/stats.js';
import { pValue, table } from '../src/bench/report-markdown.js';
import type { BackendOption } from '../src/options.js';
import type { OptimizerName } from '../src/tasks/config.js';
import { trainGroup } from '../src/tasks/group-train.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import type { Task } from '../src/tasks/types.js';
import { rngFor, type Rng } from '../src/util/rng.js';
import { ANCHOR_GRID, caseParams, gridBest, loadBackend, type GridPoint, type Tf } from './lr-range-data.js';
import { GRID20_FILE, readSeededGrids, seededGridOf, type SeededGrid } from './lr-range-grid-seeds.js';
import type { Section } from './section.js';
import { tabular30 } from './tabular30.js';

const K = 8;
/** lr-range-seeds.ts's seeds: repeat r uses BASE_SEED + K r .. + K - 1. */
const BASE_SEED = 1000;
const GRID_SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
export const TABULAR_GRID_FILE = 'benchmarks/results/lr-margin-tabular30-grid.json';
const SEARCH_BUDGETS = [10, 30] as const;
const SIMULATIONS = 400;

export const CANDIDATES = [
  { name: 'none (x1)', margin: NO_MARGIN },
  { name: 'upper x1.5', margin: { lower: 1, upper: 1.5 } },
  { name: 'upper x2', margin: { lower: 1, upper: 2 } },
  { name: 'upper x3', margin: { lower: 1, upper: 3 } },
  { name: 'both x2', margin: { lower: 2, upper: 2 } },
] as const satisfies ReadonlyArray<{ name: string; margin: BoundsMargin }>;
export type CandidateName = (typeof CANDIDATES)[number]['name'];

export const READINGS = ['one curve', 'median of 8', 'median of 8, members envelope'] as const;
export type Reading = (typeof READINGS)[number];

const PLANS = {
  full: { tasks: ['digits', 'wine', 'iris', 'spirals', 'sine', 'tabular30'], optimizers: ['adam', 'sgd'], repeats: 5 },
  quick: { tasks: ['iris', 'tabular30'], optimizers: ['adam', 'sgd'], repeats: 1 },
} as const;
type Plan = { readonly tasks: readonly string[]; readonly optimizers: readonly OptimizerName[]; readonly repeats: number };

/** One reading's bounds under one candidate, graded. */
export interface Graded {
  readonly reading: Reading;
  readonly candidate: CandidateName;
  readonly repeat: number;
  readonly bounds: LrInterval;
  readonly holds: boolean;
  /** oracle LR / upper bound, oracle LR / lower bound. */
  readonly overUpper: number;
  readonly overLower: number;
  readonly inBoundsBest: number;
  /** Mean loss ratio of the simulated random search, per budget in SEARCH_BUDGETS. */
  readonly search: readonly number[];
  readonly race: number;
  readonly raceTrainings: number;
  /** The suggestion's loss ratio (the margin does not move it). */
  readonly suggestion: number;
}

export interface MarginCase {
  readonly task: string;
  readonly optimizer: OptimizerName;
  readonly bundled: boolean;
  readonly oracle: { readonly lr: number; readonly loss: number };
  readonly graded: readonly Graded[];
}

export interface MarginResult {
  readonly plan: Plan;
  readonly backend: string;
  readonly current: BoundsMargin;
  readonly cases: readonly MarginCase[];
}

const TASKS: Record<string, Task> = { ...BUNDLED_TASKS, tabular30 };

/** The 20-seed grid of tabular30 x optimizer, trained as one group per training seed (all LRs at once). */
async function trainTabularGrid(t: Tf, optimizer: OptimizerName, seeds: readonly number[], log: (s: string) => void): Promise<SeededGrid> {
  const params = caseParams(tabular30, optimizer);
  const losses = ANCHOR_GRID.map(() => [] as number[]);
  const t0 = performance.now();
  for (const seed of seeds) {
    const r = await trainGroup(
      tabular30,
      ANCHOR_GRID.map((lr) => ({ params: { ...params, lr }, seed })),
      { tf: t.tf, backend: t.backend, dataSeed: 0 },
    );
    r.members.forEach((m, i) => losses[i]!.push(m.state === 'diverged' ? NaN : m.loss));
  }
  log(`tabular30/${optimizer}: grid of ${ANCHOR_GRID.length} LRs x ${seeds.length} seeds in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return { task: 'tabular30', optimizer, seeds: [...seeds], grid: ANCHOR_GRID.map((lr, i) => ({ lr, losses: losses[i]! })) };
}

/** The truth at any LR: per seed (index) or the seeds' mean, linear in log LR between grid points; off the grid's
 *  top a failed training (Infinity), below its bottom the first point's. A diverged neighbour makes it Infinity. */
class Truth {
  private readonly logs: number[];
  private readonly means: number[];
  readonly oracle: { lr: number; loss: number };
  constructor(private readonly grid: readonly GridPoint[]) {
    this.logs = grid.map((g) => Math.log(g.lr));
    this.means = grid.map((g) => (g.losses.every(Number.isFinite) ? mean(g.losses) : Infinity));
    this.oracle = gridBest(grid);
  }
  private at(values: (i: number) => number, lr: number): number {
    const x = Math.log(lr);
    const n = this.logs.length;
    if (x <= this.logs[0]!) return values(0);
    if (x > this.logs[n - 1]! + 1e-9) return Infinity;
    let i = 0;
    while (i + 2 < n && x > this.logs[i + 1]!) i++;
    const t = Math.min(1, (x - this.logs[i]!) / (this.logs[i + 1]! - this.logs[i]!));
    const [a, b] = [values(i), values(i + 1)];
    if (t < 1e-9) return a;
    if (t > 1 - 1e-9) return b;
    return Number.isFinite(a) && Number.isFinite(b) ? a * (1 - t) + b * t : Infinity;
  }
  mean = (lr: number) => this.at((i) => this.means[i]!, lr);
  seed = (lr: number, s: number) => this.at((i) => finite(this.grid[i]!.losses[s]!), lr);
  get seeds() {
    return this.grid[0]!.losses.length;
  }
  /** A grid training's loss at a lattice LR (refine's probes sit on the grid's quarter decades). */
  probe = (lr: number, seed: number) => {
    const i = this.logs.findIndex((l) => Math.abs(l - Math.log(lr)) < 1e-6);
    return Promise.resolve(i < 0 ? NaN : this.grid[i]!.losses[((seed % this.seeds) + this.seeds) % this.seeds]!);
  };
}
const finite = (v: number) => (Number.isFinite(v) ? v : Infinity);

function inBoundsBest(truth: Truth, [lo, hi]: LrInterval): number {
  let best = Infinity;
  for (let i = 0; i <= 200; i++) best = Math.min(best, truth.mean(lo * (hi / lo) ** (i / 200)));
  // The grid points inside, exactly (the fine sweep may step over one).
  for (const g of ANCHOR_GRID) if (g >= lo && g <= hi) best = Math.min(best, truth.mean(g));
  return best;
}

/** Mean over simulations of the 20-seed loss at a random search's pick (its lowest single-training loss). */
function simulatedSearch(truth: Truth, [lo, hi]: LrInterval, n: number, rng: Rng): number {
  let sum = 0;
  for (let s = 0; s < SIMULATIONS; s++) {
    let pick = lo;
    let seen = Infinity;
    for (let d = 0; d < n; d++) {
      const lr = lo * (hi / lo) ** rng();
      const observed = truth.seed(lr, Math.floor(rng() * truth.seeds));
      if (observed < seen) [seen, pick] = [observed, lr];
    }
    // Nothing trained (every draw failed): the search has no answer, graded as the worst that could be.
    sum += Number.isFinite(seen) ? Math.min(truth.mean(pick), 10 * truth.oracle.loss) : 10 * truth.oracle.loss;
  }
  return sum / SIMULATIONS / truth.oracle.loss;
}

async function gradeCase(truth: Truth, t: Tf, task: Task, optimizer: OptimizerName, repeats: number, log: (s: string) => void): Promise<Graded[]> {
  const options = parseLrRangeOptions({});
  const tested = [options.startLr, options.endLr] as const;
  const params = { ...caseParams(task, optimizer), lr: options.startLr };
  const ctx = { tf: t.tf, backend: t.backend, dataSeed: 0 };
  const out: Graded[] = [];
  const o = truth.oracle;
  for (let r = 0; r < repeats; r++) {
    const seeds = Array.from({ length: K }, (_, k) => BASE_SEED + K * r + k);
    const swept = await sweepMembers(task, params, seeds, options, ctx, true);
    const read = (c: (typeof swept.curves)[number]): Analysis | undefined => {
      try {
        return analyseCurve(c, options.rule, tested);
      } catch {
        return undefined;
      }
    };
    const members = swept.curves.map(read);
    const med = read(medianCurve(swept.curves).curve);
    const readings: Array<{ reading: Reading; a: Analysis; bounds: (m: BoundsMargin) => LrInterval; seed: number }> = [];
    members.forEach((a, k) => {
      if (a)
        readings.push({
          reading: 'one curve',
          a,
          seed: seeds[k]!,
          bounds: (m) => searchBounds(a.suggestion, a.diagnosis.regions.falling, tested, m),
        });
    });
    if (med) {
      readings.push({
        reading: 'median of 8',
        a: med,
        seed: seeds[0]!,
        bounds: (m) => searchBounds(med.suggestion, med.diagnosis.regions.falling, tested, m),
      });
      const own = members.filter((a): a is Analysis => a !== undefined);
      readings.push({
        reading: 'median of 8, members envelope',
        a: med,
        seed: seeds[0]!,
        bounds: (m) => {
          const each = [med, ...own].map((a) => searchBounds(a.suggestion, a.diagnosis.regions.falling, tested, m));
          return [Math.min(...each.map((b) => b[0])), Math.max(...each.map((b) => b[1]))];
        },
      });
    }
    for (const { reading, a, bounds: boundsOf, seed } of readings) {
      for (const { name, margin } of CANDIDATES) {
        const bounds = boundsOf(margin);
        let trainings = 0;
        const probe = (lr: number, s: number) => {
          trainings++;
          return truth.probe(lr, s);
        };
        const race = await refine(probe, a.suggestion, bounds, { finalists: options.refine, seeds: options.refineSeeds }, seed);
        const rng = rngFor(seed, 'lr-margin', reading, name);
        out.push({
          reading,
          candidate: name,
          repeat: r,
          bounds,
          holds: bounds[0] <= o.lr * (1 + 1e-9) && o.lr <= bounds[1] * (1 + 1e-9),
          overUpper: o.lr / bounds[1],
          overLower: o.lr / bounds[0],
          inBoundsBest: Math.min(inBoundsBest(truth, bounds) / o.loss, 10),
          search: SEARCH_BUDGETS.map((n) => simulatedSearch(truth, bounds, n, rng)),
          race: Math.min(truth.mean(race.suggestion) / o.loss, 10),
          raceTrainings: trainings,
          suggestion: Math.min(truth.mean(a.suggestion) / o.loss, 10),
        });
      }
    }
    log(`${task.name}/${optimizer} repeat ${r + 1}/${repeats}: ${members.filter(Boolean).length}/${K} curves read`);
  }
  return out;
}

export async function runMarginBenchmark(o: {
  quick: boolean;
  backend?: BackendOption;
  tasks?: readonly string[];
  log: (s: string) => void;
}): Promise<MarginResult> {
  const base: Plan = o.quick ? PLANS.quick : PLANS.full;
  const plan: Plan = o.tasks ? { ...base, tasks: o.tasks } : base;
  const t = await loadBackend(o.backend ?? 'wasm');
  const bundledGrids = readSeededGrids(GRID20_FILE);
  let tabularGrids = existsSync(TABULAR_GRID_FILE) ? readSeededGrids(TABULAR_GRID_FILE) : [];
  if (plan.tasks.includes('tabular30') && plan.optimizers.some((opt) => !seededGridOf(tabularGrids, { task: 'tabular30', optimizer: opt }))) {
    // Quick mode without the committed grid trains a small one (4 seeds) and keeps it to itself.
    const seeds = o.quick ? GRID_SEEDS.slice(0, 4) : GRID_SEEDS;
    tabularGrids = [];
    for (const opt of ['adam', 'sgd'] as const) tabularGrids.push(await trainTabularGrid(t, opt, seeds, o.log));
    if (!o.quick) writeFileSync(TABULAR_GRID_FILE, JSON.stringify(tabularGrids));
  }
  const cases: MarginCase[] = [];
  for (const name of plan.tasks) {
    for (const optimizer of plan.optimizers) {
      const bundled = name !== 'tabular30';
      const grid = seededGridOf(bundled ? bundledGrids : tabularGrids, { task: name, optimizer })?.grid;
      if (!grid) throw new Error(`no 20-seed grid for ${name}/${optimizer}`);
      const truth = new Truth(grid);
      const graded = await gradeCase(truth, t, TASKS[name]!, optimizer, plan.repeats, o.log);
      cases.push({ task: name, optimizer, bundled, oracle: truth.oracle, graded });
    }
  }
  return { plan, backend: t.backend, current: BOUNDS_MARGIN, cases };
}

/** Per case, the mean of a reading x candidate's picks on `key`. */
const perCase = (cases: readonly MarginCase[], reading: Reading, cand: CandidateName, key: (g: Graded) => number) =>
  cases.map((c) => mean(c.graded.filter((g) => g.reading === reading && g.candidate === cand).map(key)));

interface Arm {
  readonly reading: Reading;
  readonly candidate: CandidateName;
}
const armName = (a: Arm) => (a.reading === 'one curve' ? a.candidate : `${a.reading}, ${a.candidate}`);

/** The rule in the module's comment: which of `arms` replaces `base`, on the bundled cases. */
export function decideBetween(r: MarginResult, base: Arm, arms: readonly Arm[]): { choice: string; why: string } {
  const bundled = r.cases.filter((c) => c.bundled);
  const score = (a: Arm) => ({
    search: SEARCH_BUDGETS.map((_, i) => mean(perCase(bundled, a.reading, a.candidate, (g) => g.search[i]!))),
    raceMedian: median(perCase(bundled, a.reading, a.candidate, (g) => g.race)),
    raceWorst: Math.max(...perCase(bundled, a.reading, a.candidate, (g) => g.race)),
  });
  const b = score(base);
  const passing = arms.filter((a) => {
    const s = score(a);
    return s.search.every((v, i) => v <= b.search[i]! * 0.995) && s.raceMedian <= b.raceMedian * 1.005 && s.raceWorst <= b.raceWorst * 1.005;
  });
  if (passing.length === 0) return { choice: armName(base), why: `none of ${arms.map(armName).join(', ')} passes the rule against it` };
  const best = passing.reduce((x, y) => (score(y).search[1]! < score(x).search[1]! ? y : x));
  return { choice: armName(best), why: `passes the rule (${passing.map(armName).join(', ')} pass) with the lowest mean search loss ratio at N = 30` };
}

/** The two decisions: a margin for the bounds of one curve; the members' envelope for the bounds of --seeds 8. */
export function decide(r: MarginResult) {
  const none = 'none (x1)' as const;
  return {
    margin: decideBetween(
      r,
      { reading: 'one curve', candidate: none },
      CANDIDATES.filter((c) => c.name !== none).map((c) => ({ reading: 'one curve' as const, candidate: c.name })),
    ),
    envelope: decideBetween(r, { reading: 'median of 8', candidate: none }, [{ reading: 'median of 8, members envelope', candidate: none }]),
  };
}

/** Per-case mean search loss ratio at N = 30, each margin against none (Mann-Whitney over cases, Holm-corrected). */
function pValues(cases: readonly MarginCase[], reading: Reading): Map<CandidateName, number> {
  const at = (cand: CandidateName) => perCase(cases, reading, cand, (g) => g.search[1]!);
  const others = CANDIDATES.filter((c) => c.name !== 'none (x1)');
  const ps = holm(others.map((c) => mannWhitneyU(at(c.name), at('none (x1)')).p));
  return new Map(others.map((c, i) => [c.name, ps[i]!]));
}

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'inf');
const fx = (v: number) => (v >= 0.01 && v < 100 ? `${Number(v.toPrecision(3))}x` : `${v.toExponential(1)}x`);

export function toMarkdown(r: MarginResult): string {
  const groups = [
    { label: 'bundled tasks', cases: r.cases.filter((c) => c.bundled) },
    { label: 'tabular30 (outside the bundled set)', cases: r.cases.filter((c) => !c.bundled) },
  ].filter((g) => g.cases.length > 0);
  const summary = (cases: readonly MarginCase[], reading: Reading) =>
    CANDIDATES.map(({ name }) => {
      const gs = cases.flatMap((c) => c.graded.filter((g) => g.reading === reading && g.candidate === name));
      const mw = (key: (g: Graded) => number) => {
        const xs = perCase(cases, reading, name, key);
        return `${f3(mean(xs))} / ${f3(Math.max(...xs))}`;
      };
      return [
        name,
        `${gs.filter((g) => g.holds).length}/${gs.length}`,
        median(gs.map((g) => Math.log10(g.bounds[1] / g.bounds[0]))).toFixed(2),
        mw((g) => g.inBoundsBest),
        ...SEARCH_BUDGETS.map((_, i) => mw((g) => g.search[i]!)),
        name === 'none (x1)' || cases.length < 2 ? '' : pValue(pValues(cases, reading).get(name)!),
        `${f3(median(perCase(cases, reading, name, (g) => g.race)))} / ${f3(Math.max(...perCase(cases, reading, name, (g) => g.race)))}`,
        mean(gs.map((g) => g.raceTrainings)).toFixed(1),
      ];
    });
  const head = [
    'margin',
    'bounds hold the oracle LR',
    'width, decades (median)',
    'in-bounds best / oracle: mean / worst case',
    ...SEARCH_BUDGETS.map((n) => `random search N=${n}: mean / worst case`),
    'N=30 against none: p (Holm)',
    'race (lr-find default): median / worst case',
    'race trainings (mean)',
  ];
  const perCaseRows = r.cases.map((c) => {
    const gs = (reading: Reading, cand: CandidateName) => c.graded.filter((g) => g.reading === reading && g.candidate === cand);
    const one = gs('one curve', 'none (x1)');
    const med8 = gs('median of 8', 'none (x1)');
    const env = gs('median of 8, members envelope', 'none (x1)');
    return [
      `${c.task} / ${c.optimizer}`,
      `${c.oracle.lr.toPrecision(3)} (${c.oracle.loss.toFixed(3)})`,
      `${fx(median(one.map((g) => g.overUpper)))} [${fx(Math.min(...one.map((g) => g.overUpper)))}, ${fx(Math.max(...one.map((g) => g.overUpper)))}]`,
      `${fx(median(one.map((g) => g.overLower)))}`,
      `${one.filter((g) => g.holds).length}/${one.length}; ${med8.filter((g) => g.holds).length}/${med8.length}; ${env.filter((g) => g.holds).length}/${env.length}`,
      f3(mean(one.map((g) => g.inBoundsBest))),
      `${f3(median(one.map((g) => g.suggestion)))} / ${f3(median(med8.map((g) => g.suggestion)))}`,
      ...CANDIDATES.map(({ name }) => f3(mean(gs('one curve', name).map((g) => g.search[1]!)))),
    ];
  });
  const d = decide(r);
  return [
    `K = ${K} range-test curves per repeat x ${r.plan.repeats} repeat(s) per case (seeds ${BASE_SEED}+, as lr-range-seeds), backend ${r.backend}; ` +
      `SGD with momentum 0.9. Truth: 20-seed grids (${GRID20_FILE}; tabular30: ${TABULAR_GRID_FILE}). Loss ratios are the 20-seed mean at the ` +
      `LR over the oracle's (best grid mean); a diverged or off-grid LR counts as 10. Random search: ${SIMULATIONS} simulated searches per bounds, ` +
      `each draw scored by one grid training. Mean / worst case: over cases of the per-case mean.`,
    '',
    ...groups.flatMap((g) =>
      READINGS.flatMap((reading) => [`**${g.label}, ${reading}** (${g.cases.length} cases):`, '', table(head, summary(g.cases, reading)), '']),
    ),
    'Per case, one curve, no margin: oracle LR (its loss); oracle over the upper bound: median [min, max] over curves; oracle over the lower ' +
      "bound (median); bounds holding the oracle (one curve; median of 8; its members envelope); in-bounds best (one curve); the suggestion's loss ratio (median; one curve / median of 8); then the " +
      `random search's mean loss ratio at N = ${SEARCH_BUDGETS[1]} under each margin:`,
    '',
    table(
      [
        'task / optimizer',
        'oracle LR (loss)',
        'oracle / upper',
        'oracle / lower',
        'holds: one curve; median of 8; envelope',
        'in-bounds best',
        'suggestion: one / median of 8',
        ...CANDIDATES.map((c) => `N=${SEARCH_BUDGETS[1]}, ${c.name}`),
      ],
      perCaseRows,
    ),
    '',
    `Decisions (rule in benchmarks/lr-range-margin.ts, bundled cases): margin for one curve's bounds: **${d.margin.choice}**: ${d.margin.why}. ` +
      `Members envelope for --seeds 8: **${d.envelope.choice}**: ${d.envelope.why}. ` +
      `Library margin when this ran: lower /${r.current.lower}, upper x${r.current.upper}.`,
  ].join('\n');
}

export const lrMarginSection: Section = {
  id: 'lr-margin',
  title: '2c. LR range test bounds: a margin past the falling region, and the members envelope of --seeds K',
  async run({ quick, backend, log }) {
    const result = await runMarginBenchmark({ quick, backend, log });
    return { kind: 'ran', markdown: toMarkdown(result), data: result, charts: [] };
  },
  render: (data) => toMarkdown(data as MarginResult),
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, tasks: { type: 'string' } } });
  const result = await runMarginBenchmark({ quick: values.quick, tasks: values.tasks?.split(','), log: (s) => console.error(s) });
  console.log(toMarkdown(result));
}
