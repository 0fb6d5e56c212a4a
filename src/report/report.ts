import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../errors.js';
import { readJournal } from '../journal/reader.js';
import { pathProblem } from '../journal/writer.js';
import { renderSvg } from './chart.js';
import { runData } from './data.js';
import { figures } from './figures.js';
import { reportHtml } from './html.js';

export const REPORT_FILE = 'report.html';
export const CHARTS_FOLDER = 'charts';

export interface WrittenReport {
  readonly html: string;
  readonly svgs: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Writes DIR/report.html and its pictures in DIR/charts/ from the run's journal. Works on a run that is still
 * going or that died: it shows what the journal holds.
 */
export async function writeReport(dir: string): Promise<WrittenReport> {
  const data = runData(dir, readJournal(dir));
  const figs = figures(data);
  const rendered = await Promise.all(figs.map(async (f) => ({ file: join(dir, CHARTS_FOLDER, f.file), svg: await renderSvg({ ...f.spec, title: f.title }) })));
  const html = join(dir, REPORT_FILE);
  try {
    mkdirSync(join(dir, CHARTS_FOLDER), { recursive: true });
    for (const r of rendered) writeFileSync(r.file, r.svg);
    writeFileSync(html, reportHtml(data, figs, CHARTS_FOLDER));
  } catch (e) {
    throw errors.runFolder(dir, `cannot write the report: ${pathProblem(join(dir, CHARTS_FOLDER), e)}`);
  }
  return { html, svgs: rendered.map((r) => r.file), warnings: data.warnings };
}
