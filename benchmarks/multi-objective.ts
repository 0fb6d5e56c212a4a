/**
 * Multi-objective search quality: hypervolume of the non-dominated set of every evaluation, at equal evaluations,
 * on ZDT1-3 (10 variables, 2 objectives), DTLZ2 (12 variables, 3 objectives) and DTLZ2 with its distance variables
 * rotated about their optimum; evotune's NSGA-II and SMS-EMOA and random search beside DEAP 1.3's NSGA-II and
 * NSGA-III and Optuna's NSGAIISampler, run by Debian's /usr/bin/python3 on the same problem definitions
 * (benchmarks/anchors/mo_*.py; the spec file this module writes carries the rotation matrix).
 *   node dist/benchmarks/multi-objective.js [--quick] [--seeds 10] [--evaluations 2000] [--no-anchors] [--json FILE] [--from-json FILE]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rngFor } from '../src/util/rng.js';
import { hypervolume, nonDominated, type Vector } from '../src/study/pareto.js';
import { validateOptions } from '../strategies/options.js';
import { getStrategy } from '../strategies/index.js';
import { compare } from '../src/bench/compare.js';
import { holm, mannWhitneyU, median } from '../src/bench/stats.js';
import { num, pValue, table } from '../src/bench/report-markdown.js';
import { randomRotation } from '../src/bench/problems.js';
import type { Section } from './section.js';

export interface Problem {
  readonly name: string;
  readonly kind: 'zdt1' | 'zdt2' | 'zdt3' | 'dtlz2';
  readonly variables: number;
  readonly objectives: number;
  /** Rotation of the distance variables (DTLZ2 only), about their optimum 0.5. */
  readonly rotation?: readonly (readonly number[])[];
  /** The hypervolume's reference point. */
  readonly ref: readonly number[];
  /** The hypervolume of the true front, for reading the table. */
  readonly optimum: number;
}

const zdtG = (x: readonly number[]) => 1 + (9 * x.slice(1).reduce((s, v) => s + v, 0)) / (x.length - 1);

function dtlz2(x: readonly number[], m: number): number[] {
  const g = x.slice(m - 1).reduce((s, v) => s + (v - 0.5) ** 2, 0);
  return Array.from({ length: m }, (_, i) => {
    let v = 1 + g;
    for (let j = 0; j < m - 1 - i; j++) v *= Math.cos((x[j]! * Math.PI) / 2);
    if (i > 0) v *= Math.sin((x[m - 1 - i]! * Math.PI) / 2);
    return v;
  });
}

/** The distance variables turned about 0.5 and clamped into [0, 1]: the optimum stays, the axes no longer help. */
const rotateTail = (x: readonly number[], m: number, R: readonly (readonly number[])[]) => {
  const tail = x.slice(m - 1).map((v) => v - 0.5);
  return [...x.slice(0, m - 1), ...R.map((row) => Math.min(1, Math.max(0, 0.5 + row.reduce((s, r, j) => s + r * tail[j]!, 0))))];
};

export function evaluate(p: Problem, x: readonly number[]): number[] {
  switch (p.kind) {
    case 'zdt1': {
      const g = zdtG(x);
      return [x[0]!, g * (1 - Math.sqrt(x[0]! / g))];
    }
    case 'zdt2': {
      const g = zdtG(x);
      return [x[0]!, g * (1 - (x[0]! / g) ** 2)];
    }
    case 'zdt3': {
      const g = zdtG(x);
      return [x[0]!, g * (1 - Math.sqrt(x[0]! / g) - (x[0]! / g) * Math.sin(10 * Math.PI * x[0]!))];
    }
    case 'dtlz2':
      return dtlz2(p.rotation ? rotateTail(x, p.objectives, p.rotation) : x, p.objectives);
  }
}

