import type { Argv, ArgumentsCamelCase } from 'yargs';
import { errors } from '../../errors.js';
import { BACKENDS, type BackendOption } from '../../options.js';
import { getStrategy } from '../../../strategies/index.js';
import { cells, runSearchQuality, type LrSeeding } from '../../bench/search-quality.js';
import { qualityGroups, seedingTable, strategyTable } from '../../bench/report-quality.js';
import { num } from '../../bench/report-markdown.js';

export const command = 'bench';
export const describe = 'Compare strategies on bundled tasks at an equal budget, repeated with several seeds (median, IQR, rank tests)';

const LR_CHOICES = ['none', 'auto', 'both'] as const;
type LrChoice = (typeof LR_CHOICES)[number];

/** What a run compares when the user names nothing; --quick shrinks it to a minute or two. */
const DEFAULTS = {
  full: { tasks: 'digits,spirals,wine', strategies: 'random,ga,pso,de,cmaes', budget: 60, repeats: 5 },
  quick: { tasks: 'wine', strategies: 'random,ga,pso', budget: 8, repeats: 3 },
} as const;

export function builder(y: Argv) {
  return (
    y
      .option('tasks', {
        type: 'string',
        requiresArg: true,
        describe: `comma-separated bundled tasks or task modules (default ${DEFAULTS.full.tasks})`,
      })
      .option('strategies', { type: 'string', requiresArg: true, describe: `comma-separated strategies (default ${DEFAULTS.full.strategies})` })
      .option('budget', {
        type: 'number',
        requiresArg: true,
        describe: `evaluations per search, the same for every strategy (default ${DEFAULTS.full.budget})`,
      })
      .option('repeats', {
        type: 'number',
        requiresArg: true,
        describe: `searches per strategy and task, with root seeds 0..N-1 (default ${DEFAULTS.full.repeats})`,
      })
      // Before 0.2 the repeat count was --seeds, a word evotune keeps for random generators' seeds.
      .option('seeds', { type: 'number', requiresArg: true, hidden: true, deprecated: 'use --repeats' })
      .option('workers', { type: 'number', requiresArg: true, describe: 'worker threads per search (default: number of cores)' })
      .option('backend', { type: 'string', requiresArg: true, choices: BACKENDS as unknown as string[], describe: 'tfjs backend (default auto)' })
      .option('lr-bounds', {
        type: 'string',
        requiresArg: true,
        choices: LR_CHOICES as unknown as string[],
        default: 'none',
        describe: 'LR range: the task\'s ("none"), from the LR range test ("auto"), or "both" to compare them',
      })
      .option('quick', {
        type: 'boolean',
        default: false,
        describe: `small defaults: ${DEFAULTS.quick.tasks}; ${DEFAULTS.quick.strategies}; budget ${DEFAULTS.quick.budget}; ${DEFAULTS.quick.repeats} repeats`,
      })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object with every result, nothing else' })
      .example('$0 bench --quick', 'a small comparison in a minute or two')
      .example('$0 bench --tasks digits,spirals --strategies ga,pso,random --budget 60 --repeats 5', 'the strategies you name, 5 searches each')
  );
}

export interface BenchPlan {
  readonly tasks: readonly string[];
  readonly strategies: readonly string[];
  readonly budget: number;
  /** Searches per strategy and task, with root seeds 0 .. repeats-1. */
  readonly repeats: number;
  readonly workers?: number;
  readonly backend?: BackendOption;
  readonly lrSeeding: readonly LrSeeding[];
}

type Args = ArgumentsCamelCase<Record<string, unknown>>;

/** Flags -> a checked plan: every mistake is reported before the first search starts. */
export function benchPlan(args: Args): BenchPlan {
  const d = args.quick === true ? DEFAULTS.quick : DEFAULTS.full;
  const list = (flag: string, raw: unknown, fallback: string) => {
    const items = String(raw ?? fallback)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length === 0) throw errors.option(flag, 'a comma-separated list of names', raw);
    return [...new Set(items)];
  };
  const whole = (flag: string, raw: unknown, fallback?: number) => {
    const v = raw ?? fallback;
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw errors.option(flag, 'a whole number >= 1', v);
    return v;
  };
  const strategies = list('--strategies', args.strategies, d.strategies);
  strategies.forEach(getStrategy);
  const lr = (args.lrBounds ?? 'none') as LrChoice;
  const workers = whole('--workers', args.workers);
  if (args.seeds !== undefined) {
    if (args.repeats !== undefined) throw errors.optionConflict('give --repeats only (--seeds is its old name)');
    process.stderr.write('evotune: --seeds is deprecated: use --repeats (searches per strategy and task)\n');
  }
  return {
    tasks: list('--tasks', args.tasks, d.tasks),
    strategies,
    budget: whole('--budget', args.budget, d.budget)!,
    repeats: args.seeds !== undefined ? whole('--seeds', args.seeds)! : whole('--repeats', args.repeats, d.repeats)!,
    ...(workers !== undefined ? { workers } : {}),
    ...(args.backend !== undefined ? { backend: args.backend as BackendOption } : {}),
    lrSeeding: lr === 'both' ? ['none', 'auto'] : [lr],
  };
}

export async function handler(args: Args): Promise<void> {
  const plan = benchPlan(args);
  // Unknown tasks fail here, before any search runs, with the list of known ones.
  const { resolveTask } = await import('../../tasks/registry.js');
  for (const t of plan.tasks) await resolveTask(t);
  const json = args.json === true;
  const { repeats, ...rest } = plan;
  const runs = await runSearchQuality({
    ...rest,
    seeds: repeats,
    onRun: json
      ? undefined
      : (r, done, total) =>
          process.stderr.write(
            `[${done}/${total}] ${r.task} ${r.strategy}${plan.lrSeeding.length > 1 ? ` lr=${r.lr}` : ''} seed ${r.seed}: best ${num(r.best)} (${(r.wallMs / 1000).toFixed(1)} s)\n`,
          ),
  });
  const grouped = cells(runs);
  const groups = qualityGroups(grouped);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...plan, backend: runs[0]?.backend ?? plan.backend ?? 'auto', groups })}\n`);
    return;
  }
  const seeding = seedingTable(grouped);
  const out = [
    `${plan.budget} evaluations per search, seeds 0..${plan.repeats - 1}, backend ${runs[0]?.backend ?? 'unknown'}; values are validation losses.`,
    '',
    strategyTable(groups),
    ...(seeding ? ['', seeding] : []),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
