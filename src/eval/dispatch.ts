export interface InOrderRun<R> {
  /** Results of the items that ran, in item order: always a prefix of the items. */
  readonly results: R[];
  /** Index of the result for which `halt` said stop, if it did. */
  readonly haltedAt?: number;
  /** The error of the first item (in item order) whose run threw; `results` stop just before it. */
  readonly error?: unknown;
}

type Settled<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/**
 * Runs items in order with at most `window()` of them in flight, and stops starting new ones as soon as `halt`,
 * shown each result in item order, says so, or a run throws. Items already started always finish, so nothing
 * that ran is lost; items never started are left out. Since items start in order, the ones that ran are a prefix.
 */
export function runInOrder<T, R>(
  items: readonly T[],
  opts: {
    readonly window: () => number;
    readonly run: (item: T, index: number) => Promise<R>;
    readonly halt?: (result: R, index: number) => boolean;
    /** Checked before each start: once it says true, no further item starts (a stop request). */
    readonly stopped?: () => boolean;
  },
): Promise<InOrderRun<R>> {
  return new Promise((resolve) => {
    const settled: Array<Settled<R> | undefined> = [];
    let started = 0;
    let inFlight = 0;
    let examined = 0;
    let stopped = false;
    let haltedAt: number | undefined;
    let errorAt: number | undefined;

    const launch = () => {
      while (!stopped && !opts.stopped?.() && started < items.length && inFlight < Math.max(1, opts.window())) {
        const i = started++;
        inFlight++;
        let p: Promise<R>;
        try {
          p = opts.run(items[i]!, i);
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(
          (value) => onSettled(i, { ok: true, value }),
          (error: unknown) => onSettled(i, { ok: false, error }),
        );
      }
      if (inFlight === 0) {
        const end = errorAt ?? started;
        const results = settled.slice(0, end).map((s) => (s as { value: R }).value);
        resolve({
          results,
          ...(haltedAt !== undefined && haltedAt < end ? { haltedAt } : {}),
          ...(errorAt !== undefined ? { error: (settled[errorAt] as { error: unknown }).error } : {}),
        });
      }
    };

    const onSettled = (i: number, s: Settled<R>) => {
      settled[i] = s;
      inFlight--;
      if (!s.ok) {
        stopped = true;
        if (errorAt === undefined || i < errorAt) errorAt = i;
      }
      for (; examined < started && settled[examined] !== undefined; examined++) {
        const r = settled[examined]!;
        if (!stopped && r.ok && opts.halt?.(r.value, examined)) {
          stopped = true;
          haltedAt = examined;
        }
      }
      launch();
    };

    launch();
  });
}
