import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../errors.js';
import { sameJson, type RunConfig } from './config.js';
import {
  CONFIG_FILE,
  JOURNAL_FILE,
  JOURNAL_VERSION,
  journalLineSchema,
  type AskedLine,
  type FinishedLine,
  type JournalLine,
  type StudyLine,
} from './format.js';
import { ioProblem } from './writer.js';

/** A run folder as every command sees it (resume, export, report): read and checked by readJournal, one set of rules. */
export interface Journal {
  readonly file: string;
  readonly study: StudyLine;
  /** Every line after the study line, in file order. */
  readonly lines: readonly JournalLine[];
  /** Each asked trial's "asked" line, by number (a trial asked again after a resume asks the same point). */
  readonly asked: ReadonlyMap<number, AskedLine>;
  /** Each finished trial's one "finished" line, by number. */
  readonly finished: ReadonlyMap<number, FinishedLine>;
  /** The run's options: config.json, or the journal's own record of them when config.json is missing or unreadable. */
  readonly config: RunConfig;
  /** Length of the whole lines: a resumed run cuts a torn last line off here before appending. */
  readonly validBytes: number;
  readonly warnings: readonly string[];
}

const NEWLINE = 0x0a;

/**
 * Reads and checks the journal of a run folder. Each kind of damage has one decision, the same for every command:
 *
 * | found                                                  | decision                                               |
 * | ------------------------------------------------------ | ------------------------------------------------------ |
 * | a last line without its newline (torn by a crash)      | recover: left out with a warning; a resume cuts it off |
 * | a line that is not JSON, or not a journal line         | refuse, naming the line                                |
 * | a first line that is not "study", a second "study"     | refuse, naming the line                                |
 * | a "finished" line whose trial has no earlier "asked"   | refuse, naming the line (orphan)                       |
 * | a "finished" line whose point differs from its "asked" | refuse, naming both lines                              |
 * | two "asked" lines of one trial with different points   | refuse, naming both lines                              |
 * | two "finished" lines of one trial, same outcome        | recover: the first kept, with a warning                |
 * | two "finished" lines of one trial, different outcomes  | refuse, naming both lines (which one is true?)         |
 * | config.json missing or unreadable                      | recover: rebuilt from the journal, with a warning      |
 *
 * Refusals are usage errors (exit code 2): guessing could silently rerun, skip or misreport trials.
 */
export function readJournal(dir: string): Journal {
  const file = join(dir, JOURNAL_FILE);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw errors.runFolder(
      dir,
      missing ? `no ${JOURNAL_FILE} here` : `cannot read ${JOURNAL_FILE}: ${ioProblem(e)}`,
      missing ? 'give a folder that `evotune search --out` wrote' : undefined,
    );
  }
  const validBytes = bytes.lastIndexOf(NEWLINE) + 1;
  const warnings: string[] = [];
  if (validBytes < bytes.length) {
    warnings.push(`${file}: ignored a truncated last line (${bytes.length - validBytes} bytes), left by a run that died while writing it`);
  }
  const texts = bytes.subarray(0, validBytes).toString('utf8').split('\n').slice(0, -1);
  const lines = texts.map((text, i) => parseLine(dir, text, i + 1));
  const [study, ...rest] = lines;
  if (study?.type !== 'study') {
    throw errors.runFolder(dir, `${JOURNAL_FILE} does not start with a "study" line`, 'the run died before it started: start it again');
  }
  const { asked, finished } = checkTrials(dir, rest, warnings);
  const config = readConfig(dir, study, rest, warnings);
  return { file, study, lines: rest, asked, finished, config, validBytes, warnings };
}

function parseLine(dir: string, text: string, lineNo: number): JournalLine {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw errors.runFolder(dir, `${JOURNAL_FILE} line ${lineNo} is not JSON: ${text.slice(0, 60)}`, DAMAGED);
  }
  const v = (json as { v?: unknown } | null)?.v;
  if (typeof v === 'number' && v > JOURNAL_VERSION) {
    throw errors.runFolder(dir, `${JOURNAL_FILE} has format v${v}; this evotune reads v${JOURNAL_VERSION}`, 'use the evotune version that wrote it');
  }
  const r = journalLineSchema.safeParse(json);
  if (!r.success) {
    const type = (json as { type?: unknown } | null)?.type;
    throw errors.runFolder(
      dir,
      `${JOURNAL_FILE} line ${lineNo} is not a valid ${typeof type === 'string' ? `"${type.slice(0, 20)}" ` : ''}journal line`,
      DAMAGED,
    );
  }
  return r.data;
}

