/**
 * Every strategy on shifted and rotated test functions, beside Optuna's CmaEsSampler, DEAP's GA and pyswarms' PSO
 * run on the same problems (benchmarks/anchors/*.py read the problem specs this module writes).
 *   node dist/benchmarks/test-functions.js [--quick] [--seeds N]   # prints the section's markdown
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { getStrategy, strategyNames } from '../strategies/index.js';
import { packageRoot } from '../src/util/compiled.js';
import { minimize } from '../src/bench/driver.js';
import { ALL_FUNCTIONS, onCube } from '../src/bench/functions.js';
import { problem, problemLabel, specOf, VARIANTS, type Problem, type Variant } from '../src/bench/problems.js';
import { num, pValue, table } from '../src/bench/report-markdown.js';
import { holm, mannWhitneyU, summarize } from '../src/bench/stats.js';

export interface Plan {
  readonly dims: readonly number[];
  /** Evaluation counts read off every run (the largest is each run's budget). */
  readonly budgets: readonly number[];
  readonly seeds: number;
  /** Optuna's own CmaEsSampler runs up to this budget (it costs O(trials) per trial); cmaes.CMA direct beyond. */
  readonly optunaMax: number;
  /** Budgets at which each strategy's defaults are weighed against the alternatives. */
  readonly alternativeBudgets: readonly number[];
  /** The plain / shifted / rotated comparison: evotune's strategies only, at the first dimension and this budget. */
  readonly variantsBudget: number;
}

/**
 * Full, per dimension: 3 budgets x 8 functions x 10 seeds. Every run goes to 5000 evaluations and is read at 500,
 * 1000 and 5000 (a strategy blind to its budget: that equals three runs; GA, which reads it, runs three). Optuna's sampler costs 2-12 ms of CPU per
 * trial and grows with the trials (a 5000-trial study at 20 dimensions: ~40 s), hence only to 500; the direct loop
 * covers every budget. At 10 dimensions about 5 minutes of CPU: ~2.5 for evotune's strategies, ~2.5 for the
 * anchors, which run in their own processes beside them.
 */
export const plans = (dim: number): Readonly<Record<'quick' | 'full', Plan>> => ({
  quick: { dims: [dim], budgets: [500], seeds: 3, optunaMax: 500, alternativeBudgets: [500], variantsBudget: 500 },
  full: { dims: [dim], budgets: [500, 1000, 5000], seeds: 10, optunaMax: 500, alternativeBudgets: [500, 1000], variantsBudget: 500 },
});

/** The headline variant: the optimum off-centre and the axes turned. */
export const HEADLINE: Variant = 'shifted+rotated';

export const ANCHORS = [
  { label: 'Optuna CmaEsSampler', script: 'optuna_cma.py', args: [] as string[], upTo: 'optunaMax' as const },
  { label: 'Optuna CMA (direct)', script: 'optuna_cma.py', args: ['--direct'], upTo: 'budget' as const },
  { label: 'DEAP GA', script: 'deap_ga.py', args: [] as string[], upTo: 'budget' as const },
  { label: 'pyswarms PSO', script: 'pyswarms_pso.py', args: [] as string[], upTo: 'budget' as const },
] as const;

/** One contender on one problem at one budget: its best value per seed. */
export interface Row {
  readonly variant: Variant;
  readonly dim: number;
  readonly fn: string;
  readonly budget: number;
  readonly contender: string;
  readonly bests: readonly number[];
}

export interface Skip {
  readonly contender: string;
  readonly reason: string;
}

export interface Measured {
  readonly plan: Plan;
  readonly rows: readonly Row[];
  readonly skipped: readonly Skip[];
  readonly specs: ReturnType<typeof specOf>[];
  /** The earlier results file the anchors' rows were taken from, instead of running them (see reusedAnchors). */
  readonly anchorsFrom?: { readonly file: string; readonly date: string; readonly commit: string };
}

type Log = (line: string) => void;

/** A strategy with options, under a label. */
export interface Config {
  readonly label: string;
  readonly strategy: string;
  readonly options?: Readonly<Record<string, unknown>>;
}

/** Every strategy that searches a fixed objective (PBT trains its trials in segments from checkpoints: not one). */
const searchers = () => strategyNames().filter((s) => !getStrategy(s).continuesTraining);
const defaults = (): Config[] => searchers().map((s) => ({ label: s, strategy: s }));
const budgetAware = () => searchers().filter((s) => getStrategy(s).forBudget !== undefined);

