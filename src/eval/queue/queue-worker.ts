import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { errors, type EvotuneError } from '../../errors.js';
import type { FitnessSource } from '../source.js';
import { admit } from './admission.js';
import { connectRedis, watchConnection, type ConnectionWatch } from './connection.js';
import { workerConnectionName, type OpenStudy, type WorkerEntry } from './protocol.js';
import { announceWorker, ENTRY_TTL_MS, HEARTBEAT_MS, readStudies, withdrawWorker } from './registry.js';
import { Slots } from './slots.js';
import { StudyServer, type ServerEvent } from './study-server.js';
import { repeat, within } from './timing.js';
import type { RedisTarget } from './url.js';

export interface QueueWorkerOptions {
  readonly target: RedisTarget;
  /** Trials this process runs at once, over every study it serves (one thread each). */
  readonly slots: number;
  /** Real paths of the folders whose modules it may load; empty: any module file on this machine. */
  readonly allow: readonly string[];
  /** See ServerOptions.stallMs. */
  readonly stallMs: number;
  readonly report: (event: WorkerEvent) => void;
  /** Redis refused the credentials: the worker has stopped and cannot go on. */
  readonly onFatal: (error: EvotuneError) => void;
}

export type WorkerEvent =
  | ServerEvent
  | { readonly type: 'study'; readonly study: string; readonly state: 'loading'; readonly host: string; readonly source: FitnessSource }
  | { readonly type: 'study'; readonly study: string; readonly state: 'ready' | 'ended' | 'gone' }
  | { readonly type: 'study'; readonly study: string; readonly state: 'refused'; readonly reason: string }
  | { readonly type: 'skipped'; readonly entry: string; readonly reason: string }
  | { readonly type: 'connection'; readonly message: string };

/** How often a worker looks for new and ended studies. */
const DISCOVER_MS = 1_000;
/** A stopping worker gives up removing its roster entry after this long (it expires by itself). */
const LEAVE_MS = 2_000;

/**
 * An `evotune worker` process: finds the open studies in a Redis, serves each that it admits (see admission.ts)
 * with a StudyServer, and keeps its roster entry up to date so that studies can tell who serves them.
 */
export class QueueWorker {
  readonly id = `${hostname()}:${process.pid}`;
  private readonly redis: Redis;
  private readonly watch: ConnectionWatch;
  private readonly slots: Slots;
  private readonly servers = new Map<string, StudyServer>();
  private readonly refused = new Map<string, string>();
  /** Roster entries that are not valid study entries, logged once each. */
  private readonly skipped = new Set<string>();
  private readonly missingSince = new Map<string, number>();
  private stopDiscovery: (() => void) | undefined;
  private stopHeartbeat: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  /** Once set, the connections stop reconnecting. */
  private closed = false;

  constructor(private readonly opts: QueueWorkerOptions) {
    this.slots = new Slots(opts.slots);
    this.redis = connectRedis(opts.target, workerConnectionName(this.id), () => !this.closed);
    this.watch = watchConnection(this.redis, opts.target, {
      report: (message) => opts.report({ type: 'connection', message }),
      onReady: () => void this.heartbeat().catch(() => undefined),
      onAuthError: (message) => {
        // Nothing can run without Redis: drop everything and let the caller report it.
        this.closed = true;
        this.stopDiscovery?.();
        this.stopHeartbeat?.();
        for (const s of this.servers.values()) void s.stop('drop');
        this.redis.disconnect();
        opts.onFatal(errors.executor(`${opts.target.display} refused the credentials: ${message}`, 'check the user and password in the URL'));
      },
    });
  }

  /** Trials running now, over every study. */
  get running(): number {
    return this.slots.running;
  }

  start(): void {
    this.stopHeartbeat = repeat(HEARTBEAT_MS, () => this.heartbeat());
    this.stopDiscovery = repeat(DISCOVER_MS, () => this.discover());
  }

