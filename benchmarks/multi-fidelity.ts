/**
 * Multi-fidelity search and PBT against today's full-budget search, at equal total training epochs.
 *
 * Each search of a (task, method, seed) gets the same resource budget (epochs in all). Its score is not its best
 * single noisy value (that rewards luck, and pruning on noisy early values can pick lucky configurations): the
 * configuration it chose is trained again on 5 fresh seeds at full budget, and the median of those validation
 * losses is the score. For PBT the chosen "configuration" is the best member's lineage: its hyperparameters per
 * segment (an evolved schedule), re-trained from scratch on 5 fresh seeds; its own final model's loss is shown too.
 * Beside the scores: epochs and time each method needed to reach the full search's median best value.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { search, type SearchResult } from '../src/search.js';
import type { StrategyName } from '../strategies/index.js';
import type { BackendOption } from '../src/options.js';
import type { Params } from '../src/space/spec.js';
import { resolveTask } from '../src/tasks/registry.js';
import { trainAndEvaluate } from '../src/tasks/train.js';
import { loadTf } from '../src/tf/backend.js';
import { resourceOf } from '../src/study/fidelity.js';
import { trainSchedule, type ScheduleStep } from '../src/tasks/replay.js';
import { holm, mannWhitneyU, median, probabilityBelow, quantile, seedsForPower } from '../src/bench/stats.js';
import { num, pValue, table } from '../src/bench/report-markdown.js';
import type { Section, SectionContext } from './section.js';
import { gitCommit } from './report.js';
import { appendJsonLine, readJsonLines } from './progress.js';
import { errors } from '../src/errors.js';

export interface Method {
  readonly id: string;
  readonly strategy: StrategyName;
  readonly scheduler?: string;
  readonly strategyOptions?: Record<string, unknown>;
  /** A share of the task's budget (the issue's "a third of the epochs"); the whole budget when absent. */
  readonly budgetShare?: number;
}

/** Today's full-budget search is the baseline; GA was the better strategy on the bundled tasks (README). */
export const METHODS: readonly Method[] = [
  { id: 'full (ga)', strategy: 'ga' },
  { id: 'ga + median', strategy: 'ga', scheduler: 'median' },
  { id: 'ga + asha', strategy: 'ga', scheduler: 'asha' },
  { id: 'ga + hyperband', strategy: 'ga', scheduler: 'hyperband' },
  { id: 'de + hyperband', strategy: 'de', scheduler: 'hyperband' },
  // The population left to the search (as many full trainings as the budget holds), and the fixed 16 it replaced.
  { id: 'pbt', strategy: 'pbt' },
  { id: 'pbt, 16 members', strategy: 'pbt', strategyOptions: { population: 16 } },
  // The issue's target ("today's result with at most a third of the epochs") judged on what a search chose, re-trained,
  // not on its best single value: the full search at a third is the control.
  { id: 'full (ga), 1/3 epochs', strategy: 'ga', budgetShare: 1 / 3 },
  { id: 'ga + median, 1/3 epochs', strategy: 'ga', scheduler: 'median', budgetShare: 1 / 3 },
  { id: 'ga + hyperband, 1/3 epochs', strategy: 'ga', scheduler: 'hyperband', budgetShare: 1 / 3 },
  { id: 'pbt, 1/3 epochs', strategy: 'pbt', budgetShare: 1 / 3 },
];

export interface MultiFidelityOptions {
  readonly tasks: readonly string[];
  /** Resource budget per search, by task (epochs in all). */
  readonly epochs: Readonly<Record<string, number>>;
  /** Seeds 0..n-1 by task. */
  readonly seeds: Readonly<Record<string, number>>;
  /** Seeds below this are left out (two processes can fill one cache from different seeds); 0 when absent. */
  readonly firstSeed?: number;
  readonly retrainSeeds: number;
  readonly methods?: readonly Method[];
  readonly workers?: number;
  readonly backend?: BackendOption;
  readonly log?: (line: string) => void;
  /** A JSON-lines file of finished cells: appended to as cells finish, read to skip them on a later run. */
  readonly cacheFile?: string;
  /** The code's commit, part of a cached cell's key (a row from other code is never reused, unless named below). */
  readonly commit?: string;
  /** Other commits whose cached cells may stand in for this one's: named by the person running, never implied. */
  readonly reuseCommits?: readonly string[];
}

