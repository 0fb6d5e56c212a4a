/**
 * The run folder's side of a search: continuing a run (its options merged with the ones given now, under its lock)
 * and opening the journal a session writes. src/journal/ stays pure persistence; the search's rules live here.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errors, show } from '../errors.js';
import { parseSearchOptions, searchOptionsSchema } from '../options.js';
import { recorded, RESUMABLE_CHANGES, runConfig, sameJson, withAbsolutePaths, type RunConfig } from '../journal/config.js';
import { CONFIG_FILE, JOURNAL_FILE, type Objective } from '../journal/format.js';
import { lockRunFolder, type RunLock } from '../journal/lock.js';
import { readJournal, type Journal } from '../journal/reader.js';
import { RunJournal } from '../journal/run.js';
import type { LrRangeResult } from '../lr-range/index.js';
import type { PreparedSearch, SearchInput } from './types.js';

/** A run to continue: its journal, and the options this session runs with. */
export interface ResumePlan {
  readonly dir: string;
  readonly journal: Journal;
  /** The run's config with the allowed changes applied, and `out` set to the run folder. */
  readonly options: RunConfig;
  readonly changed: Record<string, { from: unknown; to: unknown }>;
  /** The LR range test the run recorded: reused, so that the LR bounds (hence the trials) stay the same. */
  readonly lrRange?: LrRangeResult;
}

/**
 * Reads a run folder and merges the options given now over its config. Options that decide the trials must be
 * the same (or not given); only RESUMABLE_CHANGES may differ. Paths given are relative to the current folder.
 */
export function planResume(dir: string, input: SearchInput): ResumePlan {
  const journal = readJournal(dir);
  const saved = validConfig(dir, journal.config);
  const { objective } = journal.study;
  if (objective.kind === 'function' && typeof input.fitness !== 'function') {
    throw errors.resume(
      dir,
      `the run optimised a function passed in code (${objective.name})`,
      'resume it from code: search({ resume: dir, fitness: theSameFunction })',
    );
  }
  const { out, ...rest } = withAbsolutePaths(givenOptions(input), process.cwd());
  if (typeof out === 'string' && resolve(out) !== resolve(dir)) {
    throw errors.resume(dir, `"out" is ${show(out)}: a resumed run keeps writing to its own folder`, 'leave out --out when resuming');
  }
  const changed: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, given] of Object.entries(rest)) {
    // Compared and recorded as the run folder keeps it: a password never reaches the journal.
    const value = recorded(key, given);
    if (value === undefined || sameJson(saved[key], value)) continue;
    if (!RESUMABLE_CHANGES.has(key)) {
      throw errors.resume(
        dir,
        `"${key}" is ${show(value)} but the run used ${show(saved[key])}`,
        `only ${[...RESUMABLE_CHANGES].map((k) => `"${k}"`).join(', ')} may change when resuming; start a new run in another folder to change "${key}"`,
      );
    }
    changed[key] = { from: saved[key], to: value };
  }
  const lrLine = journal.lines.find((l) => l.type === 'lr-range');
  const lrRange = lrLine?.type === 'lr-range' ? (lrLine.result as unknown as LrRangeResult) : undefined;
  return { dir, journal, options: { ...saved, ...rest, out: dir }, changed, ...(lrRange ? { lrRange } : {}) };
}

/** A resume plan made under the run folder's lock: no other process can write the run until it is released. */
export interface LockedResumePlan extends ResumePlan {
  readonly lock: RunLock;
}

/**
 * Takes the run folder's lock, then reads it (reading first could miss lines a process still running appends, and
 * the resume would cut them off). Refuses a run another process is writing.
 */
export function lockAndPlanResume(dir: string, input: SearchInput, warn: (message: string) => void): LockedResumePlan {
  if (!existsSync(join(dir, JOURNAL_FILE))) readJournal(dir); // the reader's message, before a lock file appears in a folder that is no run
  const lock = lockRunFolder(dir, warn);
  try {
    return { ...planResume(dir, input), lock };
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** The serialisable search options in an input (no functions, hooks or signals): what a resume compares. */
export function givenOptions(input: SearchInput): Record<string, unknown> {
  const source = input as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(searchOptionsSchema.def.shape)) {
    const v = source[key];
    if (v === undefined || typeof v === 'function') continue;
    out[key] = v instanceof URL ? v.href : v;
  }
  return out;
}

function validConfig(dir: string, config: RunConfig): RunConfig {
  try {
    parseSearchOptions(config);
  } catch (e) {
    throw errors.runFolder(dir, `${CONFIG_FILE}: ${(e as Error).message}`);
  }
  return config;
}

export const objectiveOf = (source: PreparedSearch['source']): Objective =>
  source.kind === 'function'
    ? { kind: 'function', name: source.fn.name || 'anonymous' }
    : source.kind === 'module'
      ? { kind: 'module', url: source.url }
      : { kind: 'task', task: source.task };

/**
 * The journal of a search session: a new run with `out`, the run's own when resuming, none without either.
 * `input` supplies what the validated options leave out: a space passed as an object.
 */
export function openJournal(prepared: PreparedSearch, plan: LockedResumePlan | undefined, input: SearchInput): RunJournal | undefined {
  const objective = objectiveOf(prepared.source);
  const spaceObject = typeof input.space === 'object' ? { space: input.space } : {};
  const config = runConfig({ ...prepared.options, ...spaceObject }, prepared.strategyName);
  if (plan) {
    checkSameStudy(plan, prepared, objective);
    return RunJournal.resume(plan.dir, plan.journal, config, plan.changed, plan.lock);
  }
  const { out, budget } = prepared.options;
  if (out === undefined) return undefined;
  const header = {
    config,
    objective,
    space: prepared.space,
    strategy: prepared.strategyName,
    strategyOptions: prepared.strategy.options,
    budget,
    ...(prepared.lrRange ? { lrRange: prepared.lrRange } : {}),
  };
  return RunJournal.create(out, header, (w) => input.onWarning?.(w));
}

/** What resolves from the options (the objective, the space as read from its file, strategy options) must match too. */
function checkSameStudy(plan: ResumePlan, prepared: PreparedSearch, objective: Objective): void {
  const { study } = plan.journal;
  const fail = (problem: string, hint?: string) => {
    throw errors.resume(plan.dir, problem, hint);
  };
  // A function's name is only a label (wrappers and arrows rename it): what it computes cannot be compared.
  const same = study.objective.kind === 'function' ? objective.kind === 'function' : sameJson(study.objective, objective);
  if (!same) {
    fail(`the run optimised ${describeObjective(study.objective)}, not ${describeObjective(objective)}`);
  }
  if (!sameJson(study.space, prepared.space))
    fail('the space differs from the one the run searched (was the space file edited?)', 'restore the space file, or start a new run');
  if (study.strategy !== prepared.strategyName || !sameJson(study.strategyOptions, prepared.strategy.options)) {
    fail(`the strategy or its options differ from the run's (${study.strategy} ${JSON.stringify(study.strategyOptions)})`);
  }
}

const describeObjective = (o: Objective) =>
  o.kind === 'task' ? `task ${o.task}` : o.kind === 'module' ? `fitness module ${o.url}` : `function ${o.name}`;
