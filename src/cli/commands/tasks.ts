import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { ParamSpec } from '../../space/spec.js';

export const command = 'tasks';
export const describe = 'List the bundled tasks, with their search spaces and default hyperparameters';

export function builder(y: Argv) {
  return y
    .option('json', { type: 'boolean', default: false, describe: 'print them as JSON' })
    .example('$0 tasks', 'each task with its space and defaults')
    .example('$0 search --task wine', 'then search one');
}

/** Shortest exact-enough form: 0.0001, 256, 1e-7. */
const num = (v: number) => String(Number(v.toPrecision(4)));

/** "float 1e-4 .. 0.1 (log)", "int 8 .. 128", "one of adam, sgd". */
export function describeParam(p: ParamSpec): string {
  if (p.type === 'categorical') return `one of ${p.choices.map(String).join(', ')}`;
  return `${p.type} ${num(p.low)} .. ${num(p.high)}${p.log ? ' (log)' : ''}`;
}

export async function handler(args: ArgumentsCamelCase<{ json: boolean }>): Promise<void> {
  // The registry pulls in the training code: load it only for this command.
  const { BUNDLED_TASKS } = await import('../../tasks/registry.js');
  const tasks = Object.values(BUNDLED_TASKS).map((t) => ({
    name: t.name,
    kind: t.kind,
    description: t.description,
    space: t.space,
    defaults: t.defaults,
  }));
  if (args.json) {
    process.stdout.write(`${JSON.stringify(tasks, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  for (const t of tasks) {
    out.push(`${t.name} (${t.kind}): ${t.description}`);
    const width = Math.max(0, ...Object.keys(t.space).map((k) => k.length));
    for (const [name, p] of Object.entries(t.space)) out.push(`  ${name.padEnd(width)}  ${describeParam(p)}`);
    out.push(
      `  defaults: ${Object.entries(t.defaults)
        .map(([k, v]) => `${k}=${typeof v === 'number' ? num(v) : String(v)}`)
        .join(', ')}`,
    );
    out.push('');
  }
  out.push('Use one with --task NAME; --space FILE replaces its space. A task module (--task ./my-task.mjs) has the same shape.');
  process.stdout.write(`${out.join('\n')}\n`);
}
