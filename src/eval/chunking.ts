/** Trials measured before chunking is considered: the first trials of a module are often its slowest. */
const WARMUP_TRIALS = 16;
/** Chunk only when the mean trial is this short (ms): well under the cost of a thread round trip times a few. */
const SHORT_TRIAL_MS = 0.2;
/** A chunk aims to take about this long (ms), so a chunk never holds a worker for long. */
const CHUNK_MS = 1;
const MAX_CHUNK = 16;
/** Weight of the newest trial in the running mean: a fitness that slows down stops chunking within tens of trials. */
const ALPHA = 0.1;

/**
 * How many trials the pool sends to a worker in one Piscina task. A round trip to a worker costs tens of
 * microseconds, as much as a no-op trial many times over, so short trials travel in chunks and run one after
 * another in the worker, each with its own timeout and ctx.signal.
 * Chunks form only once trials are measured to be well under a millisecond, and never again after a trial timed
 * out or a worker was lost: from then on every trial runs alone, so a failure always names its own trial.
 */
export class ChunkPolicy {
  private meanMs = 0;
  private seen = 0;
  private disabled = false;

  /** Feeds the time one complete trial took in its worker. */
  observe(durationMs: number): void {
    this.seen++;
    this.meanMs = this.seen === 1 ? durationMs : this.meanMs + ALPHA * (durationMs - this.meanMs);
  }

  disable(): void {
    this.disabled = true;
  }

  /** Trials per task when enough are waiting. */
  get size(): number {
    if (this.disabled || this.seen < WARMUP_TRIALS || this.meanMs > SHORT_TRIAL_MS) return 1;
    return Math.min(MAX_CHUNK, Math.max(1, Math.floor(CHUNK_MS / Math.max(this.meanMs, CHUNK_MS / MAX_CHUNK))));
  }
}
