import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { describe, errors, type EvotuneError } from '../../errors.js';
import type { FitnessSource } from '../source.js';
import { aborted, failure } from '../outcome.js';
import { GROUP_SIZE, GroupTally, planGroups, requestKey } from '../grouping.js';
import type { Params } from '../../space/spec.js';
import type { Evaluator, FailureKind, TrialOutcome, TrialRequest } from '../types.js';
import type { ConnectionWatch } from './connection.js';
import {
  groupJobId,
  groupResultSchema,
  MAX_RETAKES,
  outcomeFromWire,
  PREFIX,
  printable,
  queueName,
  requestToWire,
  trialJobId,
  trialOfJob,
  trialResultSchema,
  workerConnectionName,
  type OpenStudy,
} from './protocol.js';
import { announceStudy, endStudy, HEARTBEAT_MS, readWorkers } from './registry.js';
import { repeat, within } from './timing.js';
import { scrub, type RedisTarget } from './url.js';

export interface QueueEvaluatorOptions {
  readonly target: RedisTarget;
  readonly source: FitnessSource;
  readonly trialTimeoutMs?: number;
  readonly maxHeapMb?: number;
  /** Give up (run() rejects) once no worker has been connected for this long while trials wait; default: wait. */
  readonly workerWaitMs?: number;
  /** Status lines for the user: no worker yet, workers joined, Redis unreachable, a trial taken up again. */
  readonly notify?: (line: string) => void;
  /**
   * The group key of a trial's params (tasks/runtime.ts taskGroupKey), loaded once; undefined, or resolving to
   * undefined: trials never group. Trials handed over together whose keys agree go as one job, which one worker
   * trains as one program (eval/grouping.ts, the pool's rule).
   */
  readonly groupKey?: () => Promise<((params: Params) => string | undefined) | undefined>;
  /** Send trials whose group keys agree as one job (as PoolOptions.groupTrials); default true. Results are the same. */
  readonly groupTrials?: boolean;
}

/** Say "no worker" only after this long: workers poll for new studies about every second. */
const NOTICE_AFTER_MS = 3_000;
/** Safety net behind the event stream: look up every waiting trial's job this often (and after a reconnect). */
const RECONCILE_MS = 5_000;
/** close() gives up cleaning the study's keys after this long (Redis may be unreachable). */
const CLEANUP_MS = 3_000;
/** ... and waiting for BullMQ's connections to close after this long: close() returns within CLEANUP_MS + CLOSE_MS. */
const CLOSE_MS = 1_000;

interface Waiting {
  readonly request: TrialRequest;
  readonly started: number;
  /** Its job's id: its own, or its group's. */
  job: string;
  /** Its job is in Redis (the add returned): only then can reconciliation tell a lost job from a pending add. */
  queued: boolean;
  settle(outcome: TrialOutcome): void;
  reject(e: unknown): void;
}

interface Connection {
  readonly redis: Redis;
  readonly queue: Queue;
  readonly events: QueueEvents;
  readonly watch: ConnectionWatch;
}

/**
 * Runs trials on `evotune worker` processes through a BullMQ queue on Redis. The study stays the only writer of
 * results: each trial is a job with id (study, trial number), and a result is taken once per trial number,
 * however often it arrives (event stream, reconciliation, a retaken job).
 */
