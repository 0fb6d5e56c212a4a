import { writeFileSync } from 'node:fs';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { errors } from '../../errors.js';
import type { LrRangeOptionsInput, LrRangeResult } from '../../lr-range/index.js';
import { isHealthy } from '../../lr-range/diagnose.js';
import { SIGNALS } from '../../lr-range/curve.js';
import { RULE_NAMES } from '../../lr-range/rules.js';
import { SCHEDULES } from '../../lr-range/schedule.js';
import { BACKENDS } from '../../options.js';
import { OPTIMIZERS } from '../../tasks/config.js';
import { flagName } from '../output.js';

export const command = 'lr-find';
export const describe = 'Run the LR range test on a task: suggested LR, search bounds, diagnosis and a plot of the curve';

export function builder(y: Argv) {
  return y
    .option('task', { type: 'string', demandOption: true, describe: 'bundled task name (see `evotune tasks`) or path to a task module' })
    .option('optimizer', { type: 'string', choices: [...OPTIMIZERS], describe: 'optimizer to test (default: the task\'s own)' })
    .option('schedule', { type: 'string', choices: [...SCHEDULES], describe: 'how the LR grows (default exponential)' })
    .option('steps', { type: 'number', describe: 'training steps of the test (default: 300, or one epoch if longer)' })
    .option('start-lr', { type: 'number', describe: 'first LR (default 1e-7)' })
    .option('end-lr', { type: 'number', describe: 'last LR (default 10)' })
    .option('signal', { type: 'string', choices: [...SIGNALS], describe: 'loss the curve records: training (default) or validation (sees overfitting, costs an evaluation per step)' })
    .option('beta', { type: 'number', describe: 'smoothing of the loss, bias-corrected EMA (default 0.98)' })
    .option('divergence', { type: 'number', describe: 'stop once the smoothed loss exceeds this many times its best (default 4)' })
    .option('rule', { type: 'string', choices: [...RULE_NAMES], describe: 'how the suggestion is read from the curve (default minimum: LR of the lowest loss / 10)' })
    .option('seed', { type: 'number', default: 0, describe: 'seed of the model\'s initial weights and batch order' })
    .option('backend', { type: 'string', choices: BACKENDS as unknown as string[], describe: 'tfjs backend (default auto)' })
    .option('plot', { type: 'string', describe: 'SVG file for the plot (default lr-find-TASK.svg; with --json only if given)' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object with the numbers, nothing else' });
}

type Args = ArgumentsCamelCase<Record<string, unknown>>;

/** Only flags the user gave go to the options schema, so defaults live in one place. */
export function lrRangeInputFromArgs(args: Args): LrRangeOptionsInput {
  const keys = ['optimizer', 'schedule', 'steps', 'startLr', 'endLr', 'signal', 'beta', 'divergence', 'rule', 'backend'] as const;
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
  const result = await lrRangeTest(task, options, seed);
  const plot = typeof args.plot === 'string' ? args.plot : args.json ? undefined : `lr-find-${task.name.replace(/[^\w.-]+/g, '_')}.svg`;
  if (plot !== undefined) {
    const title = `LR range test: ${task.name}, ${String(result.params.optimizer ?? '')}, ${result.steps} steps, ${result.curve.signal === 'val' ? 'validation' : 'training'} loss`;
    try {
      writeFileSync(plot, renderSvg({ title, curve: result.curve, suggestion: result.suggestion, bounds: result.bounds }));
    } catch (e) {
      throw errors.option('--plot', 'a writable file path', `${plot} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  if (args.json) process.stdout.write(`${JSON.stringify(lrRangeJson(result, plot))}\n`);
  else process.stdout.write(describeResult(result, plot));
}

/** The numbers of a test, for --json and for the search result. */
export function lrRangeJson(r: LrRangeResult, plot?: string) {
  const { diagnosis, elapsedMs, ...rest } = r;
  return { ...rest, diagnosis: { healthy: isHealthy(diagnosis), ...diagnosis }, elapsedMs: Math.round(elapsedMs), ...(plot ? { plot } : {}) };
}

/** LRs with three significant digits: 1e-7, 3.16e-4, 0.0123, 2.5. */
const lr = (v: number) => (v >= 1e-3 && v < 1e4 ? String(Number(v.toPrecision(3))) : v.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e'));
const range = (i: readonly [number, number] | undefined) => (i ? `${lr(i[0])} .. ${lr(i[1])}` : 'none');

/** The human summary: what to use, then how far to trust it. */
export function describeResult(r: LrRangeResult, plot?: string): string {
  const o = r.options;
  const stop = r.curve.stop.reason === 'end' ? 'ran to the end' : `${r.curve.stop.reason === 'diverged' ? 'diverged' : 'NaN/Infinity'} at LR ${lr(r.curve.stop.lr)}`;
  const d = r.diagnosis;
  const lines = [
    `LR range test on ${r.task} (${String(r.params.optimizer ?? 'task default')}), ${r.curve.points.length}/${r.steps} steps, ${o.schedule} ${lr(o.startLr)} .. ${lr(o.endLr)}, ${r.curve.signal === 'val' ? 'validation' : 'training'} loss, backend ${r.backend}, ${(r.elapsedMs / 1000).toFixed(1)} s: ${stop}`,
    `suggested LR  ${lr(r.suggestion)}   (rule ${r.rule}; ${RULE_NAMES.filter((n) => n !== r.rule).map((n) => `${n} ${r.suggestions[n] === null ? '-' : lr(r.suggestions[n]!)}`).join(', ')})`,
    `bounds        ${range(r.bounds)}   (for search: --lr-bounds ${r.bounds.map((b) => Number(b.toPrecision(3))).join(',')})`,
    `regions       flat ${range(d.regions.flat)}, falling ${range(d.regions.falling)}, rising ${range(d.regions.rising)}`,
    isHealthy(d) ? 'diagnosis     healthy: flat, falling and rising regions, readable noise' : `diagnosis     ${d.issues.length} warning${d.issues.length > 1 ? 's' : ''}:`,
    ...d.issues.map((i) => `  - ${i.message}\n    try: ${i.advice}`),
    ...(plot ? [`plot          ${plot}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