const ZDT_REF = [1.1, 1.1];
const DTLZ_REF = [1.1, 1.1, 1.1];
export const PROBLEMS: readonly Problem[] = [
  { name: 'ZDT1', kind: 'zdt1', variables: 10, objectives: 2, ref: ZDT_REF, optimum: 0.8767 },
  { name: 'ZDT2', kind: 'zdt2', variables: 10, objectives: 2, ref: ZDT_REF, optimum: 0.5433 },
  // The front's pieces are disconnected and f2 goes below 0, so the volume exceeds the 1.1 x 1.1 box's share.
  { name: 'ZDT3', kind: 'zdt3', variables: 10, objectives: 2, ref: ZDT_REF, optimum: 1.3317 },
  // 1.1^3 minus the positive octant of the unit ball.
  { name: 'DTLZ2', kind: 'dtlz2', variables: 12, objectives: 3, ref: DTLZ_REF, optimum: 1.331 - Math.PI / 6 },
  {
    name: 'DTLZ2 (rotated)',
    kind: 'dtlz2',
    variables: 12,
    objectives: 3,
    rotation: randomRotation(10, 17, 'dtlz2'),
    ref: DTLZ_REF,
    optimum: 1.331 - Math.PI / 6,
  },
];

/** Runs one evotune strategy for `evaluations` and returns the non-dominated set of everything it evaluated. */
export function runStrategy(name: string, options: unknown, p: Problem, evaluations: number, seed: number): Vector[] {
  const strategy = getStrategy(name);
  const setup = { dim: p.variables, options: validateOptions(name, strategy.options, options) };
  let state = strategy.init({ ...setup, rng: rngFor(seed, name, 'init') });
  let front: Vector[] = [];
  for (let round = 0, used = 0; used < evaluations; round++) {
    const asked = strategy.ask(state, rngFor(seed, name, 'ask', round), setup);
    if (asked.xs.length === 0) break;
    const told = asked.xs.slice(0, evaluations - used).map((x) => {
      const values = evaluate(p, x);
      return { x, value: values[0]!, values };
    });
    used += told.length;
    const all = [...front, ...told.map((t) => t.values)];
    front = nonDominated(all).map((i) => all[i]!);
    state = strategy.tell(asked.state, told, rngFor(seed, name, 'tell', round), setup);
  }
  return front;
}

export interface MoRow {
  readonly problem: string;
  readonly contender: string;
  /** Hypervolume per seed (seeds 0..n-1). */
  readonly hv: readonly number[];
}

/** Contenders run here: every strategy at population 40 (SMS-EMOA keeps 40 and asks 10 at a time). */
export const OURS: Readonly<Record<string, { strategy: string; options: unknown }>> = {
  'evotune smsemoa': { strategy: 'smsemoa', options: { populationSize: 40 } },
  'evotune nsga2': { strategy: 'nsga2', options: { populationSize: 40 } },
  'evotune random': { strategy: 'random', options: { batch: 40 } },
};

/**
 * The anchors, each run on every problem (Optuna's sampler costs about 8 s of CPU per 2,000-trial run). The NSGA-II
 * ones are what evotune's NSGA-II is held against; DEAP's NSGA-III says whether a reference-point method would
 * serve 3 objectives better than SMS-EMOA.
 */
export const ANCHOR_SCRIPTS: readonly { label: string; script: string; nsga2: boolean }[] = [
  { label: 'DEAP 1.3 NSGA-II', script: 'mo_deap_nsga2.py', nsga2: true },
  { label: 'Optuna NSGAIISampler', script: 'mo_optuna_nsga2.py', nsga2: true },
  { label: 'DEAP 1.3 NSGA-III', script: 'mo_deap_nsga3.py', nsga2: false },
];
/** Python processes at once, one per (anchor, problem): one, beside this process, on the shared 2-core machine. */
const ANCHOR_PROCESSES = 1;
const PYTHON = '/usr/bin/python3';

/** Why the anchors cannot run here, or undefined when they can. */
export function anchorsMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import deap, optuna'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} is missing`;
  if (probe.status !== 0) return `${PYTHON} lacks DEAP or Optuna (apt-get install python3-deap python3-optuna)`;
  return undefined;
}

/** Runs one anchor script on the problems and returns each seed's non-dominated set. */
async function runAnchor(script: string, problems: readonly Problem[], evaluations: number, seeds: number): Promise<Record<string, Vector[][]>> {
  await slots.take();
  try {
    return await spawnAnchor(script, problems, evaluations, seeds);
  } finally {
    slots.give();
  }
}

