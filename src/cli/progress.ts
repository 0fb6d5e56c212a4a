import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import type { Best, StudyEvent } from '../study/types.js';
import { formatValue } from './output.js';
import { LOCAL_EXECUTOR } from '../eval/queue/url.js';
import type { SearchOptions } from '../options.js';
import type { SearchStage } from '../search/types.js';

/** A bar on a terminal, plain lines in a log file or pipe, nothing with --json. */
export type ProgressMode = 'bar' | 'lines' | 'off';

export const progressMode = (json: boolean, stream: { isTTY?: boolean }): ProgressMode => (json ? 'off' : stream.isTTY ? 'bar' : 'lines');

export interface Progress {
  readonly onEvent: (e: StudyEvent) => void;
  /** Prints a line without tearing the bar. */
  log(line: string): void;
  stop(): void;
}

/**
 * What the user is shown: trials done of budget, best so far, failures, evaluations per second and ETA.
 * Speed counts only trials measured in this session: replayed ones (resume) arrive all at once and would make the
 * ETA meaningless, and nothing is estimated before a trial has finished.
 */
export class ProgressStats {
  /** Trials done of the trial budget, or epochs used of the resource budget (--budget-epochs): see `unit`. */
  done = 0;
  failed = 0;
  pruned = 0;
  unit: 'trials' | 'epochs' = 'trials';
  running = 0;
  best: Best | undefined;
  /** Several objectives: trials on the Pareto front (shown instead of one objective's best). */
  front: number | undefined;
  private live = 0;
  private liveSince: number | undefined;
  private liveMs = 0;

  /** `workers`: trials that run at once (the local pool's size); unknown for a Redis executor. */
  constructor(
    public budget: number,
    private readonly workers?: number,
  ) {}

  update(e: StudyEvent, nowMs: number): void {
    if (e.type === 'asked') {
      this.running++;
      this.liveSince ??= nowMs;
      return;
    }
    const before = this.done;
    ({ failed: this.failed, pruned: this.pruned, best: this.best, front: this.front } = e);
    // With a resource budget, progress is epochs used of it: trials are then as many as it takes.
    if (e.resourceBudget !== undefined) {
      this.unit = 'epochs';
      this.done = e.resourceSpent;
      this.budget = e.resourceBudget;
    } else {
      this.done = e.done;
      this.budget = e.budget;
    }
    if (!e.record.replayed) {
      this.live += this.unit === 'epochs' ? this.done - before : 1;
      this.liveMs += e.record.outcome.durationMs;
      this.running = Math.max(0, this.running - 1);
    }
  }

  /**
   * Trials per second in this session, once one has finished. Until every worker has finished two trials, the
   * wall clock says little (a generation's trials start together, so the first to finish make N workers look like
   * one): the rate is then the workers over the mean measured duration of a trial. After that it is the wall-clock
   * rate, which also counts what durations miss (waits for a generation's stragglers, the study's own time).
   */
  rate(nowMs: number): number | undefined {
    if (this.live === 0 || this.liveSince === undefined || nowMs <= this.liveSince) return undefined;
    const wall = this.live / ((nowMs - this.liveSince) / 1000);
    if (this.workers === undefined || this.live >= 2 * this.workers || this.liveMs <= 0) return wall;
    return this.workers / (this.liveMs / this.live / 1000);
  }

  eta(nowMs: number): number | undefined {
    const r = this.rate(nowMs);
    return r === undefined ? undefined : Math.max(0, this.budget - this.done) / r;
  }

  fields(nowMs: number) {
    const r = this.rate(nowMs);
    const eta = this.eta(nowMs);
    return {
      best:
        this.front !== undefined
          ? `front ${this.front} trial${this.front === 1 ? '' : 's'}`
          : this.best
            ? `best ${formatValue(this.best.value)} (trial ${this.best.trial})`
            : 'best -',
      failed: this.pruned > 0 ? `${this.failed} pruned ${this.pruned}` : String(this.failed),
      unit: this.unit,
      rate: r === undefined ? '-' : r >= 10 ? r.toFixed(0) : r.toPrecision(2),
      // Not "eta": cli-progress has its own {eta} token (from its own, replay-blind, rate).
      remaining: eta === undefined ? '-' : formatDuration(eta),
    };
  }

