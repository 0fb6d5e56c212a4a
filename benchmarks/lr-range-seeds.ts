/**
 * Does reading K range-test curves (`lr-find --seeds K`: their median) bring the suggestion closer to the many-seed
 * optimum than one curve? Per bundled MLP task x Adam / SGD (momentum 0.9), each repeat runs K = 8 curves at once
 * from fresh seeds (one vectorised program; member k's curve is the one-curve test's with its seed, bit for bit:
 * test/lr-range-seeds.test.ts), and reads from them:
 *  - one curve: each member alone (8 picks per repeat);
 *  - the median of 4 curves (members 0-3 and 4-7: 2 picks), and of 8 (1 pick);
 *  - one curve then refine's race, `lr-find`'s default (member 0's curve; the race trains for real, 13-18 trainings).
 * The truth is the 20-seed grid (lr-range-grid20.json: quarter decades 1e-5..1 x training seeds 1-20, the same
 * params); the oracle is its best mean. A pick is graded, as the refine simulation does, by the grid: its validation
 * loss is the grid's 20-seed mean interpolated in log LR at the pick ("exact": linear interpolation overstates the
 * loss between two grid points near a minimum) and at the quarter-decade LR nearest it ("snapped": the 20 trainings
 * there, measured). The goal predicate is lr-range-goal.ts's. Costs are in training-equivalents (steps trained over
 * the steps of one training of the task's budget). The first repeat of every case also runs its 8 curves one after
 * another, to time the vectorised test against K solo tests side by side (and check they agree).
 *   node dist/benchmarks/lr-range-seeds.js [--quick]
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { analyseCurve } from '../src/lr-range/analyse.js';
import { medianCurve, quantile as quantileInf, sweepMembers, type Curve, type MemberCurves } from '../src/lr-range/sweep.js';
import { parseLrRangeOptions } from '../src/lr-range/options.js';
import { refine } from '../src/lr-range/refine.js';
import { holm, mannWhitneyU } from '../src/bench/stats.js';
import { num, pValue, table } from '../src/bench/report-markdown.js';
import type { BackendOption } from '../src/options.js';
import type { OptimizerName } from '../src/tasks/config.js';
import { trainConfig } from '../src/tasks/config.js';
import { BUNDLED_TASKS } from '../src/tasks/registry.js';
import { trainAndEvaluate } from '../src/tasks/train.js';
import { caseParams, gridBest, interpolatedLoss, loadBackend } from './lr-range-data.js';
import { GRID20_FILE, readSeededGrids, seededGridOf } from './lr-range-grid-seeds.js';
import { GOAL_LR_FACTOR, lrWithin, meetsGoal } from './lr-range-goal.js';
import type { Section } from './section.js';
import { timed } from './tasks.js';

const K = 8;
/** Range-test seeds: repeat r uses BASE_SEED + K r .. + K - 1, far from the grid's training seeds 1-20. */
const BASE_SEED = 1000;

export interface SeedsPlan {
  readonly tasks: readonly string[];
  readonly optimizers: readonly OptimizerName[];
  readonly repeats: number;
}

const PLANS = {
  full: { tasks: ['digits', 'wine', 'iris', 'spirals', 'sine'], optimizers: ['adam', 'sgd'], repeats: 5 },
  quick: { tasks: ['iris', 'wine'], optimizers: ['adam', 'sgd'], repeats: 1 },
} as const satisfies Record<string, SeedsPlan>;

export const FINDERS = ['one curve', 'median of 4 curves', 'median of 8 curves', 'one curve + race (lr-find default)'] as const;
export type Finder = (typeof FINDERS)[number];

/** One suggestion, graded against the 20-seed oracle. */
export interface GradedPick {
  readonly finder: Finder;
  readonly repeat: number;
  readonly lr: number;
  readonly bounds: readonly [number, number];
  /** Training-equivalents spent: sweep steps / steps of one training, plus the race's trainings. */
  readonly cost: number;
  /** lr / oracle LR. */
  readonly ratio: number;
  /** Grid mean at the pick (interpolated) / oracle's; and at the nearest grid LR. */
  readonly loss: number;
  readonly lossSnapped: number;
  /** Whether its bounds hold the oracle's LR. */
  readonly holds: boolean;
}

