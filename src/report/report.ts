import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../errors.js';
import { readJournal } from '../journal/reader.js';
import { pathProblem } from '../journal/writer.js';
import { renderSvg } from './chart.js';
import { runData } from './data.js';
import { reportHtml } from './html.js';
import { LR_SCHEDULE_FILE, runPayload } from './payload.js';

export const REPORT_FILE = 'report.html';
export const CHARTS_FOLDER = 'charts';

export interface WrittenReport {
  readonly html: string;
  readonly svgs: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Writes DIR/report.html (self-contained: every chart, the trials table, the chart libraries inlined) and each
 * chart as an SVG in DIR/charts/ (for slides and papers) from the run's journal. Works on a run that is still
 * going or that died: it shows what the journal holds.
 */
export async function writeReport(dir: string): Promise<WrittenReport> {
  const data = runData(dir, readJournal(dir));
  const payload = runPayload(data);
  const drawn = payload.figures.filter((f) => f.spec !== undefined);
  const rendered = await Promise.all(
    drawn.map(async (f) => ({ file: join(dir, CHARTS_FOLDER, `${f.id}.svg`), svg: await renderSvg({ ...f.spec!, title: f.title } as never) })),
  );
  const html = join(dir, REPORT_FILE);
  try {
    mkdirSync(join(dir, CHARTS_FOLDER), { recursive: true });
    for (const r of rendered) writeFileSync(r.file, r.svg);
    if (payload.lrSchedule) writeFileSync(join(dir, LR_SCHEDULE_FILE), `${JSON.stringify(payload.lrSchedule.pieces, null, 1)}\n`);
    writeFileSync(html, reportHtml(data, payload));
  } catch (e) {
    throw errors.runFolder(dir, `cannot write the report: ${pathProblem(join(dir, CHARTS_FOLDER), e)}`);
  }
  return { html, svgs: rendered.map((r) => r.file), warnings: data.warnings };
}
