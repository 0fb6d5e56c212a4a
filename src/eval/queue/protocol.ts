/**
 * What a study and its workers exchange through Redis, and the names they meet under. Everything read back from
 * Redis is validated here: another process wrote it.
 */
import * as z from 'zod';
import { BACKENDS } from '../../options.js';
import { errors } from '../../errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../checkpoint-codec.js';
import type { Checkpoint, FailureKind, TrialOutcome, TrialRequest } from '../types.js';

/** Prefix of every key evotune writes, so that a Redis shared with other programs stays tidy. */
export const PREFIX = 'evotune';

/** One queue per study, so that several studies share a Redis without seeing each other's trials. */
export const queueName = (study: string) => `trials-${study}`;

/** A trial's job id: adding the same trial twice keeps one job (BullMQ drops a job whose id exists). */
export const trialJobId = (study: string, trial: number) => `${study}-${trial}`;

/** A group's job id: its first member's number after a "g", so that it can never be a trial's. */
export const groupJobId = (study: string, members: readonly number[]) => `${study}-g${members[0]}`;

/** The trial number of one of this study's job ids, or undefined for any other id. */
export function trialOfJob(study: string, jobId: string | undefined): number | undefined {
  if (jobId === undefined || !jobId.startsWith(`${study}-`)) return undefined;
  const n = Number(jobId.slice(study.length + 1));
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * The Redis connection name of a worker process (CLIENT SETNAME). Redis drops a connection the moment its process
 * dies, so a study counts a worker only while this name is connected: a killed worker stops counting at once,
 * not when its roster entry expires.
 */
export const workerConnectionName = (workerId: string) => `evotune-worker-${workerId.replace(/[^\w.-]/g, '_')}`;

/** Text that came through Redis, safe to print: control characters (terminal escapes) become "?". */
export const printable = (text: string) => text.replace(/\p{Cc}/gu, '?');

/** Times a trial whose worker vanished is put back on the queue before it fails as a crash. */
export const MAX_RETAKES = 2;

/** A study's id: what its evaluator draws (6 random bytes in hex). Ids read from Redis are checked against it. */
export const STUDY_ID = /^[0-9a-f]{12}$/;

// Lengths are bounded: a roster entry is untrusted input that ends up in logs and file-system calls.
const sourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('module'), url: z.string().min(1).max(4096) }),
  z.object({ kind: z.literal('task'), task: z.string().min(1).max(4096), backend: z.enum(BACKENDS) }),
]);

/** A study's entry in the roster: what its workers load and how they run it; "ended" once it closed. */
export const studyEntrySchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('open'),
    source: sourceSchema,
    trialTimeoutMs: z.number().positive().finite().optional(),
    maxHeapMb: z
      .int()
      .min(16)
      .max(1 << 20)
      .optional(),
    host: z.string().max(256),
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
  segment: z.object({ from: z.number().finite(), to: z.number().finite() }).optional(),
  /** The checkpoint to start from, as base64 of src/eval/checkpoint-codec.ts's bytes (JSON cannot carry typed arrays). */
  restore: z.string().optional(),
  wantCheckpoint: z.boolean().optional(),
});
export type WireRequest = z.infer<typeof trialRequestSchema>;

/** Most members a group job may carry: a worker refuses a larger one (a hostile job must not hold a slot for ever). */
export const MAX_GROUP_MEMBERS = 64;

/** A group's job: trials whose group key agrees (eval/grouping.ts), trained by one worker as one program. */
export const groupRequestSchema = z.object({
  members: z
    .array(trialRequestSchema)
    .min(2)
    .max(MAX_GROUP_MEMBERS)
    .refine((m) => new Set(m.map((r) => r.number)).size === m.length, 'member trial numbers must differ'),
});

/** What a job carries: one trial, or a group (told apart by their fields, never by the job's name: both are untrusted). */
export const jobSchema = z.union([trialRequestSchema, groupRequestSchema]);

/** Largest checkpoint a Redis job carries (Redis holds whole jobs in memory; a study of many members adds up). */
export const CHECKPOINT_LIMIT_BYTES = 64 * 1024 * 1024;

/** A checkpoint as a job or result carries it; above the limit, a clear error instead of a stalled Redis. */
export function checkpointToWire(c: Checkpoint, trial: number): string {
  const bytes = encodeCheckpoint(c);
  if (bytes.length > CHECKPOINT_LIMIT_BYTES) {
    throw errors.executor(
      `the checkpoint of trial ${trial} is ${(bytes.length / 1e6).toFixed(1)} MB, over the ${CHECKPOINT_LIMIT_BYTES / 1e6} MB a Redis job may carry`,
      'run PBT on local threads (no --executor), or use a smaller model',
    );
  }
  return bytes.toString('base64');
}

export const checkpointFromWire = (wire: string, trial: number): Checkpoint =>
  decodeCheckpoint(Buffer.from(wire, 'base64'), (problem) => errors.executor(`the checkpoint of trial ${trial} that came through Redis ${problem}`));

/** A request as a job carries it. */
export function requestToWire(r: TrialRequest): WireRequest {
  const { restore, ...rest } = r;
  return { ...rest, params: { ...r.params }, ...(restore ? { restore: checkpointToWire(restore, r.number) } : {}) } as WireRequest;
}

export function requestFromWire(w: WireRequest): TrialRequest {
  const { restore, ...rest } = w;
  return { ...rest, ...(restore !== undefined ? { restore: checkpointFromWire(restore, w.number) } : {}) };
}

// A Record over FailureKind: adding a kind to the Evaluator types without adding it here fails the build.
const failureKinds: Record<FailureKind, true> = {
  error: true,
  nan: true,
  infinite: true,
  invalid: true,
  timeout: true,
  crash: true,
  oom: true,
  aborted: true,
};

const reportsSchema = z.array(z.object({ step: z.number().finite(), value: z.number().finite() })).readonly();
const ended = { durationMs: z.number(), worker: z.string(), reports: reportsSchema.optional() };
const outcomeSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('complete'),
    value: z.number(),
    metrics: z.record(z.string(), paramValue),
    ...ended,
    checkpoint: z.string().optional(),
  }),
  z.object({
    state: z.literal('pruned'),
    value: z.number(),
    step: z.number().finite(),
    metrics: z.record(z.string(), paramValue),
    ...ended,
    reports: reportsSchema,
  }),
  z.object({ state: z.literal('failed'), kind: z.enum(Object.keys(failureKinds) as [FailureKind, ...FailureKind[]]), message: z.string(), ...ended }),
]);

/** What a worker returns for a trial: its outcome, and which start of the job produced it (1 unless retaken). */
export const trialResultSchema = z.object({ outcome: outcomeSchema, attempt: z.int().min(1) });
export type TrialResult = z.infer<typeof trialResultSchema>;

/** What a worker returns for a group: one outcome per member, in the job's order. */
export const groupResultSchema = z.object({ outcomes: z.array(outcomeSchema), attempt: z.int().min(1) });
export type GroupResult = z.infer<typeof groupResultSchema>;

/** An outcome as a result carries it (its checkpoint as base64), and back. */
export function outcomeToWire(o: TrialOutcome, trial: number): TrialResult['outcome'] {
  if (o.state !== 'complete' || !o.checkpoint) return o as TrialResult['outcome'];
  return { ...o, checkpoint: checkpointToWire(o.checkpoint, trial) };
}

export function outcomeFromWire(o: TrialResult['outcome'], trial: number): TrialOutcome {
  if (o.state !== 'complete' || o.checkpoint === undefined) return o as TrialOutcome;
  return { ...o, checkpoint: checkpointFromWire(o.checkpoint, trial) };
}
