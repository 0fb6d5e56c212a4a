import type { Argv, ArgumentsCamelCase } from 'yargs';
import { writeReport } from '../../report/report.js';

export const command = 'report <dir>';
export const describe = "Write a self-contained report.html (the dashboard's charts and the trials table) and an SVG of each chart for a run folder";

export function builder(y: Argv) {
  return y
    .positional('dir', { type: 'string', demandOption: true, describe: 'a run folder written by `evotune search --out`' })
    .example('$0 report runs/d1', 'writes runs/d1/report.html and the SVG pictures');
}

export async function handler(args: ArgumentsCamelCase<{ dir: string }>): Promise<void> {
  const r = await writeReport(args.dir);
  for (const w of r.warnings) process.stderr.write(`evotune: warning: ${w}\n`);
  process.stdout.write(`${r.html}\n${r.svgs.map((s) => `  ${s}\n`).join('')}`);
}