export interface MultiFidelityRow {
  readonly task: string;
  readonly method: string;
  readonly seed: number;
  /** Median validation loss of the chosen configuration re-trained on fresh seeds. */
  readonly score: number;
  /** PBT only: the validation loss of its own final best model. */
  readonly finalModel?: number;
  /** The search's best single value. */
  readonly best: number;
  readonly epochs: number;
  readonly trials: number;
  readonly pruned: number;
  readonly wallMs: number;
  /** Best-so-far against cumulative epochs, in trial order: [epochs, best] at each improvement. */
  readonly curve: readonly (readonly [number, number, number])[];
  /** The commit whose code computed this cell. */
  readonly commit?: string;
}

const FRESH_SEED = 1_000_003;

/** One finished cell, as saved in the cache file: the plan it belongs to beside its row. */
interface CachedRow {
  readonly key: string;
  readonly row: MultiFidelityRow;
}

/** What makes a saved row reusable: the cell, its budget, the re-training and the code that ran it. */
const cellKey = (task: string, method: string, seed: number, budget: number, retrainSeeds: number, commit: string) =>
  JSON.stringify([task, method, seed, budget, retrainSeeds, commit]);

function readCache(file: string | undefined): Map<string, MultiFidelityRow> {
  const rows = new Map<string, MultiFidelityRow>();
  // A line torn by a kill is left out by readJsonLines: that cell runs again.
  for (const c of readJsonLines(file) as CachedRow[]) {
    const commit = (JSON.parse(c.key) as unknown[]).at(-1);
    rows.set(c.key, { ...c.row, ...(typeof commit === 'string' ? { commit } : {}) });
  }
  return rows;
}

/**
 * Runs every (task, method, seed) search and re-trains what each chose. Cells run seed by seed (every task and
 * method of seed 0, then of seed 1, ...), so a run stopped at any point has a balanced table for the seeds it
 * finished; with `cacheFile` each finished cell is appended there and a later run with the same plan and commit
 * takes it from the file instead of training again.
 */
export async function runMultiFidelity(o: MultiFidelityOptions): Promise<MultiFidelityRow[]> {
  const methods = o.methods ?? METHODS;
  const backend = o.backend ?? 'wasm';
  const { tf, backend: ran } = await loadTf({ backend, threads: 1 });
  const cached = readCache(o.cacheFile);
  const rows: MultiFidelityRow[] = [];
  for (let seed = o.firstSeed ?? 0; seed < mostSeeds(o.seeds); seed++) {
    for (const taskName of o.tasks.filter((t) => seed < (o.seeds[t] ?? 0))) {
      const task = await resolveTask(taskName);
      for (const m of methods) {
        const budget = Math.round(o.epochs[taskName]! * (m.budgetShare ?? 1));
        const commit = o.commit ?? 'unknown';
        const key = cellKey(taskName, m.id, seed, budget, o.retrainSeeds, commit);
        const saved = [commit, ...(o.reuseCommits ?? [])]
          .map((c) => cached.get(cellKey(taskName, m.id, seed, budget, o.retrainSeeds, c)))
          .find((r) => r !== undefined);
        if (saved) {
          rows.push(saved);
          o.log?.(`${taskName} ${m.id} seed ${seed}: from ${o.cacheFile} (commit ${saved.commit ?? '?'})`);
          continue;
        }
        const t0 = performance.now();
        const r = await search({
          task: taskName,
          strategy: m.strategy,
          ...(m.strategyOptions ? { strategyOptions: m.strategyOptions } : {}),
          ...(m.scheduler ? { scheduler: m.scheduler } : {}),
          budgetEpochs: budget,
          seed,
          workers: o.workers ?? 2,
          backend,
          maxConsecutiveFailures: 0,
        });
        const wallMs = performance.now() - t0;
        if (!r.best) throw new Error(`${taskName} ${m.id} seed ${seed}: no trial completed`);
        const ctx = (k: number) => ({ tf, backend: ran, seed: FRESH_SEED + 97 * k + seed, dataSeed: 0 });
        const scores: number[] = [];
        for (let k = 0; k < o.retrainSeeds; k++) {
          if (r.lineage) {
            // The evolved schedule from scratch: each segment with its hyperparameters, continuing the weights.
            scores.push((await trainSchedule(task, r.lineage.steps as readonly ScheduleStep[], ctx(k))).loss);
          } else {
            scores.push((await trainAndEvaluate(task, r.best.params as Params, ctx(k))).loss);
          }
        }
        const row: MultiFidelityRow = {
          task: taskName,
          method: m.id,
          seed,
          score: median(scores.map((s) => (Number.isFinite(s) ? s : Infinity))),
          ...(r.lineage ? { finalModel: r.best.value } : {}),
          best: r.best.value,
          epochs: r.resourceSpent,
          trials: r.trials,
          pruned: r.pruned,
          wallMs,
          curve: bestCurve(r, wallMs),
          commit,
        };
        rows.push(row);
        if (o.cacheFile) appendJsonLine(o.cacheFile, { key, row } satisfies CachedRow);
        o.log?.(
          `${taskName} ${m.id} seed ${seed}: score ${num(row.score)} best ${num(row.best)} in ${row.epochs} epochs, ${row.trials} trials (${row.pruned} pruned), ${(wallMs / 1000).toFixed(1)} s`,
        );
      }
    }
  }
  return rows;
}

