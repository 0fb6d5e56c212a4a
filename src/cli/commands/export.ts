import type { Argv, ArgumentsCamelCase } from 'yargs';
import { errors } from '../../errors.js';
import { readJournal } from '../../journal/reader.js';
import { runData } from '../../report/data.js';
import { toCsv, trialRecords } from '../../report/table.js';
import { CONFIG_FILE } from '../../journal/format.js';
import { objectiveColumns, objectiveSpec, type ObjectiveOptions } from '../../study/objectives.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The objective options in a run's config.json (none in an older run or a copy without it). */
function runObjectives(dir: string): ObjectiveOptions {
  const file = join(dir, CONFIG_FILE);
  if (!existsSync(file)) return {};
  const { objective, direction, objectives, directions, constraint } = JSON.parse(readFileSync(file, 'utf8')) as ObjectiveOptions;
  return { objective, direction, objectives, directions, constraint };
}

export const command = 'export <dir>';
export const describe = 'Print the trials table of a run folder as CSV or JSON';

export function builder(y: Argv) {
  return y
    .positional('dir', { type: 'string', demandOption: true, describe: 'a run folder written by `evotune search --out`' })
    .option('csv', { type: 'boolean', describe: 'CSV with a header line (the default)' })
    .option('json', { type: 'boolean', describe: 'a JSON array of trials' })
    .example('$0 export runs/d1 --csv > trials.csv', '');
}

export function handler(args: ArgumentsCamelCase<{ dir: string; csv?: boolean; json?: boolean }>): void {
  if (args.csv && args.json) throw errors.optionConflict('give either --csv or --json, not both');
  const journal = readJournal(args.dir);
  for (const w of journal.warnings) process.stderr.write(`evotune: warning: ${w}\n`);
  const data = runData(args.dir, journal);
  const table = trialRecords(data.rows, data.space);
  // A run that chose objectives or constraints (its config.json says): mark infeasible trials and the Pareto front.
  const marks = objectiveColumns(objectiveSpec(runObjectives(args.dir)), data.rows.map((r) => ({ number: r.trial, params: r.params, outcome: r.outcome })));
  const columns = [...table.columns, ...marks.columns];
  const records = table.records.map((rec) => ({ ...rec, ...marks.of(rec.trial as number) }));
  process.stdout.write(args.json ? `${JSON.stringify(records, null, 1)}\n` : toCsv(columns, records));
}
