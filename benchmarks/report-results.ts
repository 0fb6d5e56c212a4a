/**
 * benchmarks/RESULTS.md, written whole from the run files in benchmarks/results/ (never edited by hand): for every
 * section, its newest full run, its tables rebuilt from the run's data where the section can (Section.render), each
 * under the run that measured it; then the reading, benchmarks/READING.md, which people write and which may only cite
 * figures from those files (test/bench-results.test.ts checks both).
 *   node dist/benchmarks/report-results.js      # rebuild RESULTS.md from the committed run files
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunMeta } from './report.js';
import { SECTIONS, type Section } from './sections.js';

export const RESULTS_DIR = join('benchmarks', 'results');
export const RESULTS_MD = join('benchmarks', 'RESULTS.md');
export const READING_MD = join('benchmarks', 'READING.md');

/** One run as saved by the runner: <stem>.json (meta, data) beside <stem>.md (the markdown it printed). */
export interface SavedRun {
  readonly stem: string;
  readonly meta: RunMeta;
  readonly sections: ReadonlyArray<{
    readonly id: string;
    readonly title: string;
    readonly status: string;
    readonly data?: unknown;
    readonly charts?: readonly string[];
  }>;
  readonly markdown: string;
}

/** Every full run in `dir` (quick runs are not results), oldest first. */
export function readRuns(dir = RESULTS_DIR): SavedRun[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('tmp-') && existsSync(join(dir, f.replace(/\.json$/, '.md'))))
    .flatMap((f) => {
      const json = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Partial<SavedRun>;
      if (!json.meta || !Array.isArray(json.sections) || json.meta.quick) return [];
      const stem = f.replace(/\.json$/, '');
      return [{ stem, meta: json.meta, sections: json.sections, markdown: readFileSync(join(dir, `${stem}.md`), 'utf8') }];
    })
    .sort((a, b) => a.meta.date.localeCompare(b.meta.date));
}

/** The body of section `title` in a run's markdown: from its "## " heading to the next. */
function savedBody(markdown: string, title: string): string | undefined {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join('\n')
    .trim();
}

/** RESULTS.md from the runs (newest wins per section) and the hand-written reading. */
export function composeResults(runs: readonly SavedRun[], reading: string, sections: readonly Section[] = SECTIONS): string {
  const picked = sections.map((section) => {
    const run = [...runs].reverse().find((r) => r.sections.some((s) => s.id === section.id && s.status === 'ran'));
    return { section, run, saved: run?.sections.find((s) => s.id === section.id && s.status === 'ran') };
  });
  const used = runs.filter((r) => picked.some((p) => p.run === r));
  const runLine = (r: SavedRun) => {
    const m = r.meta.machine;
    return `| ${r.stem} | \`${r.meta.command}\` | ${r.meta.commit ?? 'unknown'} | ${m.cpu}, ${m.cores} cores, Node ${m.node}, load ${m.loadAtStart} | ${picked
      .filter((p) => p.run === r)
      .map((p) => p.section.id)
      .join(', ')} |`;
  };
  const body = picked.map(({ section, run, saved }) => {
    const title = `## ${section.title}`;
    if (!run || !saved) return `${title}\n\nNot in any committed run yet: \`npm run bench -- --sections ${section.id}\` measures it.`;
    const text = section.render && saved.data !== undefined ? section.render(saved.data) : (savedBody(run.markdown, saved.title) ?? '');
    const charts = section.render ? (saved.charts ?? []).map((c) => `![${c.replace(/\.svg$/, '')}](results/${c})`) : [];
    const rewritten = text.replace(/\]\((?!results\/|https?:)([^)]+\.svg)\)/g, '](results/$1)');
    return [
      title,
      '',
      `Measured by run ${run.stem} (commit ${run.meta.commit ?? 'unknown'}).`,
      '',
      rewritten,
      ...(charts.length ? ['', ...charts] : []),
    ].join('\n');
  });
  return [
    '# Benchmark results',
    '',
    'Written whole by `npm run bench` (or `node dist/benchmarks/report-results.js`) from the run files in',
    "[results/](results/): every table below is rebuilt from a run's saved data or copied from its saved markdown;",
    'nothing here is edited by hand. Each section names its run; a full `npm run bench` puts every section in one run.',
    'The reading at the end is written by people (benchmarks/READING.md) and cites only figures from these files.',
    '',
    '| run | command | commit | machine | sections |',
    '| --- | --- | --- | --- | --- |',
    ...used.map(runLine),
    '',
    'Timings are wall-clock on a shared machine and move with its load; compare them only within a section.',
    '',
    ...body.flatMap((b) => [b, '']),
    '---',
    '',
    '# Reading (written by hand)',
    '',
    reading.trim(),
    '',
  ].join('\n');
}

/** Rewrites RESULTS.md from the committed runs; returns its path. */
export function writeResults(dir = RESULTS_DIR): string {
  const reading = existsSync(READING_MD) ? readFileSync(READING_MD, 'utf8') : '';
  writeFileSync(RESULTS_MD, composeResults(readRuns(dir), reading));
  return RESULTS_MD;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stderr.write(`wrote ${writeResults()}\n`);
}