  /**
   * One round of discovery. Every entry is untrusted (anyone who can write to the Redis can add one): an entry that
   * cannot be read, admitted or served is skipped and logged once, and the others are served all the same.
   */
  private async discover(): Promise<void> {
    const unusable = new Map<string, string>();
    const studies = await readStudies(this.redis, (id, reason) => unusable.set(id, reason));
    if (this.stopping) return;
    for (const [id, reason] of unusable) this.skip(id, reason);
    for (const id of this.skipped) if (!unusable.has(id)) this.skipped.delete(id);
    const now = performance.now();
    for (const [id, entry] of studies) {
      try {
        if (entry.state === 'ended') {
          this.drop(id, 'ended');
          this.refused.delete(id);
          continue;
        }
        this.missingSince.delete(id);
        if (!this.servers.has(id) && !this.refused.has(id)) this.serve(id, entry);
      } catch (e) {
        if (!this.refused.has(id)) this.refuse(id, `it could not be served: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    for (const id of this.servers.keys()) {
      if (studies.has(id)) continue;
      const since = this.missingSince.get(id) ?? now;
      this.missingSince.set(id, since);
      // An entry also vanishes for a moment when Redis restarts empty: give the study time to announce itself again.
      if (now - since > ENTRY_TTL_MS) this.drop(id, 'gone');
    }
    for (const id of this.refused.keys()) if (!studies.has(id)) this.refused.delete(id);
  }

  /** Logs an unusable roster entry once (until it changes or goes away). */
  private skip(id: string, reason: string): void {
    if (this.skipped.has(id)) return;
    this.skipped.add(id);
    this.opts.report({ type: 'skipped', entry: id.slice(0, 80), reason });
  }

  private serve(study: string, entry: OpenStudy): void {
    const admission = admit(entry.source, this.opts.allow);
    if (!admission.ok) return this.refuse(study, admission.reason);
    const server = new StudyServer(study, entry, {
      redis: this.redis,
      slots: this.slots,
      workerId: this.id,
      stallMs: this.opts.stallMs,
      report: this.opts.report,
      onBroken: (reason) => {
        if (this.servers.get(study) !== server) return;
        this.servers.delete(study);
        this.refuse(study, `its thread pool broke: ${reason}`);
        server.handBackAll();
        void server.stop('finish');
      },
    });
    this.servers.set(study, server);
    this.opts.report({ type: 'study', study, state: 'loading', host: entry.host, source: entry.source });
    void this.heartbeat().catch(() => undefined); // the study learns at once that a worker is loading it
    server.start().then(
      () => {
        if (this.servers.get(study) !== server) return;
        this.opts.report({ type: 'study', study, state: 'ready' });
        void this.heartbeat().catch(() => undefined);
      },
      (e: unknown) => {
        if (this.servers.get(study) !== server || this.stopping) return;
        this.servers.delete(study);
        void server.stop('drop');
        this.refuse(study, `its fitness could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  }

  private refuse(study: string, reason: string): void {
    this.refused.set(study, reason);
    this.opts.report({ type: 'study', study, state: 'refused', reason });
    void this.heartbeat().catch(() => undefined);
  }

  private drop(study: string, state: 'ended' | 'gone'): void {
    const server = this.servers.get(study);
    if (!server) return;
    this.servers.delete(study);
    this.missingSince.delete(study);
    this.opts.report({ type: 'study', study, state });
    void server.stop('drop');
    void this.heartbeat().catch(() => undefined);
  }

  private heartbeat(): Promise<void> {
    const entry: WorkerEntry = {
      host: hostname(),
      pid: process.pid,
      slots: this.slots.size,
      serving: [...this.servers.values()].map((s) => ({ study: s.study, state: s.state, ...(s.backend ? { backend: s.backend } : {}) })),
      refused: [...this.refused].slice(-50).map(([study, reason]) => ({ study, reason: reason.slice(0, 500) })),
    };
    return announceWorker(this.redis, this.id, entry);
  }

  /** Takes no more trials, finishes the running ones and delivers them, then leaves the roster. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopDiscovery?.();
      // Bounded whatever Redis does: the running trials finish, then their results get a few seconds to reach
      // Redis (none while it is unreachable: they could only wait), and the worker leaves the roster.
      await Promise.all([...this.servers.values()].map((s) => s.stop('finish', this.watch.down() === undefined ? undefined : 0)));
      this.stopHeartbeat?.();
      if (this.watch.down() === undefined) await within(LEAVE_MS, withdrawWorker(this.redis, this.id));
      this.closed = true;
      this.redis.disconnect();
    })();
    return this.stopping;
  }

  /** Stops at once: running trials go back to their queues, where other workers take them up. */
  stopNow(): Promise<void> {
    for (const s of this.servers.values()) s.handBackAll();
    return this.stop();
  }
}
