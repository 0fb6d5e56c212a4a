/**
 * A run in progress: the sections it has finished, kept on disk as each one ends, so that a run stopped part-way
 * (a crash, SIGKILL, the end of a sitting) goes on when the same command runs again on the same code. A full run
 * takes hours on a small machine; without this it would have to happen in one uninterrupted sitting.
 *
 * The folder (benchmarks/results/in-progress/<run>/) holds run.json (the run's meta: its start, command, commit and
 * each later sitting), sections.jsonl (one finished section per line) and whatever the sections keep of their own
 * partial work (multi-fidelity cells, fault scenarios). It is deleted when the run writes its results. It may be
 * committed, to go on from another clone: the run still names the commit whose code it measures.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../src/errors.js';
import type { RunMeta, SectionOutcome } from './report.js';

export const IN_PROGRESS = 'in-progress';

/** Where a run of these sections keeps its progress: one folder per set of sections, "all" for the full run. */
export function progressDir(outDir: string, sectionIds: readonly string[], allIds: readonly string[]): string {
  const all = sectionIds.length === allIds.length && allIds.every((id) => sectionIds.includes(id));
  return join(outDir, IN_PROGRESS, all ? 'all' : sectionIds.join('-'));
}

interface Saved {
  readonly meta: RunMeta;
  readonly sections: readonly string[];
}

export interface OpenedRun {
  /** The run's meta: this sitting's when the run is new, the first sitting's (with this one added) when it goes on. */
  readonly meta: RunMeta;
  /** Sections a previous sitting finished, in the order they finished. */
  readonly finished: readonly SectionOutcome[];
}

/**
 * Starts a run, or goes on with the one kept in `dir`. `codeChangedSince(commit)` says whether the code measured
 * now differs from that commit's: a run is only continued on the code it started on, never silently restarted.
 */
export function openRun(dir: string, fresh: RunMeta, sectionIds: readonly string[], codeChangedSince: (commit: string) => boolean): OpenedRun {
  const file = join(dir, 'run.json');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${JSON.stringify({ meta: fresh, sections: sectionIds } satisfies Saved, null, 1)}\n`);
    return { meta: fresh, finished: [] };
  }
  let saved: Saved;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as Saved;
    if (typeof saved.meta?.commit !== 'string' || !Array.isArray(saved.sections)) throw new Error('no meta.commit or sections');
  } catch (e) {
    throw errors.optionConflict(`${file} is not a run in progress (${e instanceof Error ? e.message : String(e)})`, `delete ${dir} to start afresh`);
  }
  const commit = saved.meta.commit as string;
  if (codeChangedSince(commit))
    throw errors.optionConflict(
      `${dir} holds a run started ${saved.meta.date.slice(0, 16).replace('T', ' ')} UTC at commit ${commit}, and the code has changed since`,
      `go on with it at that commit (git worktree add <folder> ${commit}; copy ${dir} there), or delete ${dir} to start afresh`,
    );
  const meta: RunMeta = {
    ...saved.meta,
    resumed: [...(saved.meta.resumed ?? []), { date: fresh.date, loadAtStart: fresh.machine.loadAtStart }],
  };
  writeFileSync(file, `${JSON.stringify({ meta, sections: saved.sections } satisfies Saved, null, 1)}\n`);
  return { meta, finished: readFinished(dir).filter((o) => sectionIds.includes(o.id)) };
}

/** Sections finished so far; a line cut short by a kill mid-write is left out (that section runs again). */
const readFinished = (dir: string) => readJsonLines(join(dir, 'sections.jsonl')) as SectionOutcome[];

/** The values of a JSON-lines file written by appendJsonLine, in order; a line torn by a kill is left out. None if absent. */
export function readJsonLines(file: string | undefined): unknown[] {
  if (file === undefined || !existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as unknown];
      } catch {
        return [];
      }
    });
}

/**
 * Appends `value` as one JSON line. A kill mid-write leaves a last line without its newline: the next line then
 * starts on a line of its own, so only the torn line is lost (readers skip it), not the whole line after it too.
 */
export function appendJsonLine(file: string, value: unknown): void {
  let torn = false;
  if (existsSync(file)) {
    const size = statSync(file).size;
    if (size > 0) {
      const fd = openSync(file, 'r');
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      closeSync(fd);
      torn = last[0] !== 0x0a;
    }
  }
  appendFileSync(file, `${torn ? '\n' : ''}${JSON.stringify(value)}\n`);
}

/** Keeps a section that ran; one that failed or was skipped runs again next time (its cause may be gone). */
export function recordSection(dir: string, outcome: SectionOutcome): void {
  if (outcome.status !== 'ran') return;
  appendJsonLine(join(dir, 'sections.jsonl'), outcome);
}

/** The run wrote its results: what it kept is no longer needed. */
export function closeRun(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