export interface SeedsTiming {
  readonly vectorised: { readonly wallMs: number; readonly cpuMs: number };
  readonly solo: { readonly wallMs: number; readonly cpuMs: number };
  /** Whether the 8 curves were identical both ways. */
  readonly identical: boolean;
}

export interface SeedsCase {
  readonly task: string;
  readonly optimizer: OptimizerName;
  readonly oracle: { readonly lr: number; readonly loss: number };
  readonly trainingSteps: number;
  readonly picks: readonly GradedPick[];
  readonly timing: SeedsTiming;
}

export interface SeedsResult {
  readonly plan: SeedsPlan;
  readonly backend: string;
  readonly cases: readonly SeedsCase[];
}

const snap = (lr: number) => 10 ** (Math.round(Math.log10(lr) * 4) / 4);
const stepsOf = (c: Curve, steps: number) => (c.stop.reason === 'end' ? steps : c.stop.step + 1);

export async function runSeedsBenchmark(o: { quick: boolean; backend?: BackendOption; log: (s: string) => void }): Promise<SeedsResult> {
  const plan: SeedsPlan = o.quick ? PLANS.quick : PLANS.full;
  const grids = readSeededGrids(GRID20_FILE);
  const t = await loadBackend(o.backend ?? 'wasm');
  const options = parseLrRangeOptions({});
  const tested = [options.startLr, options.endLr] as const;
  const ctx = { tf: t.tf, backend: t.backend, dataSeed: 0 };
  // Warm the code paths of both ways once, so that the first case's timing is not the JIT's.
  await sweepMembers(BUNDLED_TASKS.iris!, caseParams(BUNDLED_TASKS.iris!, 'adam'), [1, 2], { ...options, steps: 50 }, ctx, true);
  await sweepMembers(BUNDLED_TASKS.iris!, caseParams(BUNDLED_TASKS.iris!, 'adam'), [1, 2], { ...options, steps: 50 }, ctx, false);
  const cases: SeedsCase[] = [];
  for (const name of plan.tasks) {
    const task = BUNDLED_TASKS[name]!;
    for (const optimizer of plan.optimizers) {
      const grid = seededGridOf(grids, { task: name, optimizer })?.grid;
      if (!grid) throw new Error(`${GRID20_FILE} has no grid for ${name}/${optimizer}`);
      const oracle = gridBest(grid);
      const params = { ...caseParams(task, optimizer), lr: options.startLr };
      const picks: GradedPick[] = [];
      let timing: SeedsTiming | undefined;
      let trainingSteps = 0;
      for (let r = 0; r < plan.repeats; r++) {
        const seeds = Array.from({ length: K }, (_, k) => BASE_SEED + K * r + k);
        const v = await timed(() => sweepMembers(task, params, seeds, options, ctx, true));
        const swept: MemberCurves = v.value;
        trainingSteps = swept.stepsPerEpoch * trainConfig(name, params).epochs;
        if (r === 0) {
          const s = await timed(() => sweepMembers(task, params, seeds, options, ctx, false));
          const identical = JSON.stringify(s.value.curves) === JSON.stringify(swept.curves);
          timing = { vectorised: { wallMs: v.wallMs, cpuMs: v.cpuMs }, solo: { wallMs: s.wallMs, cpuMs: s.cpuMs }, identical };
        }
        const grade = (finder: Finder, lr: number, bounds: readonly [number, number], cost: number): GradedPick => ({
          finder,
          repeat: r,
          lr,
          bounds,
          cost,
          ratio: lr / oracle.lr,
          loss: interpolatedLoss(grid, lr) / oracle.loss,
          lossSnapped: interpolatedLoss(grid, snap(lr)) / oracle.loss,
          holds: bounds[0] <= oracle.lr && oracle.lr <= bounds[1],
        });
        const read = (finder: Finder, members: readonly number[]) => {
          const curves = members.map((k) => swept.curves[k]!);
          const curve = curves.length === 1 ? curves[0]! : medianCurve(curves).curve;
          const a = analyseCurve(curve, options.rule, tested);
          const cost = curves.reduce((n, c) => n + stepsOf(c, swept.steps), 0) / trainingSteps;
          picks.push(grade(finder, a.suggestion, a.bounds, cost));
          return { a, cost };
        };
        const first = read('one curve', [0]);
        for (let k = 1; k < K; k++) read('one curve', [k]);
        read('median of 4 curves', [0, 1, 2, 3]);
        read('median of 4 curves', [4, 5, 6, 7]);
        read('median of 8 curves', [0, 1, 2, 3, 4, 5, 6, 7]);
        // lr-find's default: member 0's curve, then the race, trained for real on refine's own seeds.
        let trainings = 0;
        const probe = async (lr: number, seed: number) => {
          trainings++;
          return (await trainAndEvaluate(task, { ...params, lr }, { ...ctx, seed })).loss;
        };
        const race = await refine(probe, first.a.suggestion, first.a.bounds, { finalists: options.refine, seeds: options.refineSeeds }, seeds[0]!);
        picks.push(grade('one curve + race (lr-find default)', race.suggestion, first.a.bounds, first.cost + trainings));
        o.log(`${name}/${optimizer} repeat ${r + 1}/${plan.repeats}: 8 curves in ${(v.wallMs / 1000).toFixed(1)} s, race ${trainings} trainings`);
      }
      cases.push({ task: name, optimizer, oracle, trainingSteps, picks, timing: timing! });
    }
  }
  return { plan, backend: t.backend, cases };
}