/** Best-so-far after each trial in trial order, against the epochs used so far and the share of the wall time. */
function bestCurve(r: SearchResult, wallMs: number): [number, number, number][] {
  const points: [number, number, number][] = [];
  let epochs = 0;
  let best = Infinity;
  const full = r.history.reduce((s, t) => s + resourceOf(t.outcome, 0, t.segment), 0) || 1;
  for (const t of r.history) {
    epochs += resourceOf(t.outcome, 0, t.segment);
    if (t.outcome.state === 'complete' && t.outcome.value < best) {
      best = t.outcome.value;
      // Time is apportioned by epochs: trials run in parallel, so a trial's own finishing time is not the search's.
      points.push([epochs, best, (wallMs * epochs) / full]);
    }
  }
  return points;
}

/** Epochs (and time) a search needed to reach `target`, or undefined if it never did. */
function toTarget(row: MultiFidelityRow, target: number): { epochs: number; ms: number } | undefined {
  const hit = row.curve.find(([, best]) => best <= target);
  return hit ? { epochs: hit[0], ms: hit[2] } : undefined;
}

/** A method's share of the task's budget, from its definition (rows saved before shares existed had none). */
const shareOf = (id: string) => METHODS.find((m) => m.id === id)?.budgetShare ?? 1;

/** A seed count, or "never" where the two are level (no difference to find). */
const fmtSeeds = (n: number) => (Number.isFinite(n) ? String(n) : 'never');

const iqr = (xs: readonly number[]) => `${num(quantile(xs, 0.25))}-${num(quantile(xs, 0.75))}`;

/** The tables: per task, each method's median score (IQR), its test against the full search, and time to target. */
export function toMarkdown(rows: readonly MultiFidelityRow[], budgets: Readonly<Record<string, number>>): string {
  const out: string[] = [];
  const tasks = [...new Set(rows.map((r) => r.task))];
  for (const task of tasks) {
    const of = (m: string) => rows.filter((r) => r.task === task && r.method === m);
    const methods = [...new Set(rows.filter((r) => r.task === task).map((r) => r.method))];
    const baseline = methods[0]!;
    const base = of(baseline);
    const target = median(base.map((r) => r.best));
    const others = methods.slice(1);
    // Two families, each Holm-adjusted on its own: the methods at equal epochs, and those given a share of them.
    // Beside each p: how often the method is below the full search, and how many seeds would find a gap that size
    // at Holm's first step (5% over the family's size). One test per method gives all three.
    const vsFull = new Map<string, { readonly p: number; readonly below: number; readonly seeds: number }>();
    const baseScores = base.map((r) => r.score);
    for (const family of [others.filter((m) => shareOf(m) === 1), others.filter((m) => shareOf(m) !== 1)]) {
      const tests = family.map((m) => {
        const scores = of(m).map((r) => r.score);
        return { test: mannWhitneyU(scores, baseScores), scores };
      });
      const adjusted = holm(tests.map((t) => t.test.p));
      family.forEach((m, i) => {
        const below = probabilityBelow(tests[i]!.scores, baseScores, tests[i]!.test);
        vsFull.set(m, { p: adjusted[i]!, below, seeds: seedsForPower(below, 0.05 / family.length) });
      });
    }
    const baseHits = base.map((r) => toTarget(r, target));
    // Among the seeds that reached the target: a median over "never" (Infinity) says nothing once half miss.
    const reachedEpochs = (hits: readonly ({ epochs: number } | undefined)[]) => hits.flatMap((h) => (h ? [h.epochs] : []));
    const baseReached = reachedEpochs(baseHits);
    const baseEpochs = baseReached.length > 0 ? median(baseReached) : NaN;
    const body = methods.map((m) => {
      const rs = of(m);
      const scores = rs.map((r) => r.score);
      const hits = rs.map((r) => toTarget(r, target));
      const reached = hits.filter((h) => h !== undefined).length;
      const got = reachedEpochs(hits);
      const epochs = got.length > 0 ? median(got) : NaN;
      const vs = vsFull.get(m);
      return [
        m,
        `${num(median(scores))} (${iqr(scores)})`,
        vs === undefined ? '-' : pValue(vs.p),
        vs === undefined ? '-' : `${vs.below.toFixed(2)} / ${fmtSeeds(vs.seeds)}`,
        num(median(rs.map((r) => r.best))),
        rs.some((r) => r.finalModel !== undefined) ? num(median(rs.map((r) => r.finalModel ?? NaN))) : '-',
        `${reached}/${rs.length}`,
        Number.isFinite(epochs) ? `${num(epochs)}${Number.isFinite(baseEpochs) ? ` (${(epochs / baseEpochs).toFixed(2)}x)` : ''}` : 'not reached',
        num(median(rs.map((r) => r.trials))),
        num(median(rs.map((r) => r.pruned))),
        `${(median(rs.map((r) => r.wallMs)) / 1000).toFixed(1)}`,
      ];
    });
    out.push(
      `**${task}**, ${budgets[task]} epochs per search${methods.some((m) => shareOf(m) !== 1) ? ` (rows marked 1/3: ${Math.round(budgets[task]! / 3)})` : ''}, ` +
        `${base.length} seeds; target = median best of ${baseline}: ${num(target)}\n\n` +
        table(
          [
            'method',
            'score: re-trained median (IQR)',
            'p vs full (Holm)',
            'P(below full) / seeds for 80% power',
            'best value',
            'PBT final model',
            'reached target',
            'epochs to target: median of those reached (x full)',
            'trials',
            'pruned',
            'wall s',
          ],
          body,
        ),
    );
  }
  return out.join('\n\n');
}

