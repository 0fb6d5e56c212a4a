import type { Argv, ArgumentsCamelCase } from 'yargs';
import { errors } from '../../errors.js';
import { search, type SearchInput, type SearchResult } from '../../search.js';
import { strategyNames } from '../../../strategies/index.js';
import { BACKENDS } from '../../options.js';
import { flagName, formatValue } from '../output.js';

export const command = 'search';
export const describe = 'Search hyperparameters of a task or a fitness module with a population strategy';

export function builder(y: Argv) {
  return y
    .option('task', { type: 'string', describe: 'bundled task name (see `evotune tasks`) or path to a task module' })
    .option('fitness', { type: 'string', describe: 'path to a fitness module: its default export (params, ctx) => loss' })
    .option('space', { type: 'string', describe: 'path to a space JSON file (default: the task\'s space)' })
    .option('strategy', { type: 'string', describe: `search strategy: ${strategyNames().join(', ')}` })
    .option('strategy-options', { type: 'string', describe: 'strategy options as JSON, e.g. \'{"populationSize":30}\'' })
    .option('budget', { type: 'number', describe: 'number of evaluations (default 100)' })
    .option('time-budget', { type: 'number', describe: 'stop after this many seconds (not reproducible)' })
    .option('workers', { type: 'number', describe: 'worker threads (default: number of cores)' })
    .option('seed', { type: 'number', describe: 'root seed: decides every trial (default 0)' })
    .option('backend', { type: 'string', choices: BACKENDS as unknown as string[], describe: 'tfjs backend for tasks (default auto)' })
    .option('trial-timeout', { type: 'number', describe: 'seconds a trial may run before its worker is replaced' })
    .option('max-heap-mb', { type: 'number', describe: 'heap limit per worker in MB' })
    .option('lr-bounds', { type: 'string', describe: 'LR range: "auto" (run the LR range test first) or LO,HI' })
    .option('target', { type: 'number', describe: 'stop once the best value is at or below this' })
    .option('max-consecutive-failures', { type: 'number', describe: 'stop after this many failed trials in a row (0: never)' })
    .option('out', { type: 'string', describe: 'folder for the run\'s config and journal' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object with the result, nothing else' });
}

type Args = ArgumentsCamelCase<Record<string, unknown>>;

/** Turns parsed flags into library input; only flags the user gave are passed, so defaults live in one place. */
export function searchInputFromArgs(args: Args): SearchInput {
  const keys = ['task', 'fitness', 'space', 'strategy', 'budget', 'timeBudget', 'workers', 'seed', 'backend', 'trialTimeout', 'maxHeapMb', 'target', 'maxConsecutiveFailures', 'out'] as const;
  const input: Record<string, unknown> = {};
  for (const k of keys) if (args[k] !== undefined) input[k] = args[k];
  if (args.strategyOptions !== undefined) input.strategyOptions = parseJsonFlag('--strategy-options', args.strategyOptions);
  if (args.lrBounds !== undefined) input.lrBounds = parseLrBounds(String(args.lrBounds));
  return input as SearchInput;
}

function parseJsonFlag(flag: string, raw: unknown): unknown {
  try {
    return JSON.parse(String(raw));
  } catch {
    throw errors.option(flag, 'a JSON object such as \'{"populationSize": 30}\'', raw);
  }
}

export function parseLrBounds(raw: string): 'auto' | [number, number] {
  if (raw === 'auto') return 'auto';
  const parts = raw.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length !== 2 || parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n))) {
    throw errors.lrBounds(`expected "auto" or LO,HI such as 1e-4,1e-1, got "${raw}"`);
  }
  return [nums[0]!, nums[1]!];
}

export async function handler(args: Args): Promise<void> {
  const json = args.json === true;
  const input = searchInputFromArgs(args);
  const result = await search({
    ...input,
    onEvent: json
      ? undefined
      : (e) => {
          if (e.type === 'finished' && (e.done % 10 === 0 || e.done === e.budget)) {
            process.stderr.write(`trial ${e.done}/${e.budget}  best ${e.best ? formatValue(e.best.value) : '-'}  failed ${e.failed}\n`);
          }
        },
  }).catch((e) => {
    throw renameFields(e);
  });
  if (json) process.stdout.write(`${JSON.stringify(toJson(result))}\n`);
  else printResult(result);
}

/** Option errors name API fields (budget); on the command line the user typed flags (--budget). */
function renameFields(e: unknown): unknown {
  if (e instanceof Error && 'code' in e && (e as { code: string }).code === 'E_OPTION') {
    e.message = e.message.replace(/^([a-zA-Z]+)(?=[:\[ ])/, (k) => flagName(k)).replace(/"([a-z][a-zA-Z]+)"/g, (_m, k: string) => `"${flagName(k)}"`);
  }
  return e;
}

export function toJson(r: SearchResult) {
  const { history: _h, ...rest } = r;
  return { ...rest, elapsedMs: Math.round(r.elapsedMs), utilisation: Number(r.utilisation.toFixed(4)) };
}

function printResult(r: SearchResult): void {
  const out = process.stdout;
  out.write(`strategy ${r.strategy}, seed ${r.seed}, ${r.evaluator}${r.backend ? `, backend ${r.backend}` : ''}\n`);
  out.write(`${r.trials} trials (${r.failed} failed) in ${(r.elapsedMs / 1000).toFixed(1)} s, pool utilisation ${(r.utilisation * 100).toFixed(0)}%, stopped by ${r.stoppedBy}\n`);
  if (r.failed > 0) out.write(`failures: ${Object.entries(r.failuresByKind).map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
  if (!r.best) {
    out.write('no trial completed\n');
    return;
  }
  out.write(`best value ${formatValue(r.best.value)} at trial ${r.best.trial}\n`);
  for (const [k, v] of Object.entries(r.best.params)) out.write(`  ${k} = ${typeof v === 'number' ? formatValue(v) : String(v)}\n`);
}
