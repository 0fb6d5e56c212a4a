import { writeFileSync } from 'node:fs';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { errors } from '../../errors.js';
import type { LrRangeOptionsInput, LrRangeResult } from '../../lr-range/index.js';
import { isHealthy, RULE_NAMES, SIGNALS } from '../../lr-range/analyse.js';
import { MAX_SEEDS, SCHEDULES } from '../../lr-range/options.js';
import { probeMean, type ProbeResult } from '../../lr-range/refine.js';
import { BACKENDS } from '../../options.js';
import { OPTIMIZERS } from '../../tasks/config.js';
import { flagName } from '../output.js';

export const command = 'lr-find';
export const describe = 'Run the LR range test on a task: suggested LR, search bounds, diagnosis and a plot of the curve';

export function builder(y: Argv) {
  return y
    .option('task', {
      type: 'string',
      requiresArg: true,
      demandOption: true,
      describe: 'bundled task name (see `evotune tasks`) or path to a task module',
    })
    .option('optimizer', { type: 'string', requiresArg: true, choices: [...OPTIMIZERS], describe: "optimizer to test (default: the task's own)" })
    .option('schedule', { type: 'string', requiresArg: true, choices: [...SCHEDULES], describe: 'how the LR grows (default exponential)' })
    .option('steps', { type: 'number', requiresArg: true, describe: 'training steps of the test (default: 300, or one epoch if longer)' })
    .option('start-lr', { type: 'number', requiresArg: true, describe: 'first LR (default 1e-7)' })
    .option('end-lr', { type: 'number', requiresArg: true, describe: 'last LR (default 10)' })
    .option('signal', {
      type: 'string',
      requiresArg: true,
      choices: [...SIGNALS],
      describe: 'loss the curve records: training (default) or validation (sees overfitting, costs an evaluation per step)',
    })
    .option('beta', { type: 'number', requiresArg: true, describe: 'smoothing of the loss, bias-corrected EMA (default 0.98)' })
    .option('divergence', { type: 'number', requiresArg: true, describe: 'stop once the smoothed loss exceeds this many times its best (default 4)' })
    .option('rule', {
      type: 'string',
      requiresArg: true,
      choices: [...RULE_NAMES],
      describe: 'how the suggestion is read from the curve (default minimum-or-valley)',
    })
    .option('refine', {
      type: 'number',
      requiresArg: true,
      describe:
        "then train the task's budget once at every quarter-decade LR inside the bounds, race this many of the best on with more seeds, and suggest the best (default 3; 0: the curve's suggestion)",
    })
    .option('refine-seeds', { type: 'number', requiresArg: true, describe: 'trainings per finalist in all, each from its own seed (default 4)' })
    .option('seed', { type: 'number', requiresArg: true, default: 0, describe: "seed of the model's initial weights and batch order" })
    .option('seeds', {
      type: 'number',
      requiresArg: true,
      describe: `run this many range tests at once, from seeds SEED..SEED+K-1 (one vectorised program for an MLP), and read their median curve; the plot shades their quartiles (1..${MAX_SEEDS}, default 1)`,
    })
    .option('backend', { type: 'string', requiresArg: true, choices: BACKENDS as unknown as string[], describe: 'tfjs backend (default auto)' })
    .option('plot', { type: 'string', requiresArg: true, describe: 'SVG file for the plot (default lr-find-TASK.svg; with --json only if given)' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object with the numbers, nothing else' })
    .example('$0 lr-find --task digits', 'suggested LR, search bounds, diagnosis; the curve in lr-find-digits.svg')
    .example('$0 lr-find --task ./my-task.mjs --optimizer sgd --steps 500', 'your task module, with SGD, over 500 steps')
    .example('$0 lr-find --task digits --json --plot curve.svg', 'the numbers as JSON, the plot where you want it')
    .example('$0 lr-find --task digits --seeds 8 --refine 0', '8 curves at once: suggestion and bounds from their median, quartiles in the plot');
}

type Args = ArgumentsCamelCase<Record<string, unknown>>;

/** Only flags the user gave go to the options schema, so defaults live in one place. */
export function lrRangeInputFromArgs(args: Args): LrRangeOptionsInput {
  const keys = [
    'optimizer',
    'schedule',
    'steps',
    'startLr',
    'endLr',
    'signal',
    'beta',
    'divergence',
    'rule',
    'refine',
    'refineSeeds',
    'seeds',
    'backend',
  ] as const;
  const input: Record<string, unknown> = {};
  for (const k of keys) if (args[k] !== undefined) input[k] = args[k];
  return input as LrRangeOptionsInput;
}

export async function handler(args: Args): Promise<void> {
  const seed = Number(args.seed);
  if (!Number.isInteger(seed) || seed < 0) throw errors.option('--seed', 'a whole number >= 0', args.seed);
  const { parseLrRangeOptions, lrRangeTest, renderSvg } = await import('../../lr-range/index.js');
  const options = parseLrRangeOptions(lrRangeInputFromArgs(args), flagName);
  const { resolveTask } = await import('../../tasks/registry.js');
  const task = await resolveTask(String(args.task));
  // The test trains for seconds (refine for longer) before it can print anything: say what is running.
  if (!args.json) {
    const then = options.refine > 0 ? `, then refine trains ${task.name}'s budget at the LRs inside the bounds` : '';
    const models = options.seeds > 1 ? `${options.seeds} fresh models (seeds ${seed}..${seed + options.seeds - 1})` : 'a fresh model';
    process.stderr.write(`LR range test on ${task.name}: training ${models} while the LR grows${then}...\n`);
  }
  const result = await lrRangeTest(task, options, seed);
  const plot = typeof args.plot === 'string' ? args.plot : args.json ? undefined : `lr-find-${task.name.replace(/[^\w.-]+/g, '_')}.svg`;
  if (plot !== undefined) {
    const title = `LR range test: ${task.name}, ${String(result.params.optimizer ?? '')}, ${result.steps} steps, ${result.curve.signal === 'val' ? 'validation' : 'training'} loss${result.members ? `, median of ${result.members.seeds.length} seeds` : ''}`;
    const svg = await renderSvg({
      title,
      curve: result.curve,
      suggestion: result.suggestion,
      bounds: result.bounds,
      rule: result.rule,
      suggestions: result.suggestions,
      refinement: result.refinement,
      ...(result.members ? { members: result.members } : {}),
    });
    try {
      writeFileSync(plot, svg);
    } catch (e) {
      throw errors.option('--plot', 'a writable file path', `${plot} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  if (args.json) process.stdout.write(`${JSON.stringify(lrRangeJson(result, plot))}\n`);
  else process.stdout.write(describeResult(result, plot));
}

/** The numbers of a test, for --json and for the search result. */
export function lrRangeJson(r: LrRangeResult, plot?: string) {
  const { diagnosis, elapsedMs, cost, members, ...rest } = r;
  return {
    ...rest,
    // The members' curves stay out (K x steps points): their band and each one's stop and suggestion say enough.
    ...(members ? { members: { ...members, curves: undefined, stops: members.curves.map((c) => c.stop) } } : {}),
    diagnosis: { healthy: isHealthy(diagnosis), ...diagnosis },
    elapsedMs: Math.round(elapsedMs),
    cost: { ...cost, sweepMs: Math.round(cost.sweepMs), refineMs: Math.round(cost.refineMs) },
    ...(plot ? { plot } : {}),
  };
}

/** LRs with three significant digits: 1e-7, 3.16e-4, 0.0123, 2.5. */
export const lr = (v: number) =>
  v >= 1e-3 && v < 1e4
    ? String(Number(v.toPrecision(3)))
    : v
        .toExponential(2)
        .replace(/\.?0+e/, 'e')
        .replace('e+', 'e');
const range = (i: readonly [number, number] | undefined) => (i ? `${lr(i[0])} .. ${lr(i[1])}` : 'none');

/** The human summary: what to use, then how far to trust it. */
export function describeResult(r: LrRangeResult, plot?: string): string {
  const o = r.options;
  const stop =
    r.curve.stop.reason === 'end'
      ? 'ran to the end'
      : `${r.curve.stop.reason === 'diverged' ? 'diverged' : 'NaN/Infinity'} at LR ${lr(r.curve.stop.lr)}`;
  const d = r.diagnosis;
  const others = RULE_NAMES.filter((n) => n !== r.rule)
    .map((n) => `${n} ${r.suggestions[n] === null ? '-' : lr(r.suggestions[n]!)}`)
    .join(', ');
  const f = r.refinement;
  const lines = [
    `LR range test on ${r.task} (${String(r.params.optimizer ?? 'task default')}), ${r.curve.points.length}/${r.steps} steps, ${o.schedule} ${lr(o.startLr)} .. ${lr(o.endLr)}, ${r.curve.signal === 'val' ? 'validation' : 'training'} loss, backend ${r.backend}, ${(r.elapsedMs / 1000).toFixed(1)} s: ${stop}`,
    f
      ? `suggested LR  ${lr(r.suggestion)}   (refined from the curve's ${lr(f.from)}, rule ${r.rule}; other rules: ${others})`
      : `suggested LR  ${lr(r.suggestion)}   (rule ${r.rule}; ${others})`,
    ...(f
      ? [
          `refine        ${f.probes.map((p) => `${lr(p.lr)} ${meanLoss(p)}${p.losses.length > 1 ? ` (${p.losses.length})` : ''}`).join(', ')}   (LR and mean validation loss; (n): a finalist, raced on to n trainings)`,
        ]
      : []),
    ...(r.members ? [membersLine(r.members)] : []),
    `cost          ${costLine(r)}`,
    `bounds        ${range(r.bounds)}   (for search: --lr-bounds ${r.bounds.map((b) => Number(b.toPrecision(3))).join(',')})`,
    `regions       flat ${range(d.regions.flat)}, falling ${range(d.regions.falling)}, rising ${range(d.regions.rising)}`,
    isHealthy(d)
      ? 'diagnosis     healthy: flat, falling and rising regions, readable noise'
      : `diagnosis     ${d.issues.length} warning${d.issues.length > 1 ? 's' : ''}:`,
    ...d.issues.map((i) => `  - ${i.message}\n    try: ${i.advice}`),
    ...(plot ? [`plot          ${plot}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** How the members went: their seeds, how they ran, how many stopped early, and what each curve alone suggested. */
function membersLine(m: NonNullable<LrRangeResult['members']>): string {
  const own = m.suggestions.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const stopped = m.curves.filter((c) => c.stop.reason !== 'end').length;
  const spread = own.length > 0 ? `each curve alone: ${lr(own[0]!)} .. ${lr(own[own.length - 1]!)}` : 'no curve alone was long enough to read';
  return (
    `seeds         ${m.seeds.length} curves (seeds ${m.seeds[0]}..${m.seeds[m.seeds.length - 1]}, ${m.vectorised ? 'one vectorised program' : 'one after another'}), ` +
    `suggestion and bounds from their median; ${stopped} stopped early; ${spread}`
  );
}

/** A probe's mean validation loss, or "diverged". */
function meanLoss(p: ProbeResult): string {
  const m = probeMean(p);
  return Number.isFinite(m) ? String(Number(m.toPrecision(3))) : 'diverged';
}

/** The sweep's steps (also as a share of one training of the task's budget), refine's trainings, and their times. */
function costLine(r: LrRangeResult): string {
  const c = r.cost;
  const sweep = `sweep ${c.sweepSteps} steps (${(c.sweepSteps / c.trainingSteps).toFixed(1)} of a training) ${(c.sweepMs / 1000).toFixed(1)} s`;
  return c.evaluations > 0 ? `${sweep} + refine ${c.evaluations} trainings ${(c.refineMs / 1000).toFixed(1)} s` : sweep;
}

/** The test in a search's summary: what it suggested, the bounds the search got, and what it cost. */
export function lrRangeSummary(r: LrRangeResult): string {
  const from = r.refinement ? `refined from the curve's ${lr(r.refinement.from)}, ` : '';
  return `LR range test: suggested lr ${lr(r.suggestion)} (${from}rule ${r.rule}), searched within ${range(r.bounds)}\n  its cost, before the trials: ${costLine(r)}\n`;
}