/** Plans: quick is a smoke run (digits, 3 seeds, a small budget); full is the issue's comparison. */
const PLAN = {
  // The fixed-16 PBT row is the evidence for the population rule; at quick's budget the two nearly coincide.
  quick: {
    tasks: ['digits'],
    epochs: { digits: 300 },
    seeds: 3,
    retrainSeeds: 3,
    methods: METHODS.filter((m) => m.id !== 'pbt, 16 members' && m.budgetShare === undefined),
  },
  full: {
    tasks: ['digits', 'digits-cnn', 'spirals', 'wine'],
    epochs: { digits: 1500, 'digits-cnn': 500, spirals: 3000, wine: 3000 },
    seeds: 15,
    retrainSeeds: 5,
    // The issue's comparison: the full search, the same strategy under each scheduler, and PBT. DE inside
    // Hyperband (DEHB-style) runs in the quick plan only: a sixth method costs a sixth more of a long run.
    methods: METHODS.filter((m) => m.id !== 'de + hyperband'),
  },
} as const;

/**
 * Finished cells are appended to a file as they finish, so that a full run stopped part-way loses nothing: run the
 * same command again and it goes on from the last finished cell. The file is the run's own (benchmarks/progress.ts,
 * keyed by the commit the run measures), or MULTI_FIDELITY_CACHE (keyed by HEAD's commit) to share cells between runs.
 * MULTI_FIDELITY_SEEDS runs the first N of the plan's seeds and MULTI_FIDELITY_TASKS (comma-separated) some of
 * its tasks; the section's text says what was left out. MULTI_FIDELITY_REUSE (comma-separated commits) lets cells
 * computed by those commits stand in for this one's, for code changes that leave a method's trials alone (a search
 * is a function of its seed); every row keeps its commit and the section's text names the commits it mixes.
 * MULTI_FIDELITY_FIRST_SEED=k leaves out seeds below k, so that a second process can fill the cache from seed k on.
 */
export function cacheOptions(progress: SectionContext['progress']): { cacheFile?: string; commit: string; reuseCommits: string[] } {
  const shared = process.env.MULTI_FIDELITY_CACHE;
  const cacheFile = shared ?? (progress ? join(progress.dir, 'multi-fidelity-cells.jsonl') : undefined);
  if (cacheFile !== undefined) mkdirSync(dirname(cacheFile), { recursive: true });
  return {
    ...(cacheFile !== undefined ? { cacheFile } : {}),
    commit: (shared === undefined ? progress?.commit : undefined) ?? gitCommit() ?? 'unknown',
    reuseCommits: reuseCommits(),
  };
}