const DAMAGED = 'the journal was damaged or edited: restore it from a copy, or start the run again in another folder';

/** Applies the trial rules of the table above; line numbers count the study line as line 1. */
function checkTrials(dir: string, lines: readonly JournalLine[], warnings: string[]) {
  const asked = new Map<number, { line: AskedLine; no: number }>();
  const finished = new Map<number, { line: FinishedLine; no: number }>();
  const refuse = (no: number, problem: string) => errors.runFolder(dir, `${JOURNAL_FILE} line ${no}: ${problem}`, DAMAGED);
  lines.forEach((line, i) => {
    const no = i + 2;
    if (line.type === 'study') throw refuse(no, 'a second "study" line (two runs in one journal?)');
    if (line.type === 'asked') {
      const first = asked.get(line.trial);
      if (first && (!sameJson(first.line.x, line.x) || first.line.seed !== line.seed)) {
        throw refuse(no, `trial ${line.trial} asked again with another point than on line ${first.no}`);
      }
      asked.set(line.trial, { line, no });
    } else if (line.type === 'finished') {
      const a = asked.get(line.trial);
      if (!a) throw refuse(no, `trial ${line.trial} finished but was never asked (a "finished" line without its "asked" line)`);
      if (!sameJson(a.line.x, line.x)) throw refuse(no, `trial ${line.trial} finished at another point than it was asked on line ${a.no}`);
      const first = finished.get(line.trial);
      if (!first) return void finished.set(line.trial, { line, no });
      if (!sameOutcome(first.line, line)) {
        throw refuse(
          no,
          `trial ${line.trial} finished a second time with another outcome than on line ${first.no} (${outcomeText(first.line)}, then ${outcomeText(line)})`,
        );
      }
      warnings.push(
        `${JOURNAL_FILE} line ${no}: trial ${line.trial} finished a second time with the outcome of line ${first.no}; kept line ${first.no}`,
      );
    }
  });
  const strip = <T>(m: Map<number, { line: T }>) => new Map([...m].map(([n, v]) => [n, v.line] as const));
  return { asked: strip(asked), finished: strip(finished) };
}

/** Two finished lines say the same about a trial when only when and where it ran differ. */
function sameOutcome(a: FinishedLine, b: FinishedLine): boolean {
  const { at: _a, durationMs: _d, worker: _w, ...ra } = a;
  const { at: _b, durationMs: _e, worker: _x, ...rb } = b;
  return sameJson(ra, rb);
}

const outcomeText = (l: FinishedLine): string => {
  const o = l as { state: string; value?: number; kind?: string };
  return `${o.state} ${o.value ?? o.kind ?? ''}`.trim();
};

/**
 * The run's options. config.json is a copy the run keeps for people (usable as --config); the journal records the
 * same (the study line, plus each resume's changes), so a missing or unreadable config.json is rebuilt from it.
 */
function readConfig(dir: string, study: StudyLine, lines: readonly JournalLine[], warnings: string[]): RunConfig {
  try {
    const saved: unknown = JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8'));
    if (saved !== null && typeof saved === 'object' && !Array.isArray(saved)) return saved as RunConfig;
    warnings.push(`${CONFIG_FILE} is not a JSON object; using the options the journal recorded`);
  } catch (e) {
    const why =
      e instanceof SyntaxError
        ? 'is not valid JSON'
        : (e as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'is missing'
          : `cannot be read (${ioProblem(e)})`;
    warnings.push(`${CONFIG_FILE} ${why}; using the options the journal recorded`);
  }
  const config: RunConfig = { ...study.config };
  for (const l of lines) if (l.type === 'resumed') for (const [k, c] of Object.entries(l.changed)) config[k] = c.to;
  return config;
}