/** A counting semaphore of ANCHOR_PROCESSES. */
const slots = (() => {
  let free = ANCHOR_PROCESSES;
  const waiting: (() => void)[] = [];
  return {
    take: () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((r) => waiting.push(r))),
    give: () => {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
})();

/**
 * The spec file an anchor script reads (benchmarks/anchors/mo_problems.py): the problems as this module defines
 * them, rotation matrices included, so both sides evaluate the same functions. Returns its path.
 */
export function writeSpec(problems: readonly Problem[], evaluations: number, seeds: number): string {
  const spec = join(mkdtempSync(join(tmpdir(), 'evotune-mo-')), 'spec.json');
  writeFileSync(spec, JSON.stringify({ problems, evaluations, population: 40, seeds }));
  return spec;
}

/** An anchor script's path: they live in the source tree (benchmarks/anchors), beside this file's source, not in dist/. */
const anchorScript = (script: string) => fileURLToPath(new URL(`../../benchmarks/anchors/${script}`, import.meta.url));

async function spawnAnchor(script: string, problems: readonly Problem[], evaluations: number, seeds: number): Promise<Record<string, Vector[][]>> {
  const spec = writeSpec(problems, evaluations, seeds);
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [anchorScript(script), spec], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${script} exited with ${code}: ${err.trim().split('\n').pop()}`)),
    );
  });
}

export interface MoBenchmark {
  readonly evaluations: number;
  readonly seeds: number;
  readonly rows: readonly MoRow[];
  readonly anchorsSkipped?: string;
}

export async function runMultiObjective(opts: {
  evaluations: number;
  seeds: number;
  anchors: boolean;
  log?: (line: string) => void;
}): Promise<MoBenchmark> {
  const { evaluations, seeds, log = () => {} } = opts;
  const rows: MoRow[] = [];
  const missing = opts.anchors ? anchorsMissing() : 'not asked for (--no-anchors)';
  // The anchors run in their own processes while this one runs evotune's strategies.
  const anchors = missing
    ? []
    : ANCHOR_SCRIPTS.flatMap(({ label, script }) =>
        PROBLEMS.map((p) => ({
          label,
          problem: p,
          result: runAnchor(script, [p], evaluations, seeds),
        })),
      );
  for (const p of PROBLEMS) {
    for (const [label, c] of Object.entries(OURS)) {
      const hv = Array.from({ length: seeds }, (_, seed) => hypervolume(runStrategy(c.strategy, c.options, p, evaluations, seed), p.ref));
      rows.push({ problem: p.name, contender: label, hv });
      log(`  ${p.name} ${label}: median ${num(median(hv))}`);
    }
  }
  for (const a of anchors) {
    const fronts = await a.result;
    const hv = fronts[a.problem.name]!.map((f) => hypervolume(f, a.problem.ref));
    rows.push({ problem: a.problem.name, contender: a.label, hv });
    log(`  ${a.problem.name} ${a.label}: median ${num(median(hv))}`);
  }
  return { evaluations, seeds, rows, ...(missing ? { anchorsSkipped: missing } : {}) };
}

/**
 * One row per problem, one column per contender: median [q1, q3] of the hypervolume (higher is better), the best
 * median in bold, every other cell with the Holm-adjusted Mann-Whitney p against it.
 */
export function toMarkdown(b: MoBenchmark): string {
  const contenders = [...new Set(b.rows.map((r) => r.contender))];
  const caveats = new Set<string>();
  const body = PROBLEMS.map((p) => {
    // compare() ranks lower as better: hand it the negated volumes and negate back for display.
    const c = compare(b.rows.filter((r) => r.problem === p.name).map((r) => ({ label: r.contender, values: r.hv.map((v) => -v) })));
    if (c.tooFewSeeds) caveats.add(c.tooFewSeeds);
    const cells = contenders.map((label) => {
      const r = c.rows.find((x) => x.label === label);
      if (!r) return '';
      const s = `${num(-r.summary.median)} [${num(-r.summary.q3)}, ${num(-r.summary.q1)}]`;
      return r.verdict.kind === 'leader' ? `**${s}**` : `${s}${r.verdict.kind === 'within-noise' ? ' ≈' : ''} p=${pValue(r.verdict.p)}`;
    });
    return [`${p.name} (ref ${p.ref.join(', ')}; optimum ${num(p.optimum)})`, ...cells];
  });
  return [
    table(['problem', ...contenders], body),
    '',
    pairwise(b),
    '',
    `${b.evaluations} evaluations, population 40, seeds 0..${b.seeds - 1}. Cells: median [first quartile, third quartile] of the ` +
      'hypervolume of the non-dominated set of all evaluations (higher is better), against the reference point shown. ' +
      '**Bold**: highest median in the row; p: two-sided Mann-Whitney U test against the bold cell, Holm-adjusted within the row; ' +
      '≈ marks a difference within seed noise (p ≥ 0.05). DTLZ2 (rotated): the ten distance variables turned about their optimum ' +
      "by randomRotation(10, 17, 'dtlz2') of src/bench/problems.ts; the anchors read the same matrix from the spec file." +
      (b.anchorsSkipped ? `\n\nAnchors not run: ${b.anchorsSkipped}.` : '') +
      [...caveats].map((c) => `\n\nNote: ${c}; every difference in this table is within noise.`).join(''),
  ].join('\n');
}

/**
 * evotune's NSGA-II against each NSGA-II anchor, seed by seed (Mann-Whitney, Holm over all these tests): the
 * table above tests every cell against the row's leader only.
 */
function pairwise(b: MoBenchmark): string {
  const hv = (problem: string, c: string) => b.rows.find((r) => r.problem === problem && r.contender === c)?.hv;
  const tests = PROBLEMS.flatMap((p) =>
    ANCHOR_SCRIPTS.filter((a) => a.nsga2).flatMap(({ label }) => {
      const ours = hv(p.name, 'evotune nsga2');
      const theirs = hv(p.name, label);
      return ours && theirs ? [{ problem: p.name, label, diff: median(ours) - median(theirs), p: mannWhitneyU(ours, theirs).p }] : [];
    }),
  );
  if (tests.length === 0) return '';
  const adjusted = holm(tests.map((t) => t.p));
  const rows = tests.map((t, i) => [
    t.problem,
    t.label,
    num(t.diff),
    pValue(adjusted[i]!),
    adjusted[i]! < 0.05 ? (t.diff > 0 ? 'evotune nsga2 higher' : 'evotune nsga2 lower') : 'within noise',
  ]);
  return `evotune's NSGA-II against each NSGA-II anchor (difference of medians; Mann-Whitney, Holm-adjusted over these ${tests.length} tests):\n\n${table(['problem', 'anchor', 'median difference', 'p', 'reading'], rows)}`;
}

/** The bench section: quick mode cuts evaluations and seeds (the anchors too), not the problems. */
export const multiObjectiveSection: Section = {
  id: 'multi-objective',
  title: '7. Multi-objective search: hypervolume on ZDT1-3 and DTLZ2 against DEAP and Optuna',
  async run({ quick, log }) {
    const plan = quick ? { evaluations: 400, seeds: 3 } : { evaluations: 2000, seeds: 10 };
    log(`multi-objective: ${plan.evaluations} evaluations, ${plan.seeds} seeds, ${PROBLEMS.length} problems`);
    const result = await runMultiObjective({ ...plan, anchors: true, log });
    return { kind: 'ran', markdown: toMarkdown(result), data: result, charts: [] };
  },
  render: (data) => toMarkdown(data as MoBenchmark),
};

async function main() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      evaluations: { type: 'string' },
      'no-anchors': { type: 'boolean', default: false },
      json: { type: 'string' },
      'from-json': { type: 'string' },
    },
  });
  // Re-renders a saved run (its --json file) without running anything.
  if (values['from-json']) {
    console.log(toMarkdown(JSON.parse(readFileSync(values['from-json'], 'utf8')) as MoBenchmark));
    return;
  }
  const seeds = Number(values.seeds ?? (values.quick ? 3 : 10));
  const evaluations = Number(values.evaluations ?? (values.quick ? 400 : 2000));
  const result = await runMultiObjective({ evaluations, seeds, anchors: !values['no-anchors'], log: (l) => console.error(l) });
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result)}\n`);
  console.log(toMarkdown(result));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
