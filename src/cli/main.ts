import yargs from 'yargs';
import * as searchCmd from './commands/search.js';
import * as lrFindCmd from './commands/lr-find.js';
import * as reportCmd from './commands/report.js';
import * as exportCmd from './commands/export.js';
import * as tasksCmd from './commands/tasks.js';
import * as strategiesCmd from './commands/strategies.js';
import * as workerCmd from './commands/worker.js';
import * as benchCmd from './commands/bench.js';
import * as dashboardCmd from './commands/dashboard.js';
import { EXIT, reportError } from './output.js';

class UsageStop extends Error {}

/** Every command module: adding a command is one file in src/cli/commands/ plus one line here. */
const COMMANDS = [searchCmd, lrFindCmd, reportCmd, exportCmd, tasksCmd, strategiesCmd, workerCmd, benchCmd, dashboardCmd];

/** Runs the CLI and returns the exit code (never throws, never prints a stack trace unless --verbose). */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  let usageError: string | undefined;
  const cli = yargs(argv)
    .scriptName('evotune')
    .usage('$0 <command> [options]\n\nFind good learning rates and hyperparameters with an LR range test and population search.')
    .option('verbose', { type: 'boolean', default: false, describe: 'print stack traces on errors' })
    .strict()
    .demandCommand(1, 'name a command, e.g. `evotune search --task digits`')
    .recommendCommands()
    .help()
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs' own parse errors (YError: "Not enough arguments following: budget") are usage errors too.
      if (err && err.name !== 'YError') throw err;
      msg ??= err?.message ?? 'invalid arguments';
      // yargs spreads some messages over lines ("Invalid values:\n  Argument: ..."): the user gets one line.
      usageError = msg.replace(/:?\s*\n\s*/g, ': ');
      // Throwing stops yargs from running the command's handler after a usage error.
      throw new UsageStop();
    });
  for (const c of COMMANDS) cli.command(c as never);
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
