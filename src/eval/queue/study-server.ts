import { WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { describe } from '../../errors.js';
import { PoolEvaluator } from '../pool.js';
import type { TrialOutcome, TrialRequest } from '../types.js';
import { isConnectionError } from './connection.js';
import {
  groupRequestSchema,
  MAX_RETAKES,
  outcomeToWire,
  PREFIX,
  printable,
  queueName,
  requestFromWire,
  trialOfJob,
  trialRequestSchema,
  type GroupResult,
  type OpenStudy,
  type TrialResult,
} from './protocol.js';
import type { Slots } from './slots.js';
import { within } from './timing.js';

/** A stopping server gives the results of its last trials this long to reach Redis, which may be unreachable. */
const DELIVER_MS = 3_000;

export type ServerEvent =
  | { readonly type: 'started'; readonly study: string; readonly trial: number; readonly attempt: number }
  | { readonly type: 'finished'; readonly study: string; readonly trial: number; readonly outcome: TrialOutcome }
  | { readonly type: 'problem'; readonly study: string; readonly message: string };

export interface ServerOptions {
  readonly redis: Redis;
  /** The worker's trial slots, shared with the other studies it serves. */
  readonly slots: Slots;
  /** Names this worker in each outcome (host:pid), so that a journal shows which machine ran a trial. */
  readonly workerId: string;
  /** A trial whose worker stops renewing its lock for this long is put back on the queue (BullMQ stall check). */
  readonly stallMs: number;
  readonly report: (event: ServerEvent) => void;
  /** The server cannot go on (its pool broke): the worker stops serving the study. */
  readonly onBroken: (reason: string) => void;
}

/**
 * Serves one study on this worker: a pool of threads that loaded the study's fitness source -- the same pool and
 * worker code as a local search -- fed by a BullMQ worker on the study's queue. A trial's own failure is a result
 * like any other; a trial this worker cannot finish goes back to the queue for another worker, at once when this
 * worker hands it back, or after the stall check when the worker was lost.
 */
export class StudyServer {
  private readonly pool: PoolEvaluator;
  private bull: Worker | undefined;
  /** Aborted to stop the running trials: handed back to the queue, or dropped with the study. */
  private readonly interrupt = new AbortController();
  private dropped = false;
  private readonly reported = new Set<string>();
  private stopped: Promise<void> | undefined;
  /** Trials in (or waiting for) a slot: what a finishing stop waits for. */
  private readonly computing = new Set<Promise<unknown>>();

  constructor(
    readonly study: string,
    entry: OpenStudy,
    private readonly opts: ServerOptions,
  ) {
    this.pool = new PoolEvaluator({
      source: entry.source,
      workers: opts.slots.size,
      trialTimeoutMs: entry.trialTimeoutMs,
      maxHeapMb: entry.maxHeapMb,
    });
  }

  /** Loading its fitness source, or taking trials. */
  get state(): 'loading' | 'ready' {
    return this.bull ? 'ready' : 'loading';
  }

  get backend(): string | undefined {
    const b = this.pool.info().backend;
    return typeof b === 'string' ? b : undefined;
  }

  /** Loads the source in every thread, then takes the study's trials. Rejects if the source cannot load. */
  async start(): Promise<void> {
    await this.pool.warm();
    if (this.stopped) return;
    this.bull = new Worker<unknown, TrialResult | GroupResult>(queueName(this.study), (job, token) => this.process(job, token), {
      connection: this.opts.redis,
      prefix: PREFIX,
      concurrency: this.opts.slots.size,
      lockDuration: this.opts.stallMs,
      stalledInterval: this.opts.stallMs,
      maxStalledCount: MAX_RETAKES,
    });
    this.bull.on('error', (e) => {
      // Connection errors are reported once per outage by the worker's connection watch.
      if (isConnectionError(e) || this.dropped) return;
      const message = explain(this.study, describe(e));
      // BullMQ may report one failure more than once (it retries the command).
      if (this.reported.has(message)) return;
      this.reported.add(message);
      this.opts.report({ type: 'problem', study: this.study, message });
    });
  }

  /**
   * A job is one trial, or a group of trials (eval/queue/evaluator.ts) that one slot trains as one program. Its data
   * is untrusted: a malformed job is refused (it fails, and the worker logs why) and the worker goes on.
   */
  private async process(job: Job<unknown, TrialResult | GroupResult>, token: string | undefined): Promise<TrialResult | GroupResult> {
    const isGroup = typeof job.data === 'object' && job.data !== null && 'members' in job.data;
    const parsed = isGroup ? groupRequestSchema.safeParse(job.data) : trialRequestSchema.safeParse(job.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const why = `malformed ${isGroup ? 'group' : 'trial'} request (${issue?.path.join('.') || 'value'}: ${issue?.message ?? 'invalid'})`;
      const message = printable(`job ${String(job.id).slice(0, 80)} refused: ${why}`.slice(0, 300));
      this.opts.report({ type: 'problem', study: this.study, message });
      throw new Error(why.slice(0, 300));
    }
    const data = parsed.data;
    const requests = 'members' in data ? data.members.map(requestFromWire) : [requestFromWire(data)];
    const attempt = job.attemptsStarted;
    const run =
      requests.length === 1
        ? async () => [await this.pool.run(requests[0]!, this.interrupt.signal)]
        : () => this.pool.runGroup(requests, this.interrupt.signal);
    const computing = this.compute(requests, attempt, run);
    this.computing.add(computing);
    const outcomes = await computing.finally(() => this.computing.delete(computing));
    // An interrupted trial did not run to its end: it is no result, and must not reach the study as one.
    if (outcomes === undefined || this.interrupt.signal.aborted) return await this.handBack(job, token);
    const wire = requests.map((r, i) => {
      const outcome = outcomes[i]!;
      this.opts.report({ type: 'finished', study: this.study, trial: r.number, outcome });
      return outcomeToWire({ ...outcome, worker: `${this.opts.workerId}/${outcome.worker}` }, r.number);
    });
    return 'members' in data ? { outcomes: wire, attempt } : { outcome: wire[0]!, attempt };
  }

  /** Runs a job's trials in one slot: their outcomes, or undefined when interrupted or the pool broke (hand it back). */
  private async compute(requests: readonly TrialRequest[], attempt: number, run: () => Promise<TrialOutcome[]>): Promise<TrialOutcome[] | undefined> {
    await this.opts.slots.acquire();
    try {
      if (this.interrupt.signal.aborted) return undefined;
      for (const r of requests) this.opts.report({ type: 'started', study: this.study, trial: r.number, attempt });
      return await run();
    } catch (e) {
      // The pool broke (its threads cannot be replaced): leave this job, and the study, to other workers.
      if (!this.interrupt.signal.aborted) this.opts.onBroken(describe(e));
      return undefined;
    } finally {
      this.opts.slots.release();
    }
  }

  /** Puts the job back at the head of the queue, where another worker takes it up (BullMQ's manual pattern). */
  private async handBack(job: Job, token: string | undefined): Promise<never> {
    if (!this.dropped) await job.moveToWait(token);
    throw new WaitingError();
  }

  /** Stops the running trials and hands them back to the queue; with stop('finish'), a worker stops at once. */
  handBackAll(): void {
    this.interrupt.abort();
  }

  /**
   * 'finish': take no more trials; finish the running ones (or hand them back, see handBackAll), give their results
   * `deliverMs` to reach Redis, then close.
   * 'drop': the study ended or vanished: stop its trials, deliver nothing.
   */
  stop(mode: 'finish' | 'drop', deliverMs = DELIVER_MS): Promise<void> {
    if (mode === 'drop') this.dropped = true;
    this.stopped ??= (async () => {
      if (mode === 'drop') {
        // Force-closing first: BullMQ then ignores what the interrupted trials return.
        await within(deliverMs, this.bull?.close(true) ?? Promise.resolve());
        this.interrupt.abort();
      } else {
        // Nothing here waits for Redis but the delivery, and that for `deliverMs` at most: a worker whose Redis is
        // down stops once its trials ran (their jobs, undelivered, are retaken elsewhere after the stall timeout).
        await this.bull?.pause(true);
        await Promise.all([...this.computing]);
        await within(deliverMs, this.bull?.close() ?? Promise.resolve());
      }
      await this.pool.close();
    })();
    return this.stopped;
  }
}

/** BullMQ's message for a job that vanished under a worker, in the user's terms. */
function explain(study: string, message: string): string {
  const gone = /^Missing (?:key|lock) for job (\S+?)\.? /.exec(message);
  const trial = gone ? trialOfJob(study, gone[1]) : undefined;
  if (trial === undefined) return message;
  return `trial ${trial}: its result could not be delivered, its job is gone from Redis (restarted empty?); the study queues it again`;
}