/** Outside reference figures quoted by issue #13 (another framework): shown beside ours, never computed here. */
const OPTUNA_REFERENCE = [
  "**digits, from outside (issue #13):** PyTorch + Optuna 3.1 on this repository's digits split, the same search space and " +
    'trainer semantics, 100 trials, median of 3 seeds, one thread, this 2-core machine. Losses are comparable because split, ' +
    'model and schedule semantics agree, not because the numbers are bit-identical; they were not measured by this script.',
  '',
  table(
    ['method (other framework)', 'best validation loss', 'epochs'],
    [
      ['Optuna TPE, no pruning', '0.0287', '1620'],
      ['Optuna TPE + HyperbandPruner', '0.0411', '574'],
    ],
  ),
].join('\n');

export function tasksToRun(planned: readonly string[]): readonly string[] {
  const raw = process.env.MULTI_FIDELITY_TASKS;
  if (raw === undefined) return planned;
  const tasks = raw.split(',').map((t) => t.trim());
  if (tasks.length === 0 || tasks.some((t) => !planned.includes(t)))
    throw errors.option('MULTI_FIDELITY_TASKS', `a comma-separated list of ${planned.join(', ')}`, raw);
  return planned.filter((t) => tasks.includes(t));
}

function reuseCommits(): string[] {
  const raw = process.env.MULTI_FIDELITY_REUSE;
  if (raw === undefined || raw.trim() === '') return [];
  const commits = raw.split(',').map((c) => c.trim());
  const bad = commits.find((c) => !/^[0-9a-f]{7,40}$/.test(c));
  if (bad !== undefined) throw errors.option('MULTI_FIDELITY_REUSE', 'comma-separated git commits (7-40 hex digits)', bad);
  return commits;
}

export function firstSeed(seeds: number): number {
  const raw = process.env.MULTI_FIDELITY_FIRST_SEED;
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n >= seeds) throw errors.option('MULTI_FIDELITY_FIRST_SEED', `an integer from 0 to ${seeds - 1}`, raw);
  return n;
}

/**
 * MULTI_FIDELITY_SEEDS: how many of the plan's seeds each task runs. "N" for every task, "task=M" for one task,
 * comma-separated ("15,digits-cnn=8": 15 seeds, 8 for digits-cnn); a task not named keeps N, or the plan's count.
 */
export function seedsToRun(planned: number, tasks: readonly string[]): Readonly<Record<string, number>> {
  const raw = process.env.MULTI_FIDELITY_SEEDS;
  const expected = `N or task=N, comma-separated, each N an integer from 1 to ${planned} and each task one of ${tasks.join(', ')}`;
  const count = (text: string) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || n < 1 || n > planned) throw errors.option('MULTI_FIDELITY_SEEDS', expected, raw);
    return n;
  };
  let all = planned;
  const own: Record<string, number> = {};
  for (const part of raw === undefined ? [] : raw.split(',').map((p) => p.trim())) {
    const [task, n] = part.includes('=') ? part.split('=').map((t) => t.trim()) : [undefined, part];
    if (task === undefined) all = count(n!);
    else if (tasks.includes(task)) own[task] = count(n!);
    else throw errors.option('MULTI_FIDELITY_SEEDS', expected, raw);
  }
  return Object.fromEntries(tasks.map((t) => [t, own[t] ?? all]));
}

/** The most seeds any task runs. */
export const mostSeeds = (counts: Readonly<Record<string, number>>) => Math.max(...Object.values(counts));

export const multiFidelitySection: Section = {
  id: 'multi-fidelity',
  title: '6b. Multi-fidelity: schedulers and PBT against full-budget search at equal epochs',
  async run({ quick, backend, log, progress }) {
    const planned = quick ? PLAN.quick : PLAN.full;
    const plan = { ...planned, tasks: tasksToRun(planned.tasks) };
    const counts = seedsToRun(plan.seeds, plan.tasks);
    const seeds = mostSeeds(counts);
    const from = firstSeed(seeds);
    const cache = quick ? undefined : cacheOptions(progress);
    log(
      `multi-fidelity: ${plan.tasks.join(', ')} x ${(plan.methods ?? METHODS).length} methods x ${plan.tasks.map((t) => `${counts[t]}`).join('/')} seeds, chosen configurations re-trained on ${plan.retrainSeeds} fresh seeds` +
        (cache?.cacheFile ? `; finished cells kept in ${cache.cacheFile}` : ''),
    );
    const rows = await runMultiFidelity({
      ...plan,
      seeds: counts,
      firstSeed: from,
      backend,
      log: (l) => log(`  ${l}`),
      ...cache,
    });
    const saved: SavedRun = {
      plan: { tasks: plan.tasks, epochs: plan.epochs as Readonly<Record<string, number>>, retrainSeeds: plan.retrainSeeds },
      rows,
    };
    return { kind: 'ran', markdown: sectionMarkdown(saved, quick), data: saved, charts: [] };
  },
  render: (data) => sectionMarkdown(data as SavedRun, false),
};

