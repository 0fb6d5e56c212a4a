/**
 * The benchmark runner: every section (or those named) in one process, one after another, then a markdown report,
 * a JSON file and SVG charts in benchmarks/results/. Every run into benchmarks/results/ that is not quick then
 * rewrites benchmarks/RESULTS.md whole from the run files there (report-results.ts). It runs from dist/ (build
 * first: npm run build); paths are relative to the current folder, which npm sets to the repository root. A run into
 * benchmarks/results/ must be of committed code (every result names the commit that made it).
 *   npm run bench -- --quick                      # every section, small budgets: a few minutes
 *   npm run bench                                 # the full run (hours: use a quiet machine; stopped, the
 *                                                 # same command goes on from the last finished section)
 *   npm run bench -- --sections functions,pool --out /tmp/bench
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { describe, errors } from '../src/errors.js';
import { reportError } from '../src/cli/output.js';
import { codeChangedSince, gitCommit, machineInfo, renderJson, renderMarkdown, type Chart, type RunMeta, type SectionOutcome } from './report.js';
import { RESULTS_MD, writeResults } from './report-results.js';
import { closeRun, openRun, progressDir, recordSection } from './progress.js';
import { SECTIONS, type Section } from './sections.js';
import type { SectionContext } from './section.js';

const DEFAULT_OUT = join('benchmarks', 'results');

export interface RunArgs {
  readonly quick: boolean;
  readonly sections: readonly Section[];
  /** Folder for the report files; undefined: benchmarks/results (and RESULTS.md may be refreshed). */
  readonly out?: string;
}

const USAGE = `usage: npm run bench -- [--quick] [--sections ${SECTIONS.map((s) => s.id).join(',')}] [--out DIR]`;

export function parseRunArgs(argv: readonly string[]): RunArgs | 'help' {
  let values: { quick: boolean; sections?: string; out?: string; help: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean', default: false },
        sections: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (e) {
    throw errors.optionConflict(describe(e), USAGE);
  }
  if (values.help) return 'help';
  const known = SECTIONS.map((s) => s.id);
  const ids =
    values.sections
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '') ?? known;
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length > 0 || ids.length === 0) throw errors.option('--sections', `a comma-separated list of ${known.join(', ')}`, values.sections);
  return { quick: values.quick, sections: SECTIONS.filter((s) => ids.includes(s.id)), ...(values.out !== undefined ? { out: values.out } : {}) };
}

/**
 * File-name stem of a run: the day, marked when the run is quick (git ignores those) or covers only some sections,
 * so that neither overwrites the day's full run.
 */
export function outputStem(date: string, quick: boolean, sectionIds: readonly string[]): string {
  const partial = sectionIds.length < SECTIONS.length ? sectionIds : [];
  return [quick ? 'tmp-quick' : '', date.slice(0, 10), ...partial].filter((s) => s !== '').join('-');
}