export class QueueEvaluator implements Evaluator {
  /** This study's id in Redis: names its queue and its jobs. */
  readonly study = randomBytes(6).toString('hex');
  readonly description: string;
  private readonly waiting = new Map<number, Waiting>();
  /** Group jobs not delivered yet: their members, in the job's order. */
  private readonly groupJobs = new Map<string, readonly TrialRequest[]>();
  /** Trials handed over in this turn of the event loop, grouped and queued on the next (as the pool gathers them). */
  private gathered: Waiting[] = [];
  private keyLoad: Promise<((params: Params) => string | undefined) | undefined> | undefined;
  private grouping = false;
  private readonly groups = new GroupTally();
  private readonly manifest: OpenStudy;
  private connection: Connection | undefined;
  private opening: Promise<Connection> | undefined;
  private stoppers: Array<() => void> = [];
  /** Worker slots serving this study now, and the most seen at once. */
  private liveSlots = 0;
  private slots = 0;
  private backend: string | undefined;
  private retaken = 0;
  private requeued = 0;
  private lastConnected = performance.now();
  private noWorkerNoticed = false;
  private readonly refusalsNoticed = new Set<string>();
  /** host:pid of the workers serving the study at the last check. */
  private servingNames = new Set<string>();
  /** Set when the evaluator gives up (no worker for workerWaitMs, credentials refused): every run rejects. */
  private broken: EvotuneError | undefined;
  private closed = false;
  /** Redis was reachable at least once: BullMQ's event loop may be running and must be closed. */
  private connectedOnce = false;

  constructor(private readonly opts: QueueEvaluatorOptions) {
    this.description = `redis queue ${opts.target.display} (study ${this.study})`;
    this.manifest = {
      state: 'open',
      source: opts.source,
      host: hostname(),
      ...(opts.trialTimeoutMs !== undefined ? { trialTimeoutMs: opts.trialTimeoutMs } : {}),
      ...(opts.maxHeapMb !== undefined ? { maxHeapMb: opts.maxHeapMb } : {}),
    };
  }

  /** Worker slots serving the study (the most seen at once); 1 until a worker shows up. */
  get concurrency(): number {
    return Math.max(1, this.slots);
  }

  /**
   * Trials to keep on the queue: twice the slots serving now, so that a worker finishing a trial finds the next
   * one waiting instead of waiting a round trip to this process. One while no worker serves the study.
   */
  capacity(): number {
    return Math.max(1, 2 * this.liveSlots) * (this.grouping ? GROUP_SIZE : 1);
  }

  /** Learns whether the study's trials group (a task's key may need tfjs loaded in this process). */
  warm(): Promise<void> {
    return this.groupKeyOf().then(() => undefined);
  }

  private groupKeyOf(): Promise<((params: Params) => string | undefined) | undefined> {
    this.keyLoad ??= (async () => {
      try {
        // Off: the key is never loaded (nor tfjs for it), and every trial travels as a job of its own.
        const key = this.opts.groupTrials === false ? undefined : await this.opts.groupKey?.();
        this.grouping = key !== undefined;
        return key;
      } catch (e) {
        this.notify(`trials will not be grouped: their group key could not be computed here (${describe(e)})`);
        return undefined;
      }
    })();
    return this.keyLoad;
  }

