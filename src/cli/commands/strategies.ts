import type { Argv, ArgumentsCamelCase } from 'yargs';
import { DEFAULT_STRATEGY, STRATEGIES } from '../../../strategies/index.js';
import type { Field } from '../../../strategies/options.js';

export const command = 'strategies';
export const describe = 'List the search strategies, with their options and defaults';

export function builder(y: Argv) {
  return y
    .option('json', { type: 'boolean', default: false, describe: 'print them as JSON' })
    .example('$0 strategies', 'each strategy with its options and defaults')
    .example('$0 search --task digits --strategy ga --strategy-options \'{"populationSize":20}\'', 'then use one, with options');
}

/** Each strategy with its summary and options (default, what is accepted, what it does). */
export function strategyList() {
  return Object.values(STRATEGIES).map((s) => ({
    name: s.name,
    default: s.name === DEFAULT_STRATEGY,
    summary: s.summary,
    options: Object.entries(s.options as Record<string, Field<unknown>>).map(([name, f]) => ({
      name,
      default: f.default,
      expected: f.expected,
      doc: f.doc,
    })),
  }));
}

export function handler(args: ArgumentsCamelCase<{ json: boolean }>): void {
  const list = strategyList();
  if (args.json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  for (const s of list) {
    out.push(`${s.name}${s.default ? ' (default)' : ''}: ${s.summary}`);
    const defaults = s.options.map((o) => `default ${JSON.stringify(o.default)}`);
    const width = Math.max(0, ...s.options.map((o) => o.name.length));
    const dwidth = Math.max(0, ...defaults.map((d) => d.length));
    s.options.forEach((o, i) => out.push(`  ${o.name.padEnd(width)}  ${defaults[i]!.padEnd(dwidth)}  ${o.doc} (${o.expected})`));
    out.push('');
  }
  out.push('Set options with --strategy-options \'{"name": value}\' or "strategyOptions" in a --config file.');
  process.stdout.write(`${out.join('\n')}\n`);
}
