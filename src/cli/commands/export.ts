import type { Argv, ArgumentsCamelCase } from 'yargs';
import { errors } from '../../errors.js';
import { checkpointPath } from '../../journal/format.js';
import { readJournal } from '../../journal/reader.js';
import { runData } from '../../report/data.js';
import { runRecords, toCsv } from '../../report/table.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

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
    .example('$0 export runs/d1 --csv > trials.csv', 'the trials table for a spreadsheet')
    .example('$0 export runs/d1 --json', 'the same as a JSON array')
    .example('$0 export runs/d1 --model my-model', 'then tf.loadLayersModel("file://my-model/model.json") (tfjs-node)');
}

/**
 * The run's best model into `out`: the copy in `<run>/best-model/` if the search kept one, else rebuilt from the
 * best trial's checkpoint file. Returns where it came from.
 */
async function exportModel(dir: string, out: string): Promise<string> {
  // Loaded here: the table export (and every other command) does not pay for tfjs and the tasks.
  const { readCheckpoint } = await import('../../tasks/checkpoint.js');
  const { BEST_MODEL_DIR, copyModel, MODEL_JSON, saveModel } = await import('../../tasks/model-file.js');
  const { resolveTask } = await import('../../tasks/registry.js');
  const kept = join(dir, BEST_MODEL_DIR);
  if (existsSync(join(kept, MODEL_JSON))) {
    copyModel(kept, out);
    return kept;
  }
  const journal = readJournal(dir);
  const best = runData(dir, journal).best;
  if (!best) throw errors.runFolder(dir, 'has no complete trial, so no trained model to export');
  const taskName = journal.study.config.task;
  if (typeof taskName !== 'string') throw errors.runFolder(dir, 'its trials ran a fitness module, not a task: there is no trained model to export');
  const file = join(dir, checkpointPath(best.trial));
  if (!existsSync(file)) {
    const looked = `neither ${BEST_MODEL_DIR}/ nor ${checkpointPath(best.trial)} for the best trial ${best.trial}`;
    throw errors.runFolder(dir, `no trained model kept (${looked})`);
  }
  const task = await resolveTask(taskName);
  await saveModel(task, best.params, readCheckpoint(file, { task: task.name }), out);
  return file;
}

export async function handler(args: ArgumentsCamelCase<{ dir: string; csv?: boolean; json?: boolean; model?: string }>): Promise<void> {
  if (args.csv && args.json) throw errors.optionConflict('give either --csv or --json, not both');
  if (args.model !== undefined) {
    if (args.csv || args.json) throw errors.optionConflict('--model writes the model, not the table: give it without --csv or --json');
    if (args.model === '') throw errors.option('--model', 'a folder to write model.json and weights.bin into', args.model);
    const from = await exportModel(args.dir, args.model);
    process.stdout.write(`wrote ${join(args.model, 'model.json')} (from ${from})\n`);
    return;
  }
  const journal = readJournal(args.dir);
  for (const w of journal.warnings) process.stderr.write(`evotune: warning: ${w}\n`);
  const data = runData(args.dir, journal);
  const { columns, records } = runRecords(data);
  process.stdout.write(args.json ? `${JSON.stringify(records, null, 1)}\n` : toCsv(columns, records));
}