interface SavedRun {
  readonly plan: { readonly tasks: readonly string[]; readonly epochs: Readonly<Record<string, number>>; readonly retrainSeeds: number };
  readonly rows: readonly MultiFidelityRow[];
}

/** Which tasks ran fewer seeds than the plan's, and the MULTI_FIDELITY_SEEDS value that says so ('' if none did). */
function seedsNote(tasks: readonly string[], rows: readonly MultiFidelityRow[], planned: number): string {
  const counts = tasks.map((t) => [t, new Set(rows.filter((r) => r.task === t).map((r) => r.seed)).size] as const);
  const short = counts.filter(([, n]) => n < planned);
  if (short.length === 0) return '';
  const all = new Set(counts.map(([, n]) => n));
  if (all.size === 1) return `Seeds: the first ${counts[0]![1]} of the plan's ${planned} (MULTI_FIDELITY_SEEDS=${counts[0]![1]}). `;
  const env = short.map(([t, n]) => `${t}=${n}`).join(',');
  return `Seeds: the plan's ${planned}, except ${short.map(([t, n]) => `the first ${n} for ${t}`).join(', ')} (MULTI_FIDELITY_SEEDS=${env}). `;
}

/** The section's text and tables from its rows: what a run prints, and what RESULTS.md rebuilds with today's code. */
function sectionMarkdown({ plan, rows }: SavedRun, quick: boolean): string {
  const planned = quick ? PLAN.quick : PLAN.full;
  const seedSet = new Set(rows.map((r) => r.seed));
  const seeds = seedSet.size;
  const lowest = Math.min(...seedSet);
  const commits = [...new Set(rows.map((r) => r.commit ?? 'unknown'))];
  return [
    ...(commits.length > 1
      ? [
          `Cells come from ${commits.length} commits (${commits.map((c) => `${c}: ${rows.filter((r) => (r.commit ?? 'unknown') === c).length}`).join(', ')}; ` +
            "MULTI_FIDELITY_REUSE): code changes between them leave the reused methods' trials alone, and each row in the data names its commit.",
          '',
        ]
      : []),
    (lowest > 0
      ? `Seeds: ${lowest} to ${lowest + seeds - 1} of the plan's ${planned.seeds} (MULTI_FIDELITY_FIRST_SEED=${lowest}). `
      : seedsNote(plan.tasks, rows, planned.seeds)) +
      (plan.tasks.length < planned.tasks.length
        ? `Tasks: ${plan.tasks.join(', ')} of the plan's ${planned.tasks.join(', ')} (MULTI_FIDELITY_TASKS=${plan.tasks.join(',')}). `
        : '') +
      `Equal resource per search (epochs in all, by task); score = median validation loss of the chosen configuration re-trained on ${plan.retrainSeeds} fresh seeds (PBT: its best lineage's schedule from scratch). ` +
      "p: Mann-Whitney U of each method's scores against the full-budget search, Holm-adjusted across the rows at equal epochs and, apart, across the rows given a third of them. " +
      "P(below full): how often a seed of the method scores below a seed of the full search (1/2: level); seeds for 80% power: how many seeds per method a difference of that size would need to be found at Holm's first step (5% over the family's size; Noether 1987). " +
      "A third of the epochs is the issue's target (today's result in at most a third), judged here on the re-trained score: the full search at a third is the control. " +
      "Target: the full search's median best value; epochs to target: the median over the seeds that reached it, and as a ratio to the full search's. " +
      'Wall seconds were measured on a machine shared with other work: epochs are the comparable cost.',
    '',
    toMarkdown(rows, plan.epochs),
    ...(plan.tasks.includes('digits') ? ['', OPTUNA_REFERENCE] : []),
  ].join('\n');
}
