import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../errors.js';
import { JOURNAL_FILE, JOURNAL_VERSION, journalLineSchema, type JournalLine, type StudyLine } from './format.js';
import { ioProblem } from './writer.js';

export interface Journal {
  readonly file: string;
  readonly study: StudyLine;
  /** Every line after the study line, in file order. */
  readonly lines: readonly JournalLine[];
  /** Length of the whole lines: a resumed run cuts a torn last line off here before appending. */
  readonly validBytes: number;
  readonly warnings: readonly string[];
}

const NEWLINE = 0x0a;

/**
 * Reads the journal of a run folder. A last line without its newline is what a process or machine dying in the
 * middle of a write leaves: it is left out with a warning. Anything else that is not a journal line is an error
 * naming the line, because guessing could silently rerun or skip trials.
 */
export function readJournal(dir: string): Journal {
  const file = join(dir, JOURNAL_FILE);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw errors.runFolder(dir, missing ? `no ${JOURNAL_FILE} here` : `cannot read ${JOURNAL_FILE}: ${ioProblem(e)}`, missing ? 'give a folder that `evotune search --out` wrote' : undefined);
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
  return { file, study, lines: rest, validBytes, warnings };
}

function parseLine(dir: string, text: string, lineNo: number): JournalLine {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw errors.runFolder(dir, `${JOURNAL_FILE} line ${lineNo} is not JSON: ${text.slice(0, 60)}`);
  }
  const v = (json as { v?: unknown } | null)?.v;
  if (typeof v === 'number' && v > JOURNAL_VERSION) {
    throw errors.runFolder(dir, `${JOURNAL_FILE} has format v${v}; this evotune reads v${JOURNAL_VERSION}`, 'use the evotune version that wrote it');
  }
  const r = journalLineSchema.safeParse(json);
  if (!r.success) {
    const type = (json as { type?: unknown } | null)?.type;
    throw errors.runFolder(dir, `${JOURNAL_FILE} line ${lineNo} is not a valid ${typeof type === 'string' ? `"${type}" ` : ''}journal line`);
  }
  return r.data;
}
