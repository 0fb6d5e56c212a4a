/**
 * What a study and its workers exchange through Redis, and the names they meet under. Everything read back from
 * Redis is validated here: another process wrote it.
 */
import * as z from 'zod';
import { BACKENDS } from '../../options.js';
import type { FailureKind } from '../types.js';

/** Prefix of every key evotune writes, so that a Redis shared with other programs stays tidy. */
export const PREFIX = 'evotune';

/** One queue per study, so that several studies share a Redis without seeing each other's trials. */
export const queueName = (study: string) => `trials-${study}`;

/** A trial's job id: adding the same trial twice keeps one job (BullMQ drops a job whose id exists). */
export const trialJobId = (study: string, trial: number) => `${study}-${trial}`;

/** The trial number of one of this study's job ids, or undefined for any other id. */
export function trialOfJob(study: string, jobId: string | undefined): number | undefined {
  if (jobId === undefined || !jobId.startsWith(`${study}-`)) return undefined;
  const n = Number(jobId.slice(study.length + 1));
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Text that came through Redis, safe to print: control characters (terminal escapes) become "?". */
export const printable = (text: string) => text.replace(/\p{Cc}/gu, '?');

/** Times a trial whose worker vanished is put back on the queue before it fails as a crash. */
export const MAX_RETAKES = 2;

const sourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('module'), url: z.string() }),
  z.object({ kind: z.literal('task'), task: z.string(), backend: z.enum(BACKENDS) }),
]);

/** A study's entry in the roster: what its workers load and how they run it; "ended" once it closed. */
export const studyEntrySchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('open'),
    source: sourceSchema,
    trialTimeoutMs: z.number().positive().optional(),
    maxHeapMb: z.int().min(16).optional(),
    host: z.string(),
  }),
  z.object({ state: z.literal('ended') }),
]);
export type StudyEntry = z.infer<typeof studyEntrySchema>;
export type OpenStudy = Extract<StudyEntry, { state: 'open' }>;

/** A worker's entry in the roster: what it serves (loading or ready), and what it refused and why. */
export const workerEntrySchema = z.object({
  host: z.string(),
  pid: z.int(),
  slots: z.int().min(1),
  serving: z.array(z.object({ study: z.string(), state: z.enum(['loading', 'ready']), backend: z.string().optional() })),
  refused: z.array(z.object({ study: z.string(), reason: z.string() })),
});
export type WorkerEntry = z.infer<typeof workerEntrySchema>;

const paramValue = z.union([z.number(), z.string(), z.boolean()]);

const pruneRuleSchema = z.object({ checks: z.array(z.object({ step: z.number().finite(), threshold: z.number() })).max(10_000) });

export const trialRequestSchema = z.object({
  number: z.int().min(0),
  params: z.record(z.string(), paramValue),
  seed: z.int().min(0),
  prune: pruneRuleSchema.optional(),
});

// A Record over FailureKind: adding a kind to the Evaluator types without adding it here fails the build.
const failureKinds: Record<FailureKind, true> = { error: true, nan: true, infinite: true, invalid: true, timeout: true, crash: true, oom: true, aborted: true };

const reportsSchema = z.array(z.object({ step: z.number().finite(), value: z.number().finite() })).readonly();
const ended = { durationMs: z.number(), worker: z.string(), reports: reportsSchema.optional() };
const outcomeSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('complete'), value: z.number(), metrics: z.record(z.string(), paramValue), ...ended }),
  z.object({ state: z.literal('pruned'), value: z.number(), step: z.number().finite(), metrics: z.record(z.string(), paramValue), ...ended, reports: reportsSchema }),
  z.object({ state: z.literal('failed'), kind: z.enum(Object.keys(failureKinds) as [FailureKind, ...FailureKind[]]), message: z.string(), ...ended }),
]);

/** What a worker returns for a trial: its outcome, and which start of the job produced it (1 unless retaken). */
export const trialResultSchema = z.object({ outcome: outcomeSchema, attempt: z.int().min(1) });
export type TrialResult = z.infer<typeof trialResultSchema>;
