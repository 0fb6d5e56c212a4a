import { didYouMean } from './util/suggest.js';

/**
 * Every error evotune raises on purpose comes from a factory here, with a stable code.
 * The CLI maps `kind: 'usage'` to exit code 2 (bad input) and `kind: 'runtime'` to exit code 1,
 * and prints `message` (plus `hint`) as one line instead of a stack trace.
 */
export type ErrorKind = 'usage' | 'runtime';

export type ErrorCode =
  | 'E_SPACE'
  | 'E_OPTION'
  | 'E_STRATEGY_OPTION'
  | 'E_UNKNOWN_STRATEGY'
  | 'E_UNKNOWN_TASK'
  | 'E_UNKNOWN_BACKEND'
  | 'E_BACKEND'
  | 'E_MODULE'
  | 'E_CONFIG'
  | 'E_RESUME'
  | 'E_OUT_DIR'
  | 'E_RUN'
  | 'E_RUN_LOCKED'
  | 'E_LR_BOUNDS'
  | 'E_LR_RANGE'
  | 'E_TASK'
  | 'E_ALL_FAILED'
  | 'E_INTERRUPTED'
  | 'E_EXECUTOR'
  | 'E_SCHEDULER'
  | 'E_UNKNOWN_SCHEDULER'
  | 'E_REPORT'
  | 'E_CHECKPOINT'
  | 'E_MODEL'
  | 'E_INTERNAL';

export class EvotuneError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly hint?: string;
  constructor(code: ErrorCode, kind: ErrorKind, message: string, hint?: string) {
    super(message);
    this.name = 'EvotuneError';
    this.code = code;
    this.kind = kind;
    this.hint = hint;
  }
}

export const isEvotuneError = (e: unknown): e is EvotuneError => e instanceof EvotuneError;