  /** One plain line, for logs. */
  line(nowMs: number): string {
    const f = this.fields(nowMs);
    const what = this.unit === 'epochs' ? 'epochs' : 'trial';
    return `${what} ${formatValue(this.done)}/${this.budget}  ${f.best}  failed ${f.failed}  ${f.rate} ${this.unit}/s  ETA ${f.remaining}`;
  }
}

/**
 * What happens before the first trial finishes, said at once: the LR range test, then workers that load tfjs and
 * the task and warm up their JIT, which takes seconds before the progress bar can move.
 */
export function stageLine(stage: SearchStage, o: SearchOptions): string {
  const task = o.task === undefined ? undefined : o.task.includes('/') || o.task.includes('.') ? 'the task module' : `the ${o.task} task`;
  if (stage === 'lr-range-test') return `LR range test on ${task ?? 'the task'} (in this process, before the workers start)...`;
  if (o.executor !== LOCAL_EXECUTOR) return 'queueing trials for `evotune worker`s: the first results come once one takes them...';
  const n = `${o.workers} worker${o.workers === 1 ? '' : 's'}`;
  return task
    ? `starting ${n}: loading tfjs (${o.backend === 'auto' ? 'wasm' : o.backend}) and ${task}, warming up...`
    : `starting ${n}: loading the fitness module...`;
}

/** 42s, 3m05s, 1h02m. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Shows a search's progress on `stream`. `budget` is the expected total until the study reports its own.
 * Plain lines are printed every 5% of the budget and at the end, so a log has a bounded, predictable size.
 */
export function createProgress(
  mode: ProgressMode,
  budget: number,
  stream: NodeJS.WritableStream = process.stderr,
  now: () => number = () => performance.now(),
  workers?: number,
): Progress {
  const stats = new ProgressStats(budget, workers);
  // Messages (a warning, a stop) still reach stderr with --json: only stdout is kept for the result.
  if (mode === 'off') return { onEvent: () => undefined, log: (line) => stream.write(`${line}\n`), stop: () => undefined };
  if (mode === 'lines') {
    let printed = 0;
    return {
      onEvent: (e) => {
        stats.update(e, now());
        const step = Math.max(1, Math.ceil(stats.budget / 20));
        if (e.type === 'finished' && (stats.done - printed >= step || stats.done >= stats.budget)) {
          printed = stats.done;
          stream.write(`${stats.line(now())}\n`);
        }
      },
      log: (line) => stream.write(`${line}\n`),
      stop: () => undefined,
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: ' {bar} {value}/{total} {unit} | {best} | failed {failed} | {rate}/s | ETA {remaining}',
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
      // The facts matter more than the bar: on a narrow terminal the bar shrinks so that they fit one line.
      barsize: Math.max(8, Math.min(30, ((stream as { columns?: number }).columns ?? 80) - 74)),
      hideCursor: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  // Drawn from the first trial on: a search that fails before it starts shows no empty bar.
  let shown: { bar: cliProgress.SingleBar; tick: NodeJS.Timeout } | undefined;
  const show = () => {
    if (shown) return shown.bar;
    const bar = multi.create(stats.budget, 0, stats.fields(now()));
    // cli-progress redraws on its own timer, but the payload only changes on our updates: refresh ETA and speed.
    const tick = setInterval(() => bar.update(stats.done, stats.fields(now())), 1000);
    tick.unref();
    shown = { bar, tick };
    return bar;
  };
  return {
    onEvent: (e) => {
      stats.update(e, now());
      const bar = show();
      if (bar.getTotal() !== stats.budget) bar.setTotal(stats.budget);
      bar.update(stats.done, stats.fields(now()));
    },
    log: (line) => (shown ? multi.log(`${line}\n`) : stream.write(`${line}\n`)),
    stop: () => {
      if (!shown) return;
      clearInterval(shown.tick);
      shown.bar.update(stats.done, stats.fields(now()));
      multi.stop();
      shown = undefined;
    },
  };
}
