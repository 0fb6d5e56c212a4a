import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statfsSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../errors.js';
import type { Checkpoint, Evaluator, TrialOutcome } from '../eval/types.js';
import { reportsJson } from '../eval/reporting.js';
import { readCheckpointFile, writeCheckpointFile } from './checkpoint-file.js';
import type { ReplayedTrial, StudyEvent, StudySummary } from '../study/types.js';
import {
  CHECKPOINT_DIR,
  checkpointPath,
  CONFIG_FILE,
  JOURNAL_FILE,
  JOURNAL_VERSION,
  type FinishedLine,
  type Objective,
  type StudyLine,
} from './format.js';
import type { Journal } from './reader.js';
import type { RunConfig } from './config.js';
import type { LrRangeResult } from '../lr-range/index.js';
import { lockRunFolder, type RunLock } from './lock.js';
import { replayMap } from './trials.js';
import { ioProblem, JournalWriter, pathProblem, placeProblem } from './writer.js';

/** What a fresh run records about itself before its first trial. */
export interface RunHeader {
  readonly config: RunConfig;
  readonly objective: Objective;
  readonly space: StudyLine['space'];
  readonly strategy: string;
  readonly strategyOptions: Record<string, unknown>;
  /** Trials the run will record at most: sizes the free-space check. */
  readonly budget: number;
  /** The LR range test that set the LR bounds, if one ran. */
  readonly lrRange?: LrRangeResult;
}

/**
 * The journal of one search session, wired to the study: "asked" lines from the study's events, "finished" lines
 * from the evaluator the moment each trial ends (not when its generation ends, so a trial that finished is never
 * run again after a crash), an fsync before the user hears about a finished trial, and "done" at the end.
 * The study itself knows nothing of files. Only the main thread writes.
 */
export class RunJournal {
  private readonly asked = new Map<number, readonly number[]>();

  private constructor(
    readonly dir: string,
    private readonly writer: JournalWriter,
    /** Finished trials of earlier sessions, for the study to replay. */
    readonly replay: ReadonlyMap<number, ReplayedTrial>,
    /** Released by close(), or when the process exits. */
    private readonly lock: RunLock | undefined,
    /** Trials whose finished line names a checkpoint file (earlier sessions). */
    private readonly checkpointTrials: ReadonlySet<number> = new Set(),
  ) {}

