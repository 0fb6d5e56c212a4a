import type { Argv, ArgumentsCamelCase } from 'yargs';
import { describe as describeError, errors } from '../../errors.js';
import { winnerLineage } from '../../report/figures-pbt.js';
import { readJournal } from '../../journal/reader.js';
import { runData } from '../../report/data.js';
import { runRecords, toCsv } from '../../report/table.js';
import { writeFileSync } from 'node:fs';

export const command = 'export <dir>';
export const describe = 'Print the trials table of a run folder as CSV or JSON, or write its best trained model';

export function builder(y: Argv) {
  return y
    .positional('dir', { type: 'string', demandOption: true, describe: 'a run folder written by `evotune search --out`' })
    .option('csv', { type: 'boolean', describe: 'CSV with a header line (the default)' })
    .option('json', { type: 'boolean', describe: 'a JSON array of trials' })
    .option('model', {
      type: 'string',
      describe: "write the best trial's trained model into this folder (TensorFlow.js format: model.json + weights.bin) instead of the table",
    })
    .option('schedule', {
      type: 'string',
      describe:
        "PBT: write the best member's lineage (hyperparameters per span of epochs: an evolved schedule) to this JSON file, to train again with the library's trainSchedule",
    })
    .example('$0 export runs/d1 --csv > trials.csv', 'the trials table for a spreadsheet')
    .example('$0 export runs/d1 --json', 'the same as a JSON array')
    .example('$0 export runs/d1 --model my-model', 'then tf.loadLayersModel("file://my-model/model.json") (tfjs-node)');
}

/** The best PBT member's lineage as trainSchedule's steps: `{ task, steps: [{ segment, params, trial, value }] }`. */
function exportSchedule(dir: string, out: string): number {
  const journal = readJournal(dir);
  const lineage = winnerLineage(runData(dir, journal));
  if (!lineage) throw errors.runFolder(dir, 'has no PBT lineage (its trials did not continue each other, or none completed): no schedule to export');
  const task = journal.study.config.task;
  const body = { ...(typeof task === 'string' ? { task } : {}), steps: lineage.steps };
  try {
    writeFileSync(out, `${JSON.stringify(body, null, 1)}\n`);
  } catch (e) {
    throw errors.option('--schedule', 'a file path that can be written', `${out} (${describeError(e)})`);
  }
  return lineage.steps.length;
}

export async function handler(
  args: ArgumentsCamelCase<{ dir: string; csv?: boolean; json?: boolean; model?: string; schedule?: string }>,
): Promise<void> {
  if (args.csv && args.json) throw errors.optionConflict('give either --csv or --json, not both');
  if (args.schedule !== undefined) {
    if (args.csv || args.json || args.model !== undefined) throw errors.optionConflict('--schedule writes a file of its own: give it alone');
    if (args.schedule === '') throw errors.option('--schedule', 'a JSON file to write', args.schedule);
    const n = exportSchedule(args.dir, args.schedule);
    process.stdout.write(`wrote ${args.schedule} (${n} segment${n === 1 ? '' : 's'} of the best member's lineage)\n`);
    return;
  }
  if (args.model !== undefined) {
    if (args.csv || args.json) throw errors.optionConflict('--model writes the model, not the table: give it without --csv or --json');
    if (args.model === '') throw errors.option('--model', 'a folder to write model.json and weights.bin into', args.model);
    // Loaded here: the table export (and every other command) does not pay for tfjs and the tasks.
    const { exportBestModel } = await import('../../tasks/best-model.js');
    const { modelJson, from } = await exportBestModel(args.dir, args.model);
    process.stdout.write(`wrote ${modelJson} (from ${from})\n`);
    return;
  }
  const journal = readJournal(args.dir);
  for (const w of journal.warnings) process.stderr.write(`evotune: warning: ${w}\n`);
  const data = runData(args.dir, journal);
  const { columns, records } = runRecords(data);
  process.stdout.write(args.json ? `${JSON.stringify(records, null, 1)}\n` : toCsv(columns, records));
}