const fmtLr = (v: number) => (v >= 1e-3 && v < 1e3 ? String(Number(v.toPrecision(3))) : v.toExponential(1));
/** Quantiles that carry Infinity (a pick where some truth seed diverged). */
const q = (xs: readonly number[], p: number) =>
  quantileInf(
    [...xs].sort((a, b) => (a === b ? 0 : a - b)),
    p,
  );
const med = (xs: readonly number[]) => q(xs, 0.5);
/** Median [quartiles] of loss ratios, Infinity (a diverged LR) shown as such. */
const spread = (xs: readonly number[]) => `${med(xs).toFixed(3)} [${q(xs, 0.25).toFixed(3)}, ${q(xs, 0.75).toFixed(3)}]`;
const share = (xs: readonly GradedPick[], f: (p: GradedPick) => boolean) => `${xs.filter(f).length}/${xs.length}`;

/** A saved run's picks with JSON's null (an infinite loss ratio) read back as Infinity. */
const revive = (r: SeedsResult): SeedsResult => ({
  ...r,
  cases: r.cases.map((c) => ({ ...c, picks: c.picks.map((p) => ({ ...p, loss: p.loss ?? Infinity, lossSnapped: p.lossSnapped ?? Infinity })) })),
});

export function toMarkdown(saved: SeedsResult): string {
  const r = revive(saved);
  const of = (c: SeedsCase, f: Finder) => c.picks.filter((p) => p.finder === f);
  const all = (f: Finder) => r.cases.flatMap((c) => of(c, f));
  /** Per case, the finder's typical pick: the median of its picks' loss ratios. */
  const caseMedians = (f: Finder, key: 'loss' | 'lossSnapped') => r.cases.map((c) => med(of(c, f).map((p) => p[key])));
  const summary = FINDERS.map((f) => {
    const picks = all(f);
    const typical = caseMedians(f, 'loss');
    return [
      f,
      String(picks.length),
      num(med(picks.map((p) => p.cost))),
      share(picks, (p) => meetsGoal(p.ratio, p.loss)),
      share(picks, (p) => meetsGoal(p.ratio, p.lossSnapped)),
      share(picks, (p) => lrWithin(p.ratio, GOAL_LR_FACTOR)),
      spread(picks.map((p) => p.loss)),
      `${med(typical).toFixed(3)} / ${Math.max(...typical).toFixed(3)}`,
      `${med(caseMedians(f, 'lossSnapped')).toFixed(3)} / ${Math.max(...caseMedians(f, 'lossSnapped')).toFixed(3)}`,
      Math.max(...picks.map((p) => p.loss)).toFixed(2),
      share(picks, (p) => p.holds),
    ];
  });
  // Each finder against one curve, on the per-case typical loss ratio (one value per case: picks of a case are not
  // independent draws), Holm-corrected over the comparisons.
  const base = caseMedians('one curve', 'loss');
  const others = FINDERS.filter((f) => f !== 'one curve');
  const capped = (xs: readonly number[]) => xs.map((v) => Math.min(v, 10)); // a diverged pick ranks last, as 10x
  const tests = others.map((f) => mannWhitneyU(capped(caseMedians(f, 'loss')), capped(base)));
  const adjusted = holm(tests.map((x) => x.p));
  const perCase = r.cases.map((c) => {
    const cells = FINDERS.map((f) => {
      const picks = of(c, f);
      return `${fmtLr(med(picks.map((p) => p.ratio)))}x, ${med(picks.map((p) => p.loss)).toFixed(3)}`;
    });
    const t = c.timing;
    return [
      `${c.task} / ${c.optimizer}`,
      `${fmtLr(c.oracle.lr)} (${c.oracle.loss.toFixed(3)})`,
      ...cells,
      `${(t.solo.cpuMs / t.vectorised.cpuMs).toFixed(2)}x (${(t.solo.wallMs / t.vectorised.wallMs).toFixed(2)}x wall)${t.identical ? '' : ' CURVES DIFFER'}`,
    ];
  });
  const soloCpu = r.cases.reduce((n, c) => n + c.timing.solo.cpuMs, 0);
  const vecCpu = r.cases.reduce((n, c) => n + c.timing.vectorised.cpuMs, 0);
  return [
    `Bundled MLP tasks x ${r.plan.optimizers.join(' / ')} (SGD with momentum 0.9), ${r.plan.repeats} repeat(s) of ${K} curves from fresh seeds per case, backend ${r.backend}. ` +
      `Truth: the 20-seed grid (${GRID20_FILE}); loss ratio = the grid's 20-seed mean at the pick (interpolated in log LR) over the oracle's (its best mean). ` +
      `Goal: LR within ${GOAL_LR_FACTOR}x of the oracle's and loss ratio <= 1.05 (lr-range-goal.ts). Cost: training-equivalents (median per pick).`,
    '',
    table(
      [
        'finder',
        'picks',
        'cost',
        'meets goal',
        'meets goal (pick snapped to the grid)',
        'LR within 1.5x',
        'loss ratio, all picks: median [IQR]',
        'per-case typical loss ratio: median / worst case',
        'the same, snapped',
        'worst pick',
        'bounds hold the oracle LR',
      ],
      summary,
    ),
    '',
    `Against one curve (per-case typical loss ratio, ${r.cases.length} cases each; Mann-Whitney, Holm-corrected): ` +
      others.map((f, i) => `${f} p = ${pValue(adjusted[i]!)}`).join('; ') +
      '.',
    '',
    'Per case: median pick over the oracle LR, median loss ratio; and the time of 8 curves one after another over 8 at once (CPU; wall):',
    '',
    table(['task / optimizer', 'oracle LR (val loss)', ...FINDERS, 'K solo / vectorised'], perCase),
    '',
    `K = ${K} range tests vectorised against ${K} solo tests, all cases together: ${(soloCpu / vecCpu).toFixed(2)}x less CPU ` +
      `(${(vecCpu / 1000).toFixed(1)} s against ${(soloCpu / 1000).toFixed(1)} s); the curves were ${r.cases.every((c) => c.timing.identical) ? 'identical' : 'NOT identical'} both ways.`,
  ].join('\n');
}

export const lrSeedsSection: Section = {
  id: 'lr-seeds',
  title: '2b. LR range test over several seeds: the median of K curves against one curve and the race',
  async run({ quick, backend, log }) {
    const result = await runSeedsBenchmark({ quick, backend, log });
    return { kind: 'ran', markdown: toMarkdown(result), data: result, charts: [] };
  },
  render: (data) => toMarkdown(data as SeedsResult),
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  const result = await runSeedsBenchmark({ quick: values.quick, log: (s) => console.error(s) });
  console.log(toMarkdown(result));
}