  /**
   * Creates the run folder, takes its lock, writes its config and its journal; refuses a folder that already
   * holds a run or that another process is writing.
   */
  static create(dir: string, header: RunHeader, warn: (message: string) => void): RunJournal {
    createRunFolder(dir);
    const lock = lockRunFolder(dir, warn);
    try {
      preflightRunFolder(dir); // again, under the lock: another process may have started a run here meanwhile
      checkFreeSpace(dir, header);
      writeConfig(dir, header.config);
      const writer = new JournalWriter(join(dir, JOURNAL_FILE), 'ax', dir);
      const { config, objective, space, strategy, strategyOptions, lrRange } = header;
      writer.write({ v: JOURNAL_VERSION, type: 'study', config, objective, space, strategy, strategyOptions }, !lrRange);
      if (lrRange) writer.write({ type: 'lr-range', result: { ...lrRange } }, true);
      syncDir(dir);
      return new RunJournal(dir, writer, new Map(), lock);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /**
   * Continues a run whose lock the caller holds (taken before the journal was read, so that nothing was written
   * since): cuts a torn last line off, records the session and what changed, replays its trials.
   */
  static resume(
    dir: string,
    journal: Journal,
    config: RunConfig,
    changed: Record<string, { from: unknown; to: unknown }>,
    lock: RunLock,
  ): RunJournal {
    try {
      truncateSync(journal.file, journal.validBytes);
    } catch (e) {
      throw errors.outDir(dir, `cannot write ${JOURNAL_FILE}: ${ioProblem(e)}`);
    }
    // Also when nothing changed: config.json may have been missing (the reader then rebuilt it from the journal).
    writeConfig(dir, config);
    const writer = new JournalWriter(journal.file, 'a', dir);
    writer.write({ type: 'resumed', changed }, true);
    const saved = new Set(journal.lines.flatMap((l) => (l.type === 'finished' && l.checkpoint !== undefined ? [l.trial] : [])));
    return new RunJournal(dir, writer, replayMap(journal), lock, saved);
  }

  /** Wraps the caller's event handler: records asks, and makes finished trials durable before they are reported. */
  onEvent(next?: (e: StudyEvent) => void): (e: StudyEvent) => void {
    return (e) => {
      if (e.type === 'asked') {
        this.asked.set(e.trial, e.x);
        this.writer.write({
          type: 'asked',
          trial: e.trial,
          generation: e.generation,
          x: [...e.x],
          params: e.params,
          seed: e.seed,
          ...(e.segment ? { segment: e.segment } : {}),
          ...(e.parent !== undefined ? { parent: e.parent } : {}),
        });
      } else if (e.type === 'finished') {
        this.writer.sync();
      }
      next?.(e);
    };
  }

  /** The evaluator, recording each outcome as soon as it exists. Aborted trials did not run to their end: a resume runs them again. */
  evaluator(inner: Evaluator): Evaluator {
    const record = (trial: number, outcome: TrialOutcome) => {
      const x = this.asked.get(trial);
      if (!x) throw errors.internal(`trial ${trial} finished but was never asked`);
      this.asked.delete(trial);
      if (outcome.state === 'failed' && outcome.kind === 'aborted') return;
      // A trial that a later one continues (PBT: its request trains a segment) needs its checkpoint on disk for a
      // resume: written first, whole, so the finished line that names it never points at nothing. Other trials'
      // checkpoints are kept only if they become the best (the study says so: keepCheckpoint).
      const continued = segments.has(trial);
      segments.delete(trial);
      const checkpoint = continued && outcome.state === 'complete' && outcome.checkpoint ? this.saveCheckpoint(trial, outcome.checkpoint) : undefined;
      this.writer.writeJson(finishedJson(trial, x, outcome, checkpoint));
    };
    const segments = new Set<number>();
    const run: Evaluator['run'] = async (request, signal) => {
      if (request.segment) segments.add(request.number);
      const outcome = await inner.run(request, signal);
      record(request.number, outcome);
      return outcome;
    };
    // Everything but `run` is read through from the inner evaluator at each use (a remote evaluator's concurrency
    // grows as workers join), including members the Evaluator interface gains later.
    return new Proxy(inner, {
      get: (target, prop) => {
        if (prop === 'run') return run;
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }

  /** Keeps the checkpoint of a trial that became the best (the model `evotune export --model` takes away). */
  readonly keepCheckpoint = (trial: number, c: Checkpoint): void => {
    this.saveCheckpoint(trial, c);
  };

  private saveCheckpoint(trial: number, c: Checkpoint): string {
    const rel = checkpointPath(trial);
    try {
      mkdirSync(join(this.dir, CHECKPOINT_DIR), { recursive: true });
      writeCheckpointFile(join(this.dir, rel), c);
    } catch (e) {
      throw errors.journalWrite(this.dir, `checkpoint of trial ${trial}: ${ioProblem(e)}`);
    }
    return rel;
  }

  /** Deletes a checkpoint file no resume will read (its journal line stays: the file is named, not needed). */
  readonly releaseCheckpoint = (trial: number): void => {
    rmSync(join(this.dir, checkpointPath(trial)), { force: true });
  };

  /** A checkpoint an earlier session saved, for trials that continue from it (undefined: that trial saved none). */
  readonly loadCheckpoint = (trial: number): Checkpoint | undefined => {
    const file = join(this.dir, checkpointPath(trial));
    return this.checkpointTrials.has(trial) || existsSync(file) ? readCheckpointFile(file) : undefined;
  };

  done(s: StudySummary): void {
    const best = s.best && { value: s.best.value, trial: s.best.trial, params: s.best.params };
    this.writer.write(
      {
        type: 'done',
        stoppedBy: s.stoppedBy,
        trials: s.trials.length,
        failed: s.failed,
        ...(best ? { best } : {}),
        elapsedMs: Math.round(s.elapsedMs),
      },
      true,
    );
  }

  close(): void {
    try {
      this.writer.close();
    } finally {
      this.lock?.release();
    }
  }
}

/**
 * Checks, before anything expensive runs (an LR range test, the first trial), that a new run can be written to
 * `dir`, without creating anything yet (a search that then fails on a bad option leaves no empty folder behind):
 * the nearest existing folder on the path must be writable, and `dir` must not already hold a run.
 */
export function preflightRunFolder(dir: string): void {
  if (existsSync(join(dir, JOURNAL_FILE))) {
    throw errors.outDir(dir, `already holds a run (${JOURNAL_FILE}): resume it with --resume ${dir}, or choose another --out`);
  }
  const problem = placeProblem(dir);
  if (problem !== undefined) throw errors.outDir(dir, `cannot write there: ${problem}`);
}

/** Creates the run folder; refuses one that already holds a run. */
function createRunFolder(dir: string): void {
  preflightRunFolder(dir);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw errors.outDir(dir, `cannot create the folder: ${pathProblem(dir, e)}`);
  }
}

/** A rough upper bound of journal bytes per trial: an "asked" and a "finished" line, each with x and params. */
const bytesPerTrial = (dim: number) => 2 * (300 + 60 * dim);

function checkFreeSpace(dir: string, header: RunHeader): void {
  const needed = header.budget * bytesPerTrial(Object.keys(header.space).length) + (1 << 16);
  const s = statfsSync(dir);
  const free = s.bavail * s.bsize;
  if (free < needed) {
    throw errors.outDir(
      dir,
      `only ${(free / 1e6).toFixed(1)} MB free; the journal of ${header.budget} trials needs about ${(needed / 1e6).toFixed(1)} MB`,
    );
  }
}

/** Replaces config.json atomically (write aside, fsync, rename): a crash leaves the old or the new one, whole. */
function writeConfig(dir: string, config: RunConfig): void {
  const file = join(dir, CONFIG_FILE);
  const tmp = `${file}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`);
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (e) {
    throw errors.outDir(dir, `cannot write ${CONFIG_FILE}: ${ioProblem(e)}`);
  }
}

/** Makes the folder's new entries (config.json, journal.jsonl) survive a machine crash. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A finished trial as its journal line's JSON (a FinishedLine without `at`): reports as compact [step, value] pairs,
 * spliced in as text (reportsJson: most often formatted by the worker that ran the trial), then the name of the
 * checkpoint file written for it, if any.
 */
function finishedJson(trial: number, x: readonly number[], outcome: TrialOutcome, checkpointFile: string | undefined): string {
  // The checkpoint's arrays go to their own file (PBT), never into the journal.
  const { reports, ...rest } = outcome.state === 'complete' ? (({ checkpoint: _c, ...o }) => o)(outcome) : outcome;
  const line: Omit<FinishedLine, 'at' | 'reports' | 'checkpoint'> = { type: 'finished', trial, x: x as number[], ...rest };
  const head = JSON.stringify(line);
  const tail = `${reports && reports.length > 0 ? `,"reports":${reportsJson(reports)}` : ''}${checkpointFile ? `,"checkpoint":${JSON.stringify(checkpointFile)}` : ''}`;
  return tail === '' ? head : `${head.slice(0, -1)}${tail}}`;
}