/** A short, printable description of any thrown value. */
export function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** How a value looks in an error message: strings quoted, everything else as JSON. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export const errors = {
  space: (param: string, problem: string) => new EvotuneError('E_SPACE', 'usage', `space: parameter "${param}": ${problem}`),
  spaceShape: (problem: string) => new EvotuneError('E_SPACE', 'usage', `space: ${problem}`),
  option: (field: string, expected: string, got: unknown, hint?: string) =>
    new EvotuneError('E_OPTION', 'usage', `${field}: expected ${expected}, got ${show(got)}`, hint),
  optionConflict: (message: string, hint?: string) => new EvotuneError('E_OPTION', 'usage', message, hint),
  strategyOption: (strategy: string, field: string, expected: string, got: unknown) =>
    new EvotuneError('E_STRATEGY_OPTION', 'usage', `strategy "${strategy}" option "${field}": expected ${expected}, got ${show(got)}`),
  unknownStrategy: (name: string, known: readonly string[]) =>
    new EvotuneError('E_UNKNOWN_STRATEGY', 'usage', `unknown strategy ${show(name)}${didYouMean(name, known)}; expected one of: ${known.join(', ')}`),
  unknownTask: (name: string, known: readonly string[]) =>
    new EvotuneError(
      'E_UNKNOWN_TASK',
      'usage',
      `unknown task ${show(name)}${didYouMean(name, known)}; expected one of: ${known.join(', ')}, or a path to a task module (./my-task.mjs)`,
    ),
  unknownBackend: (name: string, known: readonly string[]) =>
    new EvotuneError('E_UNKNOWN_BACKEND', 'usage', `unknown backend ${show(name)}${didYouMean(name, known)}; expected one of: ${known.join(', ')}`),
  backendUnavailable: (name: string, problem: string, hint?: string) =>
    new EvotuneError('E_BACKEND', 'usage', `backend ${show(name)} is not available: ${problem}`, hint),
  module: (what: string, problem: string, hint?: string) => new EvotuneError('E_MODULE', 'usage', `${what}: ${problem}`, hint),
  config: (file: string, problem: string) => new EvotuneError('E_CONFIG', 'usage', `config ${file}: ${problem}`),
  resume: (dir: string, problem: string, hint?: string) => new EvotuneError('E_RESUME', 'usage', `resume ${dir}: ${problem}`, hint),
  outDir: (dir: string, problem: string) => new EvotuneError('E_OUT_DIR', 'usage', `--out ${dir}: ${problem}`),
  /** A run folder (written by --out) that cannot be read: no journal, a corrupt line, a newer format. */
  runFolder: (dir: string, problem: string, hint?: string) => new EvotuneError('E_RUN', 'usage', `run folder ${dir}: ${problem}`, hint),
  /** Another process holds the run folder's lock: one writer per run. */
  runLocked: (dir: string, problem: string, hint?: string) => new EvotuneError('E_RUN_LOCKED', 'usage', `run folder ${dir} ${problem}`, hint),
  /** The journal stopped being writable during a run (disk full, ...): a failure while running, resumable. */
  journalWrite: (dir: string, problem: string) =>
    new EvotuneError(
      'E_OUT_DIR',
      'runtime',
      `journal in ${dir}: cannot write: ${problem}`,
      `fix it, then resume with: evotune search --resume ${dir}`,
    ),
  lrBounds: (problem: string, hint?: string) => new EvotuneError('E_LR_BOUNDS', 'usage', `--lr-bounds: ${problem}`, hint),
  /** The LR range test ran but its curve cannot be read (e.g. NaN from the first steps). */
  lrRange: (problem: string, hint?: string) => new EvotuneError('E_LR_RANGE', 'runtime', `LR range test: ${problem}`, hint),
  task: (task: string, problem: string) => new EvotuneError('E_TASK', 'runtime', `task ${task}: ${problem}`),
  allFailed: (count: number, lastTrial: number, lastReason: string) =>
    new EvotuneError(
      'E_ALL_FAILED',
      'runtime',
      `stopped early: ${count} trials in a row failed, the last (trial ${lastTrial}) with ${lastReason}`,
      'check that the fitness module or task runs on its own; the trials that ran are recorded (--max-consecutive-failures 0 never stops)',
    ),
  interrupted: (resumeHint?: string) => new EvotuneError('E_INTERRUPTED', 'runtime', 'search interrupted', resumeHint),
  /** A fitness called ctx.report wrongly: the trial fails with this message (kind 'error'). */
  fitnessReport: (problem: string) => new EvotuneError('E_REPORT', 'runtime', `ctx.report: ${problem}`),
  schedulerOption: (scheduler: string, field: string, expected: string, got: unknown, hint?: string) =>
    new EvotuneError('E_SCHEDULER', 'usage', `scheduler "${scheduler}" option "${field}": expected ${expected}, got ${show(got)}`, hint),
  scheduler: (problem: string, hint?: string) => new EvotuneError('E_SCHEDULER', 'usage', problem, hint),
  unknownScheduler: (name: string, known: readonly string[]) =>
    new EvotuneError('E_UNKNOWN_SCHEDULER', 'usage', `unknown scheduler ${show(name)}; expected one of: ${known.join(', ')}`),
  executor: (problem: string, hint?: string) => new EvotuneError('E_EXECUTOR', 'runtime', problem, hint),
  /** A checkpoint file (or a job's encoded checkpoint) that cannot be used: missing, truncated, corrupt, another task's. */
  checkpoint: (file: string, problem: string, hint?: string) => new EvotuneError('E_CHECKPOINT', 'usage', `checkpoint ${file}: ${problem}`, hint),
  /** A saved model's files (model.json + weights) that cannot be read: missing, not JSON, truncated. */
  model: (file: string, problem: string, hint?: string) => new EvotuneError('E_MODEL', 'usage', `model ${file}: ${problem}`, hint),
  internal: (problem: string) => new EvotuneError('E_INTERNAL', 'runtime', `internal error: ${problem}`),
};
