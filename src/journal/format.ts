import * as z from 'zod';

/**
 * The run folder's files and the journal's line format. A journal is JSON lines, append-only: one "study" line
 * first, then "asked" / "finished" per trial, "lr-range" when the LR range test ran, "resumed" at the start of
 * each resumed session and "done" when a session ends by itself. Readers must not depend on line order beyond
 * "study" first: a resumed run appends after whatever the previous session left.
 */
export const JOURNAL_VERSION = 1;
export const JOURNAL_FILE = 'journal.jsonl';
/** The search options of the run, in the --config format (usable as `evotune search --config`). */
export const CONFIG_FILE = 'config.json';
/** Training states trials returned (PBT continues from them; the best one is the model a user takes away). */
export const CHECKPOINT_DIR = 'checkpoints';
export const checkpointPath = (trial: number) => `${CHECKPOINT_DIR}/trial-${trial}.ckpt`;

const finite = z.number().finite();
const paramValue = z.union([finite, z.string(), z.boolean()]);
const metricValue = z.union([z.number(), z.string(), z.boolean(), z.null()]);
const failureKind = z.enum(['error', 'nan', 'infinite', 'invalid', 'timeout', 'crash', 'oom', 'aborted']);
const trialNumber = z.int().min(0);
const at = z.string();

/** What is optimised, as the run recorded it: resume checks that it is still the same thing. */
const objective = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('task'), task: z.string() }),
  z.strictObject({ kind: z.literal('module'), url: z.string() }),
  z.strictObject({ kind: z.literal('function'), name: z.string() }),
]);
export type Objective = z.infer<typeof objective>;

const studyLine = z.object({
  v: z.literal(JOURNAL_VERSION),
  type: z.literal('study'),
  at,
  /** The options as written to config.json. */
  config: z.record(z.string(), z.unknown()),
  objective,
  /** The resolved space (after --lr-bounds): what trial x's decode against. */
  space: z.record(z.string(), z.unknown()),
  strategy: z.string(),
  strategyOptions: z.record(z.string(), z.unknown()),
});

const resumedLine = z.object({
  type: z.literal('resumed'),
  at,
  /** Options that differ from the previous session, e.g. { budget: { from: 200, to: 400 } }. */
  changed: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })),
});

const askedLine = z.object({
  type: z.literal('asked'),
  at,
  trial: trialNumber,
  generation: z.int().min(0),
  x: z.array(finite),
  params: z.record(z.string(), paramValue),
  seed: z.int(),
  /** PBT: the resource segment the trial trains, and the trial whose checkpoint it starts from. */
  segment: z.object({ from: finite, to: finite }).optional(),
  parent: trialNumber.optional(),
});

/** Intermediate values as [step, value] pairs, in the order reported. */
const reportPairs = z.array(z.tuple([finite, finite]));
const finishedBase = {
  type: z.literal('finished'),
  at,
  trial: trialNumber,
  x: z.array(finite),
  durationMs: z.number(),
  worker: z.string(),
  reports: reportPairs.optional(),
  /** The trial's checkpoint file, relative to the run folder (written before this line). */
  checkpoint: z.string().optional(),
};
const finishedLine = z.discriminatedUnion('state', [
  z.object({ ...finishedBase, state: z.literal('complete'), value: finite, metrics: z.record(z.string(), metricValue) }),
  /** Stopped by its scheduler at `step`, where it reported `value`. */
  z.object({ ...finishedBase, state: z.literal('pruned'), value: finite, step: finite, metrics: z.record(z.string(), metricValue) }),
  z.object({ ...finishedBase, state: z.literal('failed'), kind: failureKind, message: z.string() }),
]);

/** The LR range test's result as it returned it (curve, suggestion, bounds, rule). */
const lrRangeLine = z.object({ type: z.literal('lr-range'), at, result: z.record(z.string(), z.unknown()) });

const doneLine = z.object({
  type: z.literal('done'),
  at,
  stoppedBy: z.enum(['budget', 'time', 'target', 'exhausted', 'stopped']),
  trials: z.int().min(0),
  failed: z.int().min(0),
  best: z.object({ value: finite, trial: trialNumber, params: z.record(z.string(), paramValue) }).optional(),
  elapsedMs: z.number(),
});

export const journalLineSchema = z.union([studyLine, resumedLine, askedLine, finishedLine, lrRangeLine, doneLine]);

export type StudyLine = z.infer<typeof studyLine>;
export type ResumedLine = z.infer<typeof resumedLine>;
export type AskedLine = z.infer<typeof askedLine>;
export type FinishedLine = z.infer<typeof finishedLine>;
export type LrRangeLine = z.infer<typeof lrRangeLine>;
export type DoneLine = z.infer<typeof doneLine>;
export type JournalLine = z.infer<typeof journalLineSchema>;

/** A line as handed to the writer, which stamps it with the time. */
export type UnstampedLine = JournalLine extends infer L ? (L extends { at: string } ? Omit<L, 'at'> : never) : never;
