import yargs, { type Argv } from 'yargs';
import * as searchCmd from './commands/search.js';
import * as lrFindCmd from './commands/lr-find.js';
import * as reportCmd from './commands/report.js';
import * as exportCmd from './commands/export.js';
import * as tasksCmd from './commands/tasks.js';
import * as strategiesCmd from './commands/strategies.js';
import * as workerCmd from './commands/worker.js';
import * as benchCmd from './commands/bench.js';
import * as dashboardCmd from './commands/dashboard.js';
import { errors } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { packageVersion } from '../util/version.js';
import { EXIT, flagName, reportError } from './output.js';

class UsageStop extends Error {}

/** Every command module: adding a command is one file in src/cli/commands/ plus one line here. */
export const COMMANDS = [searchCmd, lrFindCmd, reportCmd, exportCmd, tasksCmd, strategiesCmd, workerCmd, benchCmd, dashboardCmd];

/** Options every command has; listed last in a command's help, after its own. */
const GENERAL = ['verbose', 'help', 'version'];

/** A command's help lists its own options first (ungrouped ones under "Options:"), then the general ones. */
function generalLast(build: (y: Argv) => Argv) {
  return (y: Argv) => {
    const built = build(y);
    // Both exist at run time but are missing from @types/yargs.
    const inspect = built as unknown as { getGroups(): Record<string, string[]>; getOptions(): { key: Record<string, unknown> } };
    const grouped = new Set(Object.values(inspect.getGroups()).flat());
    const own = Object.keys(inspect.getOptions().key).filter((k) => !GENERAL.includes(k) && !grouped.has(k));
    if (own.length > 0) built.group(own, 'Options:');
    return built.group(GENERAL, 'General:');
  };
}

/**
 * yargs turns `--budget abc` into NaN, and a message would then say "got NaN": stop at the first such flag and
 * echo what the user typed.
 */
function rejectNotANumber(argv: readonly string[]) {
  return (parsed: Record<string, unknown>) => {
    const key = Object.keys(parsed).find((k) => k !== '$0' && typeof parsed[k] === 'number' && Number.isNaN(parsed[k]));
    if (key === undefined) return;
    const flag = key.length === 1 ? `-${key}` : flagName(key);
    throw errors.option(flag, 'a number', rawValue(argv, flag));
  };
}

/** What followed `--flag` (or `--flag=...`) on the command line, last occurrence first as yargs reads it. */
function rawValue(argv: readonly string[], flag: string): string | undefined {
  for (let i = argv.length - 1; i >= 0; i--) {
    const a = argv[i]!;
    if (a === flag) return argv[i + 1];
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}

/** "Unknown argument: tsk" -> "Unknown argument: tsk; did you mean --task?" against the command's own options. */
function suggestFlags(msg: string, known: readonly string[]): string {
  const m = /^Unknown arguments?: (.+)$/.exec(msg);
  if (!m) return msg;
  const typed = m[1]!.split(', ');
  const hints = typed.map((t) => didYouMean(t, known, (k) => (k.length === 1 ? `-${k}` : `--${k}`))).filter((h) => h !== '');
  return typed.length === 1 ? `${msg}${hints[0] ?? ''}` : `${msg}${hints.join('')}`;
}

/** Runs the CLI and returns the exit code (never throws, never prints a stack trace unless --verbose). */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  let usageError: string | undefined;
  const cli = yargs(argv)
    .scriptName('evotune')
    .usage('$0 <command> [options]\n\nFind good learning rates and hyperparameters with an LR range test and population search.')
    .option('verbose', { type: 'boolean', default: false, describe: 'print stack traces on errors' })
    .version('version', 'print the version and exit', packageVersion())
    .alias('version', 'V')
    .middleware(rejectNotANumber(argv), true)
    .strict()
    .demandCommand(1, 'name a command, e.g. `evotune search --task digits`')
    .recommendCommands()
    .help()
    .example('$0 search --task digits', "search the bundled digits task's hyperparameters (100 trials)")
    .example('$0 lr-find --task digits', 'the LR range test: a suggested LR and search bounds')
    .example('$0 search --help', 'every option of a command')
    .wrap(Math.min(110, process.stdout.columns || 110))
    .exitProcess(false)
    .fail((msg, err, usage) => {
      // yargs' own parse errors (YError: "Not enough arguments following: budget") are usage errors too.
      if (err && err.name !== 'YError') throw err;
      msg ??= err?.message ?? 'invalid arguments';
      msg = suggestFlags(msg, Object.keys((usage as unknown as { getDescriptions(): Record<string, unknown> }).getDescriptions()));
      // yargs spreads some messages over lines ("Invalid values:\n  Argument: ..."): the user gets one line.
      usageError = msg.replace(/:?\s*\n\s*/g, ': ');
      // Throwing stops yargs from running the command's handler after a usage error.
      throw new UsageStop();
    });
  for (const c of COMMANDS) cli.command({ ...c, builder: generalLast(c.builder as (y: Argv) => Argv) } as never);
  try {
    await cli.parseAsync();
  } catch (e) {
    if (!(e instanceof UsageStop)) return reportError(e, verbose);
  }
  if (usageError !== undefined) {
    process.stderr.write(`evotune: ${usageError}\nhint: evotune --help lists commands; evotune <command> --help lists options\n`);
    return EXIT.usage;
  }
  return EXIT.ok;
}