/** The command as typed, to put in the report. */
function commandLine(argv: readonly string[]): string {
  const args = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args ? ` -- ${args}` : ''}`;
  return `node ${relative(process.cwd(), process.argv[1] ?? 'benchmarks/run.js')}${args ? ` ${args}` : ''}`;
}

async function runSection(section: Section, quick: boolean, progress: SectionContext['progress']): Promise<SectionOutcome> {
  const log = (line: string) => process.stderr.write(`[${section.id}] ${line}\n`);
  const t0 = performance.now();
  try {
    const r = await section.run({ quick, backend: 'wasm', log, ...(progress ? { progress } : {}) });
    if (r.kind === 'skipped') {
      log(`skipped: ${r.reason}`);
      return { id: section.id, title: section.title, status: 'skipped', reason: r.reason };
    }
    const { kind: _k, ...body } = r;
    return { id: section.id, title: section.title, status: 'ran', elapsedMs: performance.now() - t0, ...body };
  } catch (e) {
    log(`failed: ${describe(e)}`);
    return { id: section.id, title: section.title, status: 'failed', elapsedMs: performance.now() - t0, error: describe(e) };
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseRunArgs(argv);
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const commit = gitCommit();
  // A result names the commit whose code made it; uncommitted code cannot be checked out again to re-run it.
  if (!parsed.quick && parsed.out === undefined && commit?.endsWith('-dirty')) {
    throw errors.optionConflict(
      `${DEFAULT_OUT} takes runs of committed code only: the working tree has changes (git status)`,
      'commit them first, or write this run elsewhere with --out DIR',
    );
  }
  const fresh: RunMeta = {
    date: new Date().toISOString(),
    command: commandLine(argv),
    quick: parsed.quick,
    ...(commit ? { commit } : {}),
    machine: machineInfo(),
  };
  const outDir = resolve(parsed.out ?? DEFAULT_OUT);
  const ids = parsed.sections.map((s) => s.id);
  // A run of committed code keeps each finished section, so that a stopped run goes on (benchmarks/progress.ts);
  // quick runs are short, and a run of uncommitted code could not show that it goes on with the same code.
  const keep = !parsed.quick && commit !== undefined && !commit.endsWith('-dirty');
  const dir = progressDir(
    outDir,
    ids,
    SECTIONS.map((s) => s.id),
  );
  const { meta, finished } = keep ? openRun(dir, fresh, ids, codeChangedSince) : { meta: fresh, finished: [] };
  const progress = keep && meta.commit !== undefined ? { dir, commit: meta.commit } : undefined;
  if (finished.length > 0)
    process.stderr.write(
      `going on with the run started ${meta.date.slice(0, 16).replace('T', ' ')} UTC at ${meta.commit}: ${finished.map((o) => o.id).join(', ')} finished then (kept in ${relative(process.cwd(), dir)})\n`,
    );
  const outcomes: SectionOutcome[] = [];
  for (const section of parsed.sections) {
    process.stderr.write(`\n== ${section.title}\n`);
    const outcome = finished.find((o) => o.id === section.id) ?? (await runSection(section, parsed.quick, progress));
    if (progress && !finished.includes(outcome)) recordSection(dir, outcome);
    outcomes.push(outcome);
    if (outcome.status === 'ran') process.stdout.write(`\n## ${outcome.title}\n\n${outcome.markdown}\n`);
  }

  const stem = outputStem(
    meta.date,
    meta.quick,
    parsed.sections.map((s) => s.id),
  );
  const chartFile = (section: string, c: Chart) => `${stem}-${section}-${c.name}.svg`;
  mkdirSync(outDir, { recursive: true });
  for (const o of outcomes) if (o.status === 'ran') for (const c of o.charts) writeFileSync(join(outDir, chartFile(o.id, c)), c.svg);
  writeFileSync(join(outDir, `${stem}.json`), `${JSON.stringify(renderJson(meta, outcomes, chartFile), null, 1)}\n`);
  writeFileSync(join(outDir, `${stem}.md`), renderMarkdown(meta, outcomes, chartFile));
  process.stderr.write(
    `\nwrote ${relative(process.cwd(), join(outDir, stem))}.{md,json}${outcomes.some((o) => o.status === 'ran' && o.charts.length > 0) ? ' and SVG charts' : ''}\n`,
  );

  // Kept until every section has run: a failed or skipped one runs again with the same command, the rest not.
  if (progress) {
    if (outcomes.every((o) => o.status === 'ran')) closeRun(dir);
    else
      process.stderr.write(`the sections that did not run are run again by the same command; the rest are kept in ${relative(process.cwd(), dir)}\n`);
  }
  if (!meta.quick && parsed.out === undefined) process.stderr.write(`rewrote ${writeResults(DEFAULT_OUT)} from the run files in ${DEFAULT_OUT}\n`);
  else process.stderr.write(`${RESULTS_MD} is rewritten only by runs that are not quick, into ${DEFAULT_OUT}\n`);
  return outcomes.some((o) => o.status === 'failed') ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2)).catch((e) => reportError(e, process.argv.includes('--verbose')));
}