  async run(request: TrialRequest, signal?: AbortSignal): Promise<TrialOutcome> {
    if (this.closed) throw errors.internal('the redis evaluator is closed');
    if (this.broken) throw this.broken;
    const started = performance.now();
    if (signal?.aborted) return aborted(0, WORKER);
    const [conn, key] = await Promise.all([this.open(), this.groupKeyOf()]);
    return new Promise<TrialOutcome>((resolve, reject) => {
      const onAbort = () => this.settle(request.number, aborted(performance.now() - started, WORKER));
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (f: () => void) => {
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      const waiting: Waiting = {
        request,
        started,
        job: trialJobId(this.study, request.number),
        queued: false,
        settle: (o) => done(() => resolve(o)),
        reject: (e) => done(() => reject(e)),
      };
      this.waiting.set(request.number, waiting);
      if (!key) return this.send(conn, [waiting]);
      this.gathered.push(waiting);
      if (this.gathered.length === 1) setImmediate(() => this.flush(conn, key));
    });
  }

  /**
   * Queues the trials gathered as the pool hands them to its workers: split over the worker slots serving the study
   * (as many per slot, up to GROUP_SIZE), then within each share, those whose keys agree as one group job.
   */
  private flush(conn: Connection, key: (params: Params) => string | undefined): void {
    const gathered = this.gathered.filter((w) => this.waiting.get(w.request.number) === w);
    this.gathered = [];
    const share = Math.min(GROUP_SIZE, Math.ceil(gathered.length / Math.max(1, this.liveSlots)));
    for (let at = 0; at < gathered.length; at += share) {
      const part = gathered.slice(at, at + share);
      for (const run of planGroups(
        part.map((w) => w.request),
        requestKey(key),
      ))
        this.send(
          conn,
          run.map((i) => part[i]!),
        );
    }
  }

  /** Queues one job: a trial, or a group of trials. */
  private send(conn: Connection, members: readonly Waiting[]): void {
    const requests = members.map((w) => w.request);
    if (requests.length > 1) {
      const id = groupJobId(
        this.study,
        requests.map((r) => r.number),
      );
      this.groupJobs.set(id, requests);
      for (const w of members) w.job = id;
    }
    this.enqueue(conn, members[0]!.job, requests).then(
      () => {
        for (const w of members) w.queued = true;
      },
      (e) => this.giveUp(errors.executor(`could not queue ${jobName(requests)}: ${scrub(this.opts.target, describe(e))}`)),
    );
  }

  private enqueue(conn: Connection, jobId: string, requests: readonly TrialRequest[]) {
    if (requests.length === 1) return conn.queue.add('trial', requestToWire(requests[0]!), { jobId });
    return conn.queue.add('group', { members: requests.map(requestToWire) }, { jobId });
  }

  /** Connects once: the queue, its event stream, the study's roster entry, and the watch loops. */
  private open(): Promise<Connection> {
    this.opening ??= (async () => {
      // bullmq and ioredis take a third of a second to import: a search on local threads should not pay for them.
      const [{ Queue, QueueEvents }, { connectRedis, watchConnection }] = await Promise.all([import('bullmq'), import('./connection.js')]);
      const { target } = this.opts;
      const redis = connectRedis(target, `evotune-study-${this.study}`, () => !this.closed);
      const watch = watchConnection(redis, target, {
        report: (line) => this.notify(line),
        onReady: () => {
          this.connectedOnce = true;
          void this.afterReconnect();
        },
        onAuthError: (message) =>
          this.giveUp(errors.executor(`${target.display} refused the credentials: ${message}`, 'check the user and password in the URL')),
      });
      const queue = new Queue(queueName(this.study), { connection: redis, prefix: PREFIX });
      // Read the stream from its start: a result that lands before the first read is not missed.
      const events = new QueueEvents(queueName(this.study), { connection: redis, prefix: PREFIX, lastEventId: '0-0' });
      const ignore = () => undefined; // connection errors are reported once by the watch; the rest surface as trial outcomes
      queue.on('error', ignore);
      events.on('error', ignore);
      events.on('completed', ({ jobId, returnvalue }) => this.deliver(jobId, returnvalue));
      events.on('failed', ({ jobId, failedReason }) => this.deliverFailure(jobId, failedReason));
      events.on('stalled', ({ jobId }) => {
        const group = this.groupJobs.get(jobId);
        if (group) this.notify(`${jobName(group)}: their worker stopped responding; the group is back on the queue`);
        const n = trialOfJob(this.study, jobId);
        if (n !== undefined) this.notify(`trial ${n}: its worker stopped responding; the trial is back on the queue`);
      });
      this.connection = { redis, queue, events, watch };
      this.lastConnected = performance.now();
      // Nothing here waits for Redis: while it is unreachable, trials wait in the offline queue and the wait limit runs.
      this.stoppers.push(
        repeat(HEARTBEAT_MS, () => announceStudy(redis, this.study, this.manifest)),
        repeat(1_000, () => this.checkWorkers(redis)),
        repeat(RECONCILE_MS, () => this.reconcile()),
        // A plain timer, not waiting on Redis: the wait limit must fire while Redis is unreachable too.
        repeat(1_000, async () => this.checkWaitLimit()),
      );
      return this.connection;
    })();
    return this.opening;
  }

  private async afterReconnect(): Promise<void> {
    const conn = this.connection;
    if (!conn || this.closed) return;
    // Redis may have restarted empty: put the study's entry and its waiting trials back at once.
    await announceStudy(conn.redis, this.study, this.manifest).catch(() => undefined);
    await this.reconcile().catch(() => undefined);
  }

  /** Takes a result once per trial number: later copies of the same trial's result are dropped. */
  private deliver(jobId: string, raw: unknown): void {
    if (this.groupJobs.has(jobId)) return this.deliverGroup(jobId, raw);
    const n = trialOfJob(this.study, jobId);
    const waiting = n === undefined ? undefined : this.waiting.get(n);
    if (n === undefined || !waiting) return;
    this.waiting.delete(n);
    const parsed = trialResultSchema.safeParse(raw);
    if (!parsed.success) return waiting.settle(failed('invalid', 'the worker sent a malformed result', waiting));
    if (parsed.data.attempt > 1) this.retaken++;
    let outcome: TrialOutcome;
    try {
      outcome = outcomeFromWire(parsed.data.outcome, n);
    } catch (e) {
      return waiting.settle(failed('invalid', describe(e), waiting));
    }
    waiting.settle(outcome);
  }

  /** A group's result: each member's outcome, as its own job would have brought it. */
  private deliverGroup(jobId: string, raw: unknown): void {
    const requests = this.groupJobs.get(jobId)!;
    this.groupJobs.delete(jobId);
    const parsed = groupResultSchema.safeParse(raw);
    const valid = parsed.success && parsed.data.outcomes.length === requests.length;
    if (valid && parsed.data.attempt > 1) this.retaken += requests.filter((r) => this.waiting.has(r.number)).length;
    const outcomes: TrialOutcome[] = [];
    requests.forEach((r, i) => {
      const waiting = this.waiting.get(r.number);
      if (!waiting) return;
      this.waiting.delete(r.number);
      if (!valid) return waiting.settle(failed('invalid', `the worker sent a malformed result for its group (${jobName(requests)})`, waiting));
      let outcome: TrialOutcome;
      try {
        outcome = outcomeFromWire(parsed.data.outcomes[i]!, r.number);
      } catch (e) {
        return waiting.settle(failed('invalid', describe(e), waiting));
      }
      outcomes.push(outcome);
      waiting.settle(outcome);
    });
    this.groups.count(outcomes);
  }

  /** Workers return every trial's own failure as a result, so a failed job means the trial could not be run. */
  private deliverFailure(jobId: string, reason: string): void {
    const group = this.groupJobs.get(jobId);
    if (group) {
      this.groupJobs.delete(jobId);
      const stalled = /stalled/i.test(reason);
      for (const r of group) {
        const waiting = this.waiting.get(r.number);
        if (!waiting) continue;
        this.waiting.delete(r.number);
        if (stalled) this.retaken++;
        const why = stalled
          ? `its worker was lost ${MAX_RETAKES + 1} times (the group was taken up again ${MAX_RETAKES} times)`
          : `no worker could run it: ${reason}`;
        waiting.settle(failed('crash', `${why}; it was trained in a group of ${group.length} (${jobName(group)}), all of which failed`, waiting));
      }
      return;
    }
    const n = trialOfJob(this.study, jobId);
    const waiting = n === undefined ? undefined : this.waiting.get(n);
    if (n === undefined || !waiting) return;
    this.waiting.delete(n);
    const stalled = /stalled/i.test(reason);
    if (stalled) this.retaken++;
    const message = stalled
      ? `its worker was lost ${MAX_RETAKES + 1} times (the trial was taken up again ${MAX_RETAKES} times)`
      : `no worker could run it: ${reason}`;
    waiting.settle(failed('crash', message, waiting));
  }

  /**
   * The safety net behind the event stream: a waiting trial whose job finished is delivered from the job itself,
   * and one whose job is gone (Redis restarted without persistence) is queued again under the same id.
   */
  private async reconcile(): Promise<void> {
    const conn = this.connection;
    if (!conn) return;
    let lost = 0;
    // One look-up per job: a group's members share theirs.
    const ids = [...new Set([...this.waiting.values()].filter((w) => w.queued).map((w) => w.job))];
    const jobs = await Promise.all(ids.map((id) => conn.queue.getJob(id)));
    for (const [i, id] of ids.entries()) {
      const job = jobs[i];
      const requests = this.groupJobs.get(id) ?? [...this.waiting.values()].filter((w) => w.job === id).map((w) => w.request);
      if (!requests.some((r) => this.waiting.get(r.number)?.job === id)) continue;
      if (!job) {
        lost += requests.length;
        await this.enqueue(conn, id, requests);
      } else if (job.finishedOn !== undefined) {
        if (job.failedReason) this.deliverFailure(id, job.failedReason);
        else this.deliver(id, job.returnvalue);
      }
    }
    if (lost > 0) {
      this.requeued += lost;
      this.notify(`${lost} waiting trial${lost === 1 ? ' was' : 's were'} missing from Redis (restarted?); queued again`);
    }
  }

  private async checkWorkers(redis: Redis): Promise<void> {
    const [entries, live] = await Promise.all([readWorkers(redis), connectedNames(redis)]);
    const workers = [...entries].filter(([id]) => live === undefined || live.has(workerConnectionName(id))).map(([, w]) => w);
    const serving = workers.flatMap((w) => w.serving.filter((s) => s.study === this.study).map((s) => ({ ...s, w })));
    const names = new Set(serving.map((s) => `${s.w.host}:${s.w.pid}`));
    const left = [...this.servingNames].filter((n) => !names.has(n));
    this.servingNames = names;
    if (left.length > 0) this.notify(`worker${left.length === 1 ? '' : 's'} ${left.join(', ')} left (${names.size} serving this study now)`);
    this.liveSlots = serving.reduce((sum, s) => sum + s.w.slots, 0);
    this.slots = Math.max(this.slots, this.liveSlots);
    if (serving.length > 0) {
      this.lastConnected = performance.now();
      this.backend ??= serving.find((s) => s.backend !== undefined)?.backend;
      if (this.noWorkerNoticed) {
        const names = serving.map((s) => `${s.w.host}:${s.w.pid}${s.state === 'loading' ? ' (loading)' : ''}`);
        this.notify(`${serving.length} worker${serving.length === 1 ? '' : 's'} serving this study: ${names.join(', ')}`);
        this.noWorkerNoticed = false;
      }
      return;
    }
    if (this.waiting.size === 0 || performance.now() - this.lastConnected < NOTICE_AFTER_MS) return;
    // Said once, and again when a worker refuses the study later (a worker that started after the notice).
    const refusals = workers
      .flatMap((w) => w.refused.filter((r) => r.study === this.study).map((r) => `${w.host}:${w.pid}: ${r.reason}`))
      .filter((r) => !this.refusalsNoticed.has(r));
    if (this.noWorkerNoticed && refusals.length === 0) return;
    this.noWorkerNoticed = true;
    for (const r of refusals) this.refusalsNoticed.add(r);
    this.notify(
      `no worker is serving study ${this.study} on ${this.opts.target.display}` +
        (refusals.length > 0
          ? `; workers refused it: ${refusals.join('; ')}`
          : `; start one with: evotune worker --redis ${this.opts.target.display}`) +
        (this.opts.workerWaitMs === undefined ? '; waiting' : `; giving up after ${this.opts.workerWaitMs / 1000} s`),
    );
  }

  private checkWaitLimit(): void {
    const limit = this.opts.workerWaitMs;
    if (limit === undefined || this.waiting.size === 0 || performance.now() - this.lastConnected < limit) return;
    const down = this.connection?.watch.down();
    this.giveUp(
      errors.executor(
        `no worker was connected to study ${this.study} for ${limit / 1000} s${down ? ` (${this.opts.target.display} is unreachable: ${down})` : ''}`,
        `start workers with: evotune worker --redis ${this.opts.target.display}`,
      ),
    );
  }

  /** Every waiting and later run rejects with `error`. */
  private giveUp(error: EvotuneError): void {
    this.broken ??= error;
    for (const [n, w] of [...this.waiting]) {
      this.waiting.delete(n);
      w.reject(this.broken);
    }
  }

  private settle(n: number, outcome: TrialOutcome): void {
    const w = this.waiting.get(n);
    if (!w) return;
    this.waiting.delete(n);
    w.settle(outcome);
  }

  private notify(line: string): void {
    // Lines may quote what workers wrote to Redis (their host names, why they refused the study).
    this.opts.notify?.(printable(line));
  }

  info(): Record<string, unknown> {
    return {
      executor: 'redis',
      study: this.study,
      workerSlots: this.slots,
      retakenTrials: this.retaken,
      requeuedTrials: this.requeued,
      ...this.groups.info(),
      ...(this.backend ? { backend: this.backend } : {}),
    };
  }

  /** Stops the loops, marks the study ended (its workers drop it at once) and deletes its queue. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stop of this.stoppers) stop();
    for (const n of [...this.waiting.keys()]) this.settle(n, aborted(0, WORKER));
    if (!this.opening) return;
    const conn = await this.opening;
    const cleanup = async () => {
      await endStudy(conn.redis, this.study);
      await conn.queue.obliterate({ force: true });
    };
    const reachable = conn.redis.status === 'ready';
    // Not while Redis is unreachable: the commands would only wait. The study's entry then expires by itself.
    const cleaned = reachable && (await within(CLEANUP_MS, cleanup()));
    if (!cleaned && !this.broken)
      this.notify(
        `could not delete study ${this.study}'s queue from ${this.opts.target.display}; its keys start with ${PREFIX}:${queueName(this.study)}`,
      );
    // Closed whether Redis is reachable now or not: a QueueEvents left open retries its blocking read every 5 s for ever, which
    // keeps the process alive after the search ended (Redis gone for good). Closing sets BullMQ's own stop flags at
    // once; their promises may wait for a connection that never comes back, so they are waited for a bounded time,
    // and their failures go nowhere (the connections' error handlers installed in open() stay attached).
    // Not when Redis was never reached (refused credentials, down from the start): BullMQ's close() then waits for
    // the connection's first ready and reports its failure with no listener left (an unhandled rejection); its
    // loops never started, so dropping the connections is enough.
    const closing = this.connectedOnce ? [conn.events.close(), conn.queue.close()].map((p) => p.catch(() => undefined)) : [];
    conn.redis.disconnect();
    await within(CLOSE_MS, Promise.all(closing));
  }
}

/** Names of the connections to Redis now (CLIENT LIST), or undefined when this user may not list them (ACL). */
async function connectedNames(redis: Redis): Promise<Set<string> | undefined> {
  try {
    const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string;
    return new Set([...list.matchAll(/(?:^| )name=(\S+)/gm)].map((m) => m[1]!));
  } catch {
    return undefined;
  }
}

/** A job's trials, as messages name them. */
const jobName = (requests: readonly TrialRequest[]) =>
  requests.length === 1 ? `trial ${requests[0]!.number}` : `trials ${requests.map((r) => r.number).join(', ')}`;

/** Outcomes decided by the study, not a worker. */
const WORKER = 'redis';
const failed = (kind: FailureKind, message: string, w: Waiting) => failure(kind, message, performance.now() - w.started, WORKER);
