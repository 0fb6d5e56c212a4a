import type { Argv, ArgumentsCamelCase } from 'yargs';
import { errors } from '../../errors.js';
import { readJournal } from '../../journal/reader.js';
import { runData } from '../../report/data.js';
import { toCsv, trialRecords } from '../../report/table.js';

export const command = 'export <dir>';
export const describe = 'Print the trials table of a run folder as CSV or JSON';

export function builder(y: Argv) {
  return y
    .positional('dir', { type: 'string', demandOption: true, describe: 'a run folder written by `evotune search --out`' })
    .option('csv', { type: 'boolean', describe: 'CSV with a header line (the default)' })
    .option('json', { type: 'boolean', describe: 'a JSON array of trials' })
    .example('$0 export runs/d1 --csv > trials.csv', 'the trials table for a spreadsheet')
    .example('$0 export runs/d1 --json', 'the same as a JSON array');
}

export function handler(args: ArgumentsCamelCase<{ dir: string; csv?: boolean; json?: boolean }>): void {
  if (args.csv && args.json) throw errors.optionConflict('give either --csv or --json, not both');
  const journal = readJournal(args.dir);
  for (const w of journal.warnings) process.stderr.write(`evotune: warning: ${w}\n`);
  const data = runData(args.dir, journal);
  const { columns, records } = trialRecords(data.rows, data.space);
  process.stdout.write(args.json ? `${JSON.stringify(records, null, 1)}\n` : toCsv(columns, records));
}