/**
 * The settings each strategy's defaults are weighed against on the headline set: the textbook or the anchor's choice
 * where it differs from ours.
 */
export const ALTERNATIVES: readonly Config[] = [
  { strategy: 'cmaes', options: { restarts: 'none' } },
  { strategy: 'cmaes', options: { sigma0: 0.3 } },
  { strategy: 'ga', options: { populationSize: 50 } },
  { strategy: 'ga', options: { resetRate: 0 } },
  { strategy: 'pso', options: { topology: 'global' } },
  { strategy: 'pso', options: { swarmSize: 40 } },
  { strategy: 'de', options: { CR: 0.9 } },
  { strategy: 'de', options: { dither: 0.5 } },
].map((c) => ({
  ...c,
  label: `${c.strategy} ${Object.entries(c.options)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`,
}));

/**
 * Each config on each problem: one run per seed read at every budget, or for a strategy that reads its budget
 * (Strategy.forBudget: GA's population) one run per seed and budget.
 */
export function runStrategies(probs: readonly Problem[], budgets: readonly number[], seeds: number, configs: readonly Config[] = defaults()): Row[] {
  return probs.flatMap((p) =>
    configs.flatMap((c) => {
      const strategy = getStrategy(c.strategy);
      const run = (budget: number, seed: number, checkpoints: readonly number[]) =>
        minimize({ strategy, options: c.options, dim: p.dim, budget, seed, objective: onCube(p), checkpoints }).bestAt;
      const seedList = Array.from({ length: seeds }, (_, seed) => seed);
      const bests = strategy.forBudget
        ? budgets.map((b) => seedList.map((seed) => run(b, seed, [b])[0]!))
        : ((runs) => budgets.map((_, i) => runs.map((r) => r[i]!)))(seedList.map((seed) => run(Math.max(...budgets), seed, budgets)));
      return budgets.map((b, i) => ({ variant: p.variant, dim: p.dim, fn: p.fn, budget: b, contender: c.label, bests: bests[i]! }));
    }),
  );
}

/** The Python interpreter the anchors need (Debian's, where python3-optuna and friends live). */
const PYTHON = process.env.EVOTUNE_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const ANCHOR_DIR = join(packageRoot(dirname(fileURLToPath(import.meta.url))), 'benchmarks', 'anchors');

/** Runs one anchor script on the problems; a missing package (exit 3) or interpreter becomes a skip with its reason. */
async function runAnchor(anchor: (typeof ANCHORS)[number], specFile: string, probs: readonly Problem[], plan: Plan, log: Log): Promise<Row[] | Skip> {
  const limit = anchor.upTo === 'optunaMax' ? plan.optunaMax : Infinity;
  const budgets = plan.budgets.filter((b) => b <= limit);
  if (budgets.length === 0) return { contender: anchor.label, reason: `not run above ${limit} evaluations` };
  const args = [join(ANCHOR_DIR, anchor.script), specFile, '--seeds', String(plan.seeds), '--checkpoints', budgets.join(','), ...anchor.args];
  log(`${anchor.label}: ${PYTHON} ${anchor.script} ${anchor.args.join(' ')} (budgets ${budgets.join(', ')})`);
  const r = await run(PYTHON, args);
  if (r.code !== 0) {
    const why = r.stderr.trim().split('\n').pop() ?? `exit code ${r.code}`;
    if (r.code === 3 || r.code === 127 || r.code === -1) return { contender: anchor.label, reason: why };
    throw new Error(`${anchor.script} failed: ${why}`);
  }
  const out = JSON.parse(r.stdout) as Array<{ fn: string; variant: Variant; dim: number; seed: number; bestAt: number[] }>;
  return probs.flatMap((p) => {
    const mine = out.filter((o) => o.fn === p.fn && o.dim === p.dim && o.variant === p.variant).sort((a, b) => a.seed - b.seed);
    return budgets.map((b, i) => ({
      variant: p.variant,
      dim: p.dim,
      fn: p.fn,
      budget: b,
      contender: anchor.label,
      bests: mine.map((o) => o.bestAt[i]!),
    }));
  });
}

function run(cmd: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // One BLAS thread: the machine is shared, and numpy's threads only add overhead on 10x10 matrices.
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', PYTHONHASHSEED: '0' };
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => resolve({ code: -1, stdout, stderr: `${cmd}: ${e.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * The anchors' rows of an earlier run of this section, from the first of `files` (results JSON) that measured the
 * same problems with the same seeds and budgets: the anchors are Debian's packages and scripts that change apart
 * from evotune, so a run that changes only evotune's strategies need not spend their CPU again. Which file and
 * commit they came from is part of the section's text.
 */
export function reusedAnchors(
  files: readonly string[],
  specs: readonly ReturnType<typeof specOf>[],
  plan: Plan,
): { rows: Row[]; from: NonNullable<Measured['anchorsFrom']> } | undefined {
  const labels = new Set<string>(ANCHORS.map((a) => a.label));
  for (const file of files) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { meta: { date: string; commit: string }; sections: Array<{ data?: Measured }> };
    for (const { data } of saved.sections) {
      if (!data?.specs || JSON.stringify(data.specs) !== JSON.stringify(specs)) continue;
      if (data.plan.seeds !== plan.seeds || data.plan.optunaMax !== plan.optunaMax || data.plan.budgets.join() !== plan.budgets.join()) continue;
      const rows = data.rows.filter((r) => r.variant === HEADLINE && labels.has(r.contender));
      return { rows, from: { file, date: saved.meta.date, commit: saved.meta.commit } };
    }
  }
  return undefined;
}

/**
 * Measures the headline (every strategy and anchor on the shifted+rotated set), the alternative settings and the
 * variants comparison. The Python anchors run in child processes while this process runs evotune's strategies,
 * yielding between problems so that their output is collected; with `reuse` (results files) the anchors' rows of a
 * matching earlier run stand in for running them.
 */
export async function measure(plan: Plan, log: Log, reuse: readonly string[] = []): Promise<Measured> {
  const headline = plan.dims.flatMap((d) => ALL_FUNCTIONS.map((fn) => problem(fn, HEADLINE, d)));
  const reused = reusedAnchors(reuse, headline.map(specOf), plan);
  if (reuse.length > 0)
    log(
      reused ? `anchors: reused from ${reused.from.file} (commit ${reused.from.commit})` : `anchors: no match in ${reuse.join(', ')}; running them`,
    );
  const dir = mkdtempSync(join(tmpdir(), 'evotune-functions-'));
  try {
    const specFile = join(dir, 'specs.json');
    writeFileSync(specFile, JSON.stringify(headline.map(specOf)));
    // Each anchor is its own single-threaded process: they share the machine with this one (a deadline-bound
    // choice on a busy machine; the CPU spent is the same as one after another).
    const anchors = reused ? Promise.resolve([reused.rows]) : Promise.all(ANCHORS.map((anchor) => runAnchor(anchor, specFile, headline, plan, log)));
    const rows: Row[] = [];
    const dim = plan.dims[0]!;
    const budget = plan.variantsBudget;
    const jobs = [
      ...plan.dims.flatMap((d) => [
        { what: `evotune strategies, ${d} dimensions`, probs: headline.filter((p) => p.dim === d), budgets: plan.budgets, configs: defaults() },
        {
          what: `alternative settings, ${d} dimensions`,
          probs: headline.filter((p) => p.dim === d),
          budgets: plan.alternativeBudgets,
          configs: ALTERNATIVES,
        },
      ]),
      {
        what: `variants (${VARIANTS.join(', ')}) at ${dim} dimensions, ${budget} evaluations`,
        probs: VARIANTS.filter((v) => v !== HEADLINE).flatMap((v) => ALL_FUNCTIONS.map((fn) => problem(fn, v, dim))),
        budgets: [budget],
        configs: defaults(),
      },
    ];
    for (const job of jobs) {
      log(`${job.what}: ${job.probs.length} problems x ${job.configs.length} configs x ${plan.seeds} seeds`);
      for (const p of job.probs) {
        rows.push(...runStrategies([p], job.budgets, plan.seeds, job.configs));
        await new Promise((r) => setImmediate(r));
      }
    }
    const skipped: Skip[] = [];
    for (const r of await anchors) {
      if (Array.isArray(r)) rows.push(...r);
      else {
        log(`skipped ${r.contender}: ${r.reason}`);
        skipped.push(r);
      }
    }
    return { plan, rows, skipped, specs: headline.map(specOf), ...(reused ? { anchorsFrom: reused.from } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Values below this count as the optimum reached: a strategy on the unit cube maps gene u to low + u (high - low),
 * whose spacing near an optimum is ~1e-15 of the range, while the anchors search the box itself; comparing
 * 1e-28 with 1e-31 would measure doubles, not search.
 */
export const SOLVED = 1e-8;
const floor = (xs: readonly number[]) => xs.map((x) => Math.max(x, SOLVED));

export type Call = 'ahead' | 'level' | 'behind';

export interface Target {
  readonly ours: string;
  readonly theirs: string;
}

/** The targets of the issue: evotune's strategy against the anchor of its kind. */
export const TARGETS: readonly Target[] = [
  { ours: 'cmaes', theirs: 'Optuna CmaEsSampler' },
  { ours: 'cmaes', theirs: 'Optuna CMA (direct)' },
  { ours: 'ga', theirs: 'DEAP GA' },
  { ours: 'pso', theirs: 'pyswarms PSO' },
];

export interface TargetRow {
  readonly dim: number;
  readonly budget: number;
  readonly fn: string;
  readonly ours: readonly number[];
  readonly theirs: readonly number[];
  /** Two-sided Mann-Whitney p, Holm-adjusted over every row of this target. */
  readonly p: number;
  readonly call: Call;
}

/**
 * One target over the headline rows: each row tested (values under SOLVED floored, so two solved runs tie), the
 * p-values Holm-adjusted across the table's rows, and a call: ahead / behind only when the adjusted p < 0.05.
 */
export function judge(rows: readonly Row[], t: Target, alpha = 0.05): TargetRow[] {
  const pairs = rows
    .filter((r) => r.variant === HEADLINE && r.contender === t.theirs)
    .flatMap((theirs) => {
      const ours = rows.find(
        (r) => r.variant === HEADLINE && r.contender === t.ours && r.dim === theirs.dim && r.budget === theirs.budget && r.fn === theirs.fn,
      );
      return ours ? [{ ours, theirs }] : [];
    });
  const ps = holm(pairs.map(({ ours, theirs }) => mannWhitneyU(floor(ours.bests), floor(theirs.bests)).p));
  return pairs.map(({ ours, theirs }, i) => {
    const a = summarize(floor(ours.bests)).median;
    const b = summarize(floor(theirs.bests)).median;
    const call: Call = ps[i]! >= alpha || a === b ? 'level' : a < b ? 'ahead' : 'behind';
    return { dim: ours.dim, budget: ours.budget, fn: ours.fn, ours: ours.bests, theirs: theirs.bests, p: ps[i]!, call };
  });
}

const unique = <T>(xs: readonly T[]) => [...new Set(xs)];
const iqr = (xs: readonly number[]) => {
  const s = summarize(xs);
  return `${num(s.median)} [${num(s.q1)}, ${num(s.q3)}]`;
};

/** The section's markdown: the headline medians, the targets with their calls, the tally, the variants table. */
export function toMarkdown(m: Measured): string {
  const alternatives = new Set(ALTERNATIVES.map((c) => c.label));
  const head = m.rows.filter((r) => r.variant === HEADLINE && !alternatives.has(r.contender));
  const contenders = unique(head.map((r) => r.contender));
  const keys = unique(head.map((r) => JSON.stringify([r.dim, r.budget, r.fn])));
  const medians = keys.map((k) => {
    const [dim, budget, fn] = JSON.parse(k) as [number, number, string];
    const cells = contenders.map((c) => head.find((r) => r.contender === c && r.dim === dim && r.budget === budget && r.fn === fn));
    const ms = cells.map((r) => (r ? summarize(r.bests).median : NaN));
    const best = Math.min(...ms.filter((x) => !Number.isNaN(x)));
    return [String(dim), String(budget), fn, ...ms.map((x) => (Number.isNaN(x) ? '' : x === best ? `**${num(x)}**` : num(x)))];
  });
  const targets = TARGETS.map((t) => ({ t, rows: judge(m.rows, t) })).filter((x) => x.rows.length > 0);
  const tally = targets.map(({ t, rows }) => {
    const n = (c: Call) => rows.filter((r) => r.call === c).length;
    const behind = rows.filter((r) => r.call === 'behind').map((r) => `${r.fn}/${r.dim}d/${r.budget}`);
    return `- ${t.ours} against ${t.theirs}: ahead on ${n('ahead')}, level on ${n('level')}, behind on ${n('behind')} of ${rows.length} rows${behind.length ? ` (behind: ${behind.join(', ')})` : ''}.`;
  });
  const targetTable = table(
    ['dim', 'budget', 'function', ...targets.flatMap(({ t }) => [`${t.ours} vs ${t.theirs}`, 'call (Holm p)'])],
    keys.map((k) => {
      const [dim, budget, fn] = JSON.parse(k) as [number, number, string];
      return [
        String(dim),
        String(budget),
        fn,
        ...targets.flatMap(({ rows }) => {
          const r = rows.find((x) => x.dim === dim && x.budget === budget && x.fn === fn);
          return r ? [`${iqr(r.ours)} vs ${iqr(r.theirs)}`, `${r.call} (${pValue(r.p)})`] : ['', ''];
        }),
      ];
    }),
  );
  const settings = table(
    ['setting', 'against', 'better on', 'level on', 'worse on'],
    ALTERNATIVES.flatMap((c) => {
      const rows = judge(m.rows, { ours: c.label, theirs: c.strategy });
      if (rows.length === 0) return [];
      const n = (call: Call) => String(rows.filter((r) => r.call === call).length);
      return [[c.label, `${c.strategy} defaults`, n('ahead'), n('level'), n('behind')]];
    }),
  );
  const dim = m.plan.dims[0]!;
  const budget = m.plan.variantsBudget;
  const strategies = unique(m.rows.map((r) => r.contender)).filter((c) => (searchers() as string[]).includes(c));
  const variantRows = ALL_FUNCTIONS.flatMap((fn) =>
    VARIANTS.map((v) => {
      const cells = strategies.map((s) =>
        m.rows.find((r) => r.variant === v && r.dim === dim && r.budget === budget && r.fn === fn.name && r.contender === s),
      );
      return [problemLabel({ fn: fn.name, variant: v } as Problem), ...cells.map((r) => (r ? num(summarize(r.bests).median) : ''))];
    }),
  );
  return [
    `Every function with its optimum moved off-centre (a different offset per coordinate, drawn from the middle 80% of the box) and its axes turned by a fixed random orthogonal matrix: g(x) = f(R (x - shift) + x*), one instance per function and dimension (src/bench/problems.ts). Default options everywhere; seeds 0..${m.plan.seeds - 1}; each run goes to ${Math.max(...m.plan.budgets)} evaluations and is read at ${m.plan.budgets.join(' / ')} (no anchor knows its budget), except evotune's strategies that choose a setting from their budget (${budgetAware().join(', ') || 'none'}: GA's population), run once per budget. evotune's strategies search the unit cube, the anchors the box itself (benchmarks/anchors/).`,
    '',
    `Optuna CmaEsSampler: Optuna's own sampler, up to ${m.plan.optunaMax} trials (it re-reads every trial at every ask). Optuna CMA (direct): the cmaes.CMA object CmaEsSampler builds, driven by a plain loop, at every budget. DEAP GA: eaSimple's loop, SBX and polynomial mutation (eta 20), 50 individuals. pyswarms PSO: GlobalBestPSO, 40 particles, w 0.7298, c1 = c2 = 1.49618.`,
    ...(m.anchorsFrom
      ? [
          '',
          `The anchors' rows are those of ${m.anchorsFrom.file} (run of ${m.anchorsFrom.date.slice(0, 10)}, commit ${m.anchorsFrom.commit}): same problems, seeds and budgets; not run again.`,
        ]
      : []),
    ...(m.skipped.length ? ['', ...m.skipped.map((s) => `Not measured: ${s.contender}: ${s.reason}.`)] : []),
    '',
    "Median best value over seeds (lower is better; bold: the row's lowest):",
    '',
    table(['dim', 'budget', 'function', ...contenders], medians),
    '',
    'The targets, with spread: median [quartiles] of each side; values under 1e-8 count as solved (equal). Call: Mann-Whitney U across seeds, two-sided, p Holm-adjusted over the rows of each target; "ahead"/"behind" only when the adjusted p < 0.05, else "level".',
    '',
    targetTable,
    '',
    ...tally,
    '',
    `Each strategy's defaults against the alternatives (same problems, seeds and test, at budgets ${m.plan.alternativeBudgets.join(' / ')}; the count of rows where the alternative is better, level or worse):`,
    '',
    settings,
    '',
    `What the transforms change: evotune's strategies at ${dim} dimensions and ${budget} evaluations, median best over the same seeds, on each function plain, shifted, rotated and shifted+rotated:`,
    '',
    table(['function', ...strategies], variantRows),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, seeds: { type: 'string' } } });
  const base = values.quick ? plans(10).quick : plans(10).full;
  const plan = values.seeds ? { ...base, seeds: Number(values.seeds) } : base;
  const m = await measure(plan, (l) => process.stderr.write(`${l}\n`));
  process.stdout.write(`${toMarkdown(m)}\n`);
}
